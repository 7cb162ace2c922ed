"""Staff UI shell: the home page of each role."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    regions = access.regions(Perm.TERRITORY_VIEW).filter(level__lte=4)[:20]
    return render(request, "web/home.html", {"regions": regions})
