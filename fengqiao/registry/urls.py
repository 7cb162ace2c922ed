"""Registry pages under /registry/."""

from django.urls import path

from fengqiao.registry import views, views_io, views_records

app_name = "registry"

urlpatterns = [
    path("", views.residents, name="residents"),
    path("residents/new/", views_records.resident_edit, name="resident_new"),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/<int:pk>/edit/", views_records.resident_edit, name="resident_edit"),
    path("residents/import/", views_io.import_records, {"kind": "residents"}, name="import"),
    path("residents/export/", views_io.export_records, {"kind": "residents"}, name="export"),
    path("houses/", views.houses, name="houses"),
    path("households/", views.households, name="households"),
    path("places/", views.places, name="places"),
    path("organisations/", views.organisations, name="organisations"),
    path("records/", views.extra_records, name="extra_records"),
    path("key-persons/", views.key_persons, name="key_persons"),
    path("key-persons/<int:pk>/", views.key_person, name="key_person"),
    path("visits/due/", views.visits_due, name="visits_due"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
    path("imports/<int:pk>/", views_io.import_job, name="import_job"),
    path("imports/<int:pk>/file/", views_io.import_job_file, name="import_job_file"),
    # residents, houses, households, places, organisations (importing.LAYOUTS); others 404
    path("<slug:kind>/import/", views_io.import_records, name="import_kind"),
    path("<slug:kind>/export/", views_io.export_records, name="export_kind"),
    # houses, households, places, organisations, records (records.SPECS); other segments 404
    path("<slug:kind>/new/", views_records.record_edit, name="record_new"),
    path("<slug:kind>/<int:pk>/", views_records.record, name="record"),
    path("<slug:kind>/<int:pk>/edit/", views_records.record_edit, name="record_edit"),
]
