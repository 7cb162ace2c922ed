"""Emergency command endpoints under /api/v1/emergency/."""

from django.urls import path

from . import api

urlpatterns = [
    path("events/", api.EventList.as_view(), name="api-emergency-events"),
    path("events/<int:pk>/", api.EventDetail.as_view(), name="api-emergency-event"),
    path("events/<int:pk>/bodies/", api.EventBodies.as_view(), name="api-emergency-bodies"),
    path("events/<int:pk>/activate/", api.EventActivate.as_view(), name="api-emergency-activate"),
    path(
        "events/<int:pk>/stand-down/", api.EventStandDown.as_view(), name="api-emergency-stand-down"
    ),
    path("events/<int:pk>/campaign/", api.EventCampaign.as_view(), name="api-emergency-campaign"),
    path("events/<int:pk>/cases/", api.EventCases.as_view(), name="api-emergency-cases"),
    path("events/<int:pk>/tasks/", api.EventTasks.as_view(), name="api-emergency-tasks"),
    path("events/<int:pk>/checkins/", api.EventCheckIns.as_view(), name="api-emergency-checkins"),
    path("events/<int:pk>/history/", api.EventHistory.as_view(), name="api-emergency-history"),
    path(
        "events/<int:pk>/situation/", api.EventSituation.as_view(), name="api-emergency-situation"
    ),
    path(
        "events/<int:pk>/daily-report/<str:fmt>/",
        api.EventDailyReport.as_view(),
        name="api-emergency-daily-report",
    ),
    path("tasks/<int:pk>/accept/", api.TaskAccept.as_view(), name="api-emergency-task-accept"),
    path("tasks/<int:pk>/complete/", api.TaskComplete.as_view(), name="api-emergency-task-done"),
    path("plans/", api.PlanList.as_view(), name="api-emergency-plans"),
    path("plans/<int:pk>/", api.PlanDetail.as_view(), name="api-emergency-plan"),
    path("plans/<int:pk>/drills/", api.PlanDrills.as_view(), name="api-emergency-drills"),
    path("plans/<int:pk>/file/", api.PlanFile.as_view(), name="api-emergency-plan-file"),
]
