"""Residents in the districts' layout: validated by `services.clean_resident` (the form's and
the API's checks), the same ID number twice (in the file, or registered already) refused,
saved in bulk with one audit entry for the import."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access
from fengqiao.registry import crypto, extensions, services
from fengqiao.registry.importing.engine import Column, Layout, Row, extension_columns
from fengqiao.registry.models import Base, IdType, Resident, Sex

# The layout: (column header, field). Choice columns hold the Chinese labels below.
COLUMNS = [
    ("网格编码", "grid"),
    ("姓名", "name"),
    ("性别", "sex"),
    ("人口类型", "kind"),
    ("留守类型", "left_behind"),
    ("证件类型", "id_type"),
    ("公民身份号码", "id_number"),
    ("出生日期", "birth_date"),
    ("民族", "ethnicity"),
    ("籍贯", "native_place"),
    ("学历", "education"),
    ("职业", "occupation"),
    ("联系电话", "phone"),
    ("户籍地详址", "registered_address"),
    ("现住地详址", "current_address"),
    ("健康状况", "health"),
]
HEADER_OF = {f: h for h, f in COLUMNS}
CHOICES: dict[str, dict[str, str]] = {
    "sex": {"男": Sex.MALE, "女": Sex.FEMALE, "未知": Sex.UNKNOWN},
    "kind": {
        "户籍人口": Resident.Kind.REGISTERED,
        "流动人口": Resident.Kind.FLOATING,
        "境外人员": Resident.Kind.OVERSEAS,
    },
    "left_behind": {
        "": "",
        "留守儿童": Resident.LeftBehind.CHILD,
        "留守老人": Resident.LeftBehind.ELDERLY,
        "留守妇女": Resident.LeftBehind.WOMAN,
    },
    "id_type": {
        "": IdType.RESIDENT_ID,
        "居民身份证": IdType.RESIDENT_ID,
        "护照": IdType.PASSPORT,
        "其他": IdType.OTHER,
    },
}
LABEL_OF = {f: {v: k for k, v in m.items() if k} for f, m in CHOICES.items()}
SECRET = ("id_number", "phone", "health")


def _type(f: str) -> str:
    if f == "grid":
        return "grid"
    if f in CHOICES:
        return "choice"
    if f == "birth_date":
        return "date"
    return "secret" if f in SECRET else "text"


class Residents(Layout):
    slug = "residents"
    model = Resident
    key_field = "id_number"

    def title(self) -> str:
        return _("Residents")

    def import_title(self) -> str:
        return _("Import residents")

    def export_title(self) -> str:
        return _("Export residents")

    def columns(self) -> list[Column]:
        cols = [
            Column(h, f, _type(f), CHOICES.get(f), required=f in ("grid", "name", "kind"))
            for h, f in COLUMNS
        ]
        defs = extensions.fields_for_base(Base.RESIDENT)
        return cols + extension_columns(defs, HEADER_OF.values())

    def clean(self, access: Access, data: dict[str, Any]) -> dict[str, Any]:
        return services.clean_resident(access, data, current=None)

    def key(self, values: Mapping[str, Any]) -> Any:
        return crypto.id_hash(values["id_number"]) if values.get("id_number") else None

    def existing(self, keys: set[Any]) -> set[Any]:
        hashes, found = list(keys), set[Any]()
        for i in range(0, len(hashes), 1000):
            found.update(
                Resident.objects.filter(
                    id_hash__in=hashes[i : i + 1000], anonymised_at__isnull=True
                ).values_list("id_hash", flat=True)
            )
        return found

    def duplicate_reason(self) -> str:
        return _("A resident with this ID number is already registered.")

    def same_reason(self, row: int) -> str:
        return _("The same ID number is in row %(row)d.") % {"row": row}

    def save(self, actor: Any, rows: list[Row]) -> None:
        objs = []
        for row in rows:
            r = Resident()
            for k, v in row.clean.items():
                setattr(r, k, v)
            objs.append(r)
        Resident.objects.bulk_create(objs, batch_size=1000)


RESIDENTS = Residents()
