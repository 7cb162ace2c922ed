from django.urls import path

from fengqiao.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/screen/", views.screen, name="screen"),
    path("operations/<int:pk>/", views.operation, name="operation"),
]
