from django.urls import path

from fengqiao.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/screen/", views.screen, name="screen"),
    path("<int:pk>/ledger/", views.ledger, name="ledger"),
    path("<int:pk>/not-screened/", views.not_screened, name="not_screened"),
    path("operations/<int:pk>/", views.operation, name="operation"),
]
