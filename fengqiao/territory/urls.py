from django.urls import path

from fengqiao.territory import views

app_name = "territory"
urlpatterns = [
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
]
