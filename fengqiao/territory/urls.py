from django.urls import path

from fengqiao.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.browser, name="browser"),
    path("tree/<int:region_id>/", views.tree_children, name="tree"),
    path("region/<int:region_id>/", views.region_detail, name="region"),
    path("grid/<int:grid_id>/", views.grid_detail, name="grid"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
]
