"""Pages of public legal services under /legal/: the resident's (no login) and the staff's."""

from django.urls import path

from . import public_views, views

app_name = "legal"

urlpatterns = [
    path("", views.index, name="index"),
    path("questions/", views.question_list, name="list"),
    path("questions/<int:pk>/", views.question, name="question"),
    path("questions/<int:pk>/<slug:name>/", views.act, name="act"),
    path("network/", views.network, name="network"),
    path("figures/", views.figures_page, name="figures"),
    path("ask/", public_views.ask, name="ask"),
    path("track/", public_views.track, name="track"),
    path("q/<str:token>/", public_views.status, name="status"),
    path("q/<str:token>/follow-up/", public_views.follow_up, name="follow_up"),
    path("q/<str:token>/rate/", public_views.rate, name="rate"),
]
