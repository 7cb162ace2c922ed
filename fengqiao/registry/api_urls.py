"""Basic data endpoints under /api/v1/registry/."""

from django.urls import path

from fengqiao.registry import api, api_records

urlpatterns = [
    path("residents/", api.ResidentList.as_view(), name="api-registry-residents"),
    path("residents/<int:pk>/", api.ResidentDetail.as_view(), name="api-registry-resident"),
    path(
        "households/",
        api_records.LIST_CREATE_VIEWS["households"].as_view(),
        name="api-registry-households",
    ),
    path(
        "households/<int:pk>/",
        api_records.DETAIL_VIEWS["households"].as_view(),
        name="api-registry-household",
    ),
    path("houses/", api_records.LIST_CREATE_VIEWS["houses"].as_view(), name="api-registry-houses"),
    path(
        "houses/<int:pk>/",
        api_records.DETAIL_VIEWS["houses"].as_view(),
        name="api-registry-house",
    ),
    path("places/", api_records.LIST_CREATE_VIEWS["places"].as_view(), name="api-registry-places"),
    path(
        "places/<int:pk>/",
        api_records.DETAIL_VIEWS["places"].as_view(),
        name="api-registry-place",
    ),
    path(
        "organisations/",
        api_records.LIST_CREATE_VIEWS["organisations"].as_view(),
        name="api-registry-organisations",
    ),
    path(
        "organisations/<int:pk>/",
        api_records.DETAIL_VIEWS["organisations"].as_view(),
        name="api-registry-organisation",
    ),
    path("records/", api.ExtraRecordList.as_view(), name="api-registry-records"),
    path("key-person-kinds/", api.KeyPersonKindList.as_view(), name="api-registry-kinds"),
    path("key-persons/", api.KeyPersonList.as_view(), name="api-registry-key-persons"),
    path("key-persons/<int:pk>/", api.KeyPersonDetail.as_view(), name="api-registry-key-person"),
    path("key-persons/<int:pk>/visits/", api.VisitList.as_view(), name="api-registry-visits"),
    path("visits/due/", api.VisitsDue.as_view(), name="api-registry-visits-due"),
]
