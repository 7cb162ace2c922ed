"""Campaign and special-operation API endpoints under /api/v1/campaigns/."""

from django.urls import path

from fengqiao.campaigns import api

urlpatterns = [
    path("", api.CampaignListCreate.as_view(), name="api-campaigns"),
    path("<int:pk>/", api.CampaignDetail.as_view(), name="api-campaign"),
    path("<int:pk>/rollup/", api.CampaignRollup.as_view(), name="api-campaign-rollup"),
    path("<int:pk>/grids/", api.CampaignGrids.as_view(), name="api-campaign-grids"),
    path("<int:pk>/transition/", api.CampaignTransition.as_view(), name="api-campaign-transition"),
    path("<int:pk>/records/", api.RecordListCreate.as_view(), name="api-campaign-records"),
    path("records/<int:pk>/case/", api.RecordToCase.as_view(), name="api-screening-to-case"),
    path(
        "records/<int:pk>/warning/", api.RecordToWarning.as_view(), name="api-screening-to-warning"
    ),
    path("operations/", api.OperationList.as_view(), name="api-operations"),
    path(
        "operations/<int:pk>/figures/", api.OperationFigures.as_view(), name="api-operation-figures"
    ),
    path(
        "operations/<int:pk>/reports/", api.ReportListCreate.as_view(), name="api-operation-reports"
    ),
    path(
        "operations/reports/<int:pk>/correct/",
        api.ReportCorrect.as_view(),
        name="api-operation-report-correct",
    ),
    path(
        "operations/reports/<int:pk>/decide/",
        api.ReportDecide.as_view(),
        name="api-operation-report-decide",
    ),
]
