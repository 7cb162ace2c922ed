"""Pages of emergency command under /emergency/."""

from django.urls import path

from . import views

app_name = "emergency"

urlpatterns = [
    path("", views.index, name="index"),
    path("events/<int:pk>/", views.event, name="event"),
    path("events/<int:pk>/situation/", views.situation_view, name="situation"),
    path("events/<int:pk>/daily-report.<str:fmt>", views.daily_report, name="daily_report"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/file/", views.plan_file, name="plan_file"),
    path("tasks/", views.tasks, name="tasks"),
    path("drills/", views.drills, name="drills"),
    path("new/<slug:name>/", views.act, {"pk": 0}, name="create"),
    path("<slug:name>/<int:pk>/", views.act, name="act"),
]
