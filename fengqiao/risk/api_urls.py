"""Risk API endpoints under /api/v1/risk/."""

from django.urls import path

from fengqiao.risk import api

urlpatterns = [
    path("assessments/", api.AssessmentListCreate.as_view(), name="api-risk-assessments"),
    path("assessments/<int:pk>/", api.AssessmentDetail.as_view(), name="api-risk-assessment"),
    path(
        "assessments/<int:pk>/reassess/", api.AssessmentReassess.as_view(), name="api-risk-reassess"
    ),
    path("assessments/<int:pk>/close/", api.AssessmentClose.as_view(), name="api-risk-close"),
    path("warnings/", api.WarningList.as_view(), name="api-risk-warnings"),
    path("warnings/<int:pk>/", api.WarningDetail.as_view(), name="api-risk-warning"),
    path(
        "warnings/<int:pk>/transition/",
        api.WarningAction.as_view(),
        name="api-risk-warning-transition",
    ),
    path("rules/", api.RuleListCreate.as_view(), name="api-risk-rules"),
    path("rules/<int:pk>/", api.RuleDetail.as_view(), name="api-risk-rule"),
    path("rules/<int:pk>/dry-run/", api.RuleDryRun.as_view(), name="api-risk-rule-dry-run"),
]
