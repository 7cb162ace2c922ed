"""Mediation API endpoints under /api/v1/mediation/."""

from django.urls import path

from fengqiao.mediation import api

urlpatterns = [
    path("", api.MediationListCreate.as_view(), name="api-mediations"),
    path("figures/", api.FiguresView.as_view(), name="api-mediation-figures"),
    path("<int:pk>/", api.MediationDetail.as_view(), name="api-mediation"),
    path("<int:pk>/sessions/", api.SessionListCreate.as_view(), name="api-mediation-sessions"),
    path("<int:pk>/notices/", api.NoticeCreate.as_view(), name="api-mediation-notices"),
    path("<int:pk>/agreement/", api.AgreementView.as_view(), name="api-mediation-agreement"),
    path("<int:pk>/agreement/sign/", api.AgreementSign.as_view(), name="api-mediation-sign"),
    path(
        "<int:pk>/documents/<slug:key>.<str:fmt>",
        api.DocumentDownload.as_view(),
        name="api-mediation-document",
    ),
]
