from fengqiao.territory.imports import import_grids
from fengqiao.territory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import grids from a GeoJSON FeatureCollection (properties code, name, community_code, "
        "kind, site_type): all features or none."
    )
    importer = staticmethod(import_grids)
