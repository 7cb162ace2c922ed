"""Monitoring room pages under /monitor/."""

from django.urls import path

from fengqiao.analytics import ledger_views, views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cards/", views.dashboard_cards, name="dashboard_cards"),
    path("cases/", views.drill_cases, name="cases"),
    path("grids.geojson", views.grid_values, name="grid_values"),
    path("regions.geojson", views.region_outlines, name="region_outlines"),
    path("screen/", views.screen, name="screen"),
    path("screen/figures/", views.screen_figures, name="screen_figures"),
    path("screen/feed/", views.screen_feed, name="screen_feed"),
    path("ledgers/", ledger_views.ledgers_page, name="ledgers"),
    path("ledgers/export/", ledger_views.start_export, name="export"),
    path("ledgers/export/<int:pk>/", ledger_views.export_status, name="export_status"),
    path("ledgers/export/<int:pk>/file/", ledger_views.export_file, name="export_file"),
    path("report/", ledger_views.report, name="report"),
]
