from django.urls import path

from fengqiao.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("tokens/", views.TokenListCreate.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", views.TokenRevoke.as_view(), name="api-token-revoke"),
    path("admin/tokens/", views.ManagedTokenList.as_view(), name="api-managed-tokens"),
    path(
        "admin/tokens/<int:pk>/",
        views.ManagedTokenRevoke.as_view(),
        name="api-managed-token-revoke",
    ),
]
