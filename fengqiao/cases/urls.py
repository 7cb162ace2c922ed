"""Staff case pages under /cases/."""

from django.urls import path

from fengqiao.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("new/", views.intake, name="intake"),
    path("new/duplicates/", views.duplicates, name="duplicates"),
    path("patrol/", views.patrol, name="patrol"),
    path("map/", views.case_map, name="map"),
    path("map.geojson", views.cases_geojson, name="geojson"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<slug:name>/", views.case_action, name="act"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_file, name="attachment_file"),
]
