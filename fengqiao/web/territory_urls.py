from django.urls import path

from fengqiao.web import territory as views

app_name = "territory"
urlpatterns = [
    path("", views.browser, name="browser"),
    path("tree/<int:region_id>/", views.tree_children, name="tree"),
    path("region/<int:region_id>/", views.region_detail, name="region"),
    path("grid/<int:grid_id>/", views.grid_detail, name="grid"),
    path("edit/", views.map_edit, name="edit"),
    path("edit/grid/new/", views.map_new_grid, name="edit_new_grid"),
    path("edit/grid/<int:grid_id>/", views.map_edit_grid, name="edit_grid"),
    path("edit/region/<int:region_id>/outline/", views.map_edit_outline, name="edit_outline"),
    path("edit/region/<int:region_id>/derive/", views.map_derive_outline, name="derive_outline"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
    path("regions.geojson", views.regions_geojson, name="regions_geojson"),
]
