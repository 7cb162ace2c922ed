from django.urls import path

from fengqiao.webhooks import api

urlpatterns = [
    path("subscriptions/", api.SubscriptionListCreate.as_view(), name="api-webhook-subscriptions"),
    path(
        "subscriptions/<int:pk>/",
        api.SubscriptionDelete.as_view(),
        name="api-webhook-subscription",
    ),
    path(
        "deliveries/<int:pk>/replay/",
        api.DeliveryReplay.as_view(),
        name="api-webhook-delivery-replay",
    ),
]
