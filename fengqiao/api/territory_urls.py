from django.urls import path

from fengqiao.api import territory as api

urlpatterns = [
    path("regions/", api.RegionList.as_view(), name="api-regions"),
    path("grids/", api.GridList.as_view(), name="api-grids"),
    path("locate/", api.LocateView.as_view(), name="api-locate"),
]
