"""Pages of responsibility letters and assessment under /accountability/."""

from django.urls import path

from . import views

app_name = "accountability"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<int:pk>/", views.letter, name="letter"),
    path("letters/<int:pk>/letter.<str:fmt>", views.letter_document, name="document"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("schemes/<int:pk>/", views.scheme, name="scheme"),
    path("<slug:name>/<int:pk>/", views.act, name="act"),
]
