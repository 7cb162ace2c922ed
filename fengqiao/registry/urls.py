"""Registry pages under /registry/."""

from django.urls import path

from fengqiao.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.residents, name="residents"),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/import/", views.import_residents, name="import"),
    path("residents/export/", views.export_residents, name="export"),
    path("households/", views.households, name="households"),
    path("places/", views.places, name="places"),
    path("organisations/", views.organisations, name="organisations"),
    path("key-persons/", views.key_persons, name="key_persons"),
    path("key-persons/<int:pk>/", views.key_person, name="key_person"),
    path("visits/due/", views.visits_due, name="visits_due"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
]
