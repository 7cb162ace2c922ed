"""API v1 endpoints of the monitoring room, under /api/v1/analytics/."""

from django.urls import path

from fengqiao.analytics import api, ledger_api

urlpatterns = [
    path("indicators/", api.IndicatorListView.as_view(), name="analytics-indicators"),
    path("values/", api.IndicatorValueView.as_view(), name="analytics-values"),
    path("ledgers/<str:ledger>/", ledger_api.LedgerView.as_view(), name="analytics-ledger"),
]
