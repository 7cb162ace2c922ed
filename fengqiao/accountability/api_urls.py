"""Responsibility and assessment endpoints under /api/v1/accountability/."""

from django.urls import path

from . import api

urlpatterns = [
    path("letters/", api.LetterList.as_view(), name="api-accountability-letters"),
    path("letters/<int:pk>/", api.LetterDetail.as_view(), name="api-accountability-letter"),
    path("letters/<int:pk>/tasks/", api.LetterTasks.as_view(), name="api-accountability-tasks"),
    path("letters/<int:pk>/sign/", api.LetterSign.as_view(), name="api-accountability-sign"),
    path("tasks/<int:pk>/reports/", api.TaskReports.as_view(), name="api-accountability-reports"),
    path("reports/<int:pk>/review/", api.ReportReview.as_view(), name="api-accountability-review"),
    path("schemes/", api.SchemeList.as_view(), name="api-accountability-schemes"),
    path("schemes/<int:pk>/runs/", api.SchemeRuns.as_view(), name="api-accountability-runs"),
    path("runs/<int:pk>/scores/", api.RunScores.as_view(), name="api-accountability-scores"),
    path("runs/<int:pk>/freeze/", api.RunFreeze.as_view(), name="api-accountability-freeze"),
    path(
        "member-units/<int:pk>/letter/",
        api.MemberUnitLetter.as_view(),
        name="api-accountability-create-letter",
    ),
    path(
        "schemes/<int:pk>/review-scores/",
        api.SchemeReviewScores.as_view(),
        name="api-accountability-review-scores",
    ),
    path(
        "schemes/<int:pk>/occurrences/",
        api.SchemeOccurrences.as_view(),
        name="api-accountability-occurrences",
    ),
    path("evidence/<int:pk>/file/", api.EvidenceFile.as_view(), name="api-accountability-evidence"),
]
