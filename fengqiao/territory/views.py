"""Territory pages: the browser (tree + map) and the GeoJSON of the grids a user may see."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm


@login_required
def grids_geojson(request: HttpRequest) -> JsonResponse:
    grids = access_for(request.user).grids(Perm.TERRITORY_VIEW).select_related("community")
    features = [
        {
            "type": "Feature",
            "id": g.pk,
            "geometry": g.boundary,
            "properties": {"code": g.code, "name": g.name, "community": g.community.name},
        }
        for g in grids
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
