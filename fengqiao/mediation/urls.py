"""Mediation pages under /mediation/."""

from django.urls import path

from fengqiao.mediation import supervision_views, views

app_name = "mediation"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("case/<int:case_id>/", views.case_page, name="case"),
    path("case/<int:case_id>/start/", views.start, name="start"),
    path("<int:pk>/action/<slug:name>/", views.action, name="action"),
    path("<int:pk>/documents/<slug:key>.<str:fmt>", views.document, name="document"),
    path("<int:pk>/dossier.pdf", views.dossier, name="dossier"),
    path("<int:pk>/files/<int:attachment_id>/", views.evidence_file, name="file"),
    path("ledger.xlsx", views.ledger_download, name="ledger"),
    path("committee/<int:pk>/", views.committee, name="committee"),
    path("supervision/", supervision_views.supervision, name="supervision"),
    path("supervision/<int:pk>/", supervision_views.supervision_case, name="supervision_case"),
]
