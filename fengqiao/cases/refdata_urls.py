"""The administrator's reference-data pages under /reference/ (fengqiao.cases.views_refdata)."""

from django.urls import path

from fengqiao.cases import views_refdata as views

app_name = "refdata"
urlpatterns = [
    path("categories/", views.categories, name="categories"),
    path("categories/new/", views.category_new, name="category_new"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/deactivate/", views.category_deactivate, name="category_deactivate"),
    path("routing/", views.rules, name="rules"),
    path("routing/new/", views.rule_new, name="rule_new"),
    path("routing/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("routing/<int:pk>/deactivate/", views.rule_deactivate, name="rule_deactivate"),
]
