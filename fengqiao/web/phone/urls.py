from django.urls import path

from fengqiao.web.phone import views

app_name = "phone"
urlpatterns = [
    path("", views.today, name="today"),
    path("report/", views.report, name="report"),
    path("reports/", views.reports, name="reports"),
    path("grid/", views.grid, name="grid"),
    path("grid/data.json", views.grid_data, name="grid_data"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("me/", views.me, name="me"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
