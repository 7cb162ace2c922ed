"""REST API v1: every app registers its endpoints here."""

from django.urls import include, path

urlpatterns = [
    path("territory/", include("fengqiao.api.territory_urls")),
    path("org/", include("fengqiao.api.org_urls")),
    path("cases/", include("fengqiao.cases.api_urls")),
    path("mediation/", include("fengqiao.mediation.api_urls")),
    path("registry/", include("fengqiao.registry.api_urls")),
    path("analytics/", include("fengqiao.analytics.api_urls")),
    path("accountability/", include("fengqiao.accountability.api_urls")),
    path("webhooks/", include("fengqiao.webhooks.api_urls")),
    path("risk/", include("fengqiao.risk.api_urls")),
    path("campaigns/", include("fengqiao.campaigns.api_urls")),
    path("legal/", include("fengqiao.legalservices.api_urls")),
    path("emergency/", include("fengqiao.emergency.api_urls")),
    path("", include("fengqiao.api.urls")),
]
