"""REST endpoints for regions and grids, scoped like the UI."""

from rest_framework import generics, serializers

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.territory.models import Grid, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "kind", "parent", "valid_from", "valid_to"]


class GridSerializer(serializers.ModelSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "community",
            "community_code",
            "kind",
            "site_type",
            "boundary",
        ]


class RegionList(generics.ListAPIView):
    serializer_class = RegionSerializer

    def get_queryset(self):
        return access_for(self.request.user).regions(Perm.TERRITORY_VIEW).order_by("code")


class GridList(generics.ListAPIView):
    serializer_class = GridSerializer

    def get_queryset(self):
        return (
            access_for(self.request.user)
            .grids(Perm.TERRITORY_VIEW)
            .select_related("community")
            .order_by("code")
        )
