from django.urls import path

from fengqiao.api import org as api

urlpatterns = [
    path("units/", api.UnitList.as_view(), name="api-units"),
    path("staff/", api.StaffList.as_view(), name="api-staff"),
]
