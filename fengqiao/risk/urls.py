from django.urls import path

from fengqiao.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.home, name="home"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("assessments/new/", views.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit_view, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit_view, name="rule_edit"),
    path("rules/<int:pk>/dry-run/", views.dry_run, name="dry_run"),
]
