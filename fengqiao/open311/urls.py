"""GeoReport v2 under /open311/v2/: every resource in .json and .xml."""

from django.urls import re_path

from fengqiao.open311 import views

F = r"\.(?P<fmt>json|xml)$"
app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^services" + F, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+)" + F, views.service_definition, name="service"),
    re_path(r"^requests" + F, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + F, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + F, views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
