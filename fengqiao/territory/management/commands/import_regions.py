from fengqiao.territory.imports import import_regions
from fengqiao.territory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import regions from a CSV file (code,name,level|kind,parent_code,valid_from,valid_to): "
        "all rows or none."
    )
    importer = staticmethod(import_regions)
