"""Resident pages without login: /report/ and /track/ (included at the site root)."""

from django.urls import path

from fengqiao.cases import public_views

app_name = "public"
urlpatterns = [
    path("report/", public_views.report, name="report"),
    path("track/", public_views.track, name="track"),
    path("track/rate/", public_views.rate, name="rate"),
    path("track/file/", public_views.attachment, name="attachment"),
]
