from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from fengqiao.web import health

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("", include("fengqiao.web.urls")),
    path("territory/", include("fengqiao.web.territory_urls")),
    path("cases/", include("fengqiao.cases.urls")),
    path("reference/", include("fengqiao.cases.refdata_urls")),
    path("mediation/", include("fengqiao.mediation.urls")),
    path("registry/", include("fengqiao.registry.urls")),
    path("monitor/", include("fengqiao.analytics.urls")),
    path("accountability/", include("fengqiao.accountability.urls")),
    path("risk/", include("fengqiao.risk.urls")),
    path("campaigns/", include("fengqiao.campaigns.urls")),
    path("legal/", include("fengqiao.legalservices.urls")),
    path("emergency/", include("fengqiao.emergency.urls")),
    path("", include("fengqiao.cases.public_urls")),
    path("m/", include("fengqiao.web.phone.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fengqiao.api_urls")),
    path("open311/v2/", include("fengqiao.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script file (no inline script, CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        # A template without web fonts from a CDN: the docs work offline.
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
        name="redoc",
    ),
]

# MEDIA_ROOT is never served as it is: every stored file goes through a download view that
# checks who asks (fengqiao.core.files).

handler500 = "fengqiao.web.health.server_error"
