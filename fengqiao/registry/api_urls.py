"""Basic data endpoints under /api/v1/registry/."""

from django.urls import path

from fengqiao.registry import api

urlpatterns = [
    path("residents/", api.ResidentList.as_view(), name="api-registry-residents"),
    path("residents/<int:pk>/", api.ResidentDetail.as_view(), name="api-registry-resident"),
    path("households/", api.HouseholdList.as_view(), name="api-registry-households"),
    path("houses/", api.HouseList.as_view(), name="api-registry-houses"),
    path("places/", api.PlaceList.as_view(), name="api-registry-places"),
    path("organisations/", api.OrganisationList.as_view(), name="api-registry-organisations"),
    path("records/", api.ExtraRecordList.as_view(), name="api-registry-records"),
    path("key-person-kinds/", api.KeyPersonKindList.as_view(), name="api-registry-kinds"),
    path("key-persons/", api.KeyPersonList.as_view(), name="api-registry-key-persons"),
    path("key-persons/<int:pk>/", api.KeyPersonDetail.as_view(), name="api-registry-key-person"),
    path("key-persons/<int:pk>/visits/", api.VisitList.as_view(), name="api-registry-visits"),
    path("visits/due/", api.VisitsDue.as_view(), name="api-registry-visits-due"),
]
