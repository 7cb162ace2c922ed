"""Houses, households, places and organisations in the districts' layout.

Each row goes through the desk form's own checks and action (`records.clean_record` to
validate, `records.save_record` to write: scope, audit, encrypted phones); the X-extension
fields of the registry follow as extra columns, headed by their labels.

Special columns:
- 场所类别 (places): the place kind's name (or its code).
- 所在房屋 (households): the house's code (房屋编码), or its address when it has no code; the
  house must be one of the importer's area in the same grid.
- 成员身份证号 (households): the members' ID numbers, separated by 、 ， , ； ; or spaces. Each
  must be a resident of the importer's area in the household's grid who belongs to no other
  household; they are linked through `services.save_resident` (the resident form's action).
  The export lists the members who have an ID number.

The same record twice (in the file, or registered already) is refused: a house by grid and
address; a household by grid and number (without a number: address and head); a place by
grid, name and address; an organisation by credit code (without one: grid and name).
"""

import re
from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.access import Access
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import FieldError, InvalidInput
from fengqiao.core.masking import mask_id_number
from fengqiao.registry import crypto, records, services
from fengqiao.registry.importing.engine import Column, Layout, Row, RowInvalid, extension_columns
from fengqiao.registry.models import House, Household, Organisation, PlaceKind, Resident

GRID = ("网格编码", "grid")
# Chinese label → stored value of each choice column.
CHOICES: dict[str, dict[str, dict[str, str]]] = {
    "houses": {
        "use": {
            "住宅": House.Use.RESIDENTIAL,
            "商业": House.Use.COMMERCIAL,
            "商住混合": House.Use.MIXED,
            "其他": House.Use.OTHER,
        },
        "tenure": {
            "自住": House.Tenure.OWNER,
            "出租": House.Tenure.RENTED,
            "空置": House.Tenure.VACANT,
            "其他": House.Tenure.OTHER,
        },
    },
    "households": {
        "kind": {"家庭户": Household.Kind.FAMILY, "集体户": Household.Kind.COLLECTIVE},
    },
    "organisations": {
        "kind": {
            "非公有制经济组织": Organisation.Kind.NON_PUBLIC_ENTERPRISE,
            "社会组织": Organisation.Kind.SOCIAL_ORGANISATION,
        },
    },
}
# The layouts: (column header, field of records.SPECS, or "members").
LAYOUTS: dict[str, list[tuple[str, str]]] = {
    "houses": [
        GRID,
        ("房屋地址", "address"),
        ("房屋编码", "building_code"),
        ("房屋用途", "use"),
        ("使用情况", "tenure"),
        ("建筑面积（平方米）", "area"),
        ("产权人", "owner_name"),
        ("产权人联系电话", "owner_phone"),
        ("终止日期", "ended_on"),
    ],
    "households": [
        GRID,
        ("户号", "number"),
        ("户别", "kind"),
        ("住址", "address"),
        ("户主姓名", "head_name"),
        ("所在房屋", "house"),
        ("成员身份证号", "members"),
        ("终止日期", "ended_on"),
    ],
    "places": [
        GRID,
        ("场所名称", "name"),
        ("场所类别", "kind"),
        ("场所地址", "address"),
        ("负责人", "principal"),
        ("负责人联系电话", "principal_phone"),
        ("许可证号", "licence_number"),
        ("经度", "lon"),
        ("纬度", "lat"),
        ("治安重点场所", "key_place"),
        ("备注", "notes"),
        ("终止日期", "ended_on"),
    ],
    "organisations": [
        GRID,
        ("组织名称", "name"),
        ("组织类别", "kind"),
        ("统一社会信用代码", "credit_code"),
        ("法定代表人", "legal_representative"),
        ("联系电话", "phone"),
        ("地址", "address"),
        ("从业人数", "employees"),
        ("已建党组织", "has_party_organisation"),
        ("已建工会", "has_union"),
        ("终止日期", "ended_on"),
    ],
}
# records.Field types → column types (the others are plain text).
COLUMN_TYPE = {
    "date": "date",
    "decimal": "number",
    "int": "number",
    "coord": "number",
    "choice": "choice",
    "bool": "bool",
    "phone": "secret",
    "place_kind": "place_kind",
    "house": "house",
}
SEPARATORS = re.compile(r"[、，,；;\s]+")
TITLES = {
    "houses": (gettext_lazy("Import houses"), gettext_lazy("Export houses")),
    "households": (gettext_lazy("Import households"), gettext_lazy("Export households")),
    "places": (gettext_lazy("Import places"), gettext_lazy("Export places")),
    "organisations": (
        gettext_lazy("Import organisations"),
        gettext_lazy("Export organisations"),
    ),
}


class RecordLayout(Layout):
    """A registry of records.SPECS in its spreadsheet layout."""

    key_fields: tuple[str, ...] = ()

    def __init__(self, slug: str):
        self.slug = slug
        self.spec = records.SPECS[slug]
        self.model = self.spec.model
        self.key_field = self.key_fields[0]

    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def import_title(self) -> str:
        return str(TITLES[self.slug][0])

    def export_title(self) -> str:
        return str(TITLES[self.slug][1])

    def columns(self) -> list[Column]:
        fields = {f.name: f for f in self.spec.fields}
        cols = []
        for header, name in LAYOUTS[self.slug]:
            f = fields.get(name)
            if name == "grid":
                cols.append(Column(header, name, "grid", required=True))
            elif f is None:
                cols.append(Column(header, name, name))
            else:
                kind = COLUMN_TYPE.get(f.type, "text")
                choices = CHOICES.get(self.slug, {}).get(name) if kind == "choice" else None
                cols.append(Column(header, name, kind, choices, required=f.required))
        defs = records.extension_fields(self.spec, None)
        return cols + extension_columns(defs, (h for h, _f in LAYOUTS[self.slug]))

    def clean(self, access: Access, data: dict[str, Any]) -> dict[str, Any]:
        return records.clean_record(access, self.spec, data, current=None)

    def existing_filter(self, keys: set[Any]) -> Q:
        return Q(grid_id__in={k[1] for k in keys if k[1] is not None})

    def existing(self, keys: set[Any]) -> set[Any]:
        if not keys:
            return set()
        rows = (
            self.model._default_manager.filter(self.existing_filter(keys))
            .filter(anonymised_at__isnull=True)
            .values("grid_id", *self.key_fields)
        )
        return {k for k in (self.key(v) for v in rows.iterator()) if k in keys}

    def save(self, actor: Any, rows: list[Row]) -> None:
        for row in rows:
            try:
                records.save_record(actor, self.spec, row.data)
            except InvalidInput as e:
                raise RowInvalid(row.number, e) from None


class Houses(RecordLayout):
    key_fields = ("address",)

    def key(self, values: Mapping[str, Any]) -> Any:
        return ("a", values["grid_id"], values["address"])

    def duplicate_reason(self) -> str:
        return _("A house with this address is already registered in the grid.")


class Places(RecordLayout):
    key_fields = ("name", "address")

    def key(self, values: Mapping[str, Any]) -> Any:
        return ("n", values["grid_id"], values["name"], values["address"])

    def duplicate_reason(self) -> str:
        return _("A place with this name and address is already registered in the grid.")

    def notes(self) -> list[str]:
        kinds = "、".join(PlaceKind.objects.filter(active=True).values_list("name", flat=True))
        return [_("%(column)s: one of %(kinds)s.") % {"column": "场所类别", "kinds": kinds}]

    def parse(
        self, ctx: dict[str, Any], col: Column, raw: str, data: dict[str, Any]
    ) -> tuple[Any, str | None]:
        if col.type != "place_kind":
            return super().parse(ctx, col, raw, data)
        if not raw:
            return "", None
        if "place_kinds" not in ctx:
            kinds = list(PlaceKind.objects.filter(active=True))
            by_name: dict[str, list[int]] = {}
            for k in kinds:
                by_name.setdefault(k.name, []).append(k.pk)
            ctx["place_kinds"] = ({k.code: k.pk for k in kinds}, by_name)
        codes, names = ctx["place_kinds"]
        if raw in codes:
            return str(codes[raw]), None
        if len(names.get(raw, [])) == 1:
            return str(names[raw][0]), None
        return None, _("Choose one of: %(choices)s.") % {"choices": "、".join(names)}

    def export_queryset(self, qs: Any) -> Any:
        return qs.select_related("kind")

    def export_cell(
        self, access: Access, ctx: dict[str, Any], obj: Any, col: Column, allowed: bool
    ) -> str:
        if col.type == "place_kind":
            return str(obj.kind.name)
        return super().export_cell(access, ctx, obj, col, allowed)


class Organisations(RecordLayout):
    key_fields = ("credit_code", "name")

    def key(self, values: Mapping[str, Any]) -> Any:
        if values["credit_code"]:
            return ("c", None, values["credit_code"])
        return ("n", values["grid_id"], values["name"])

    def key_column(self, key: Any) -> str:
        return "credit_code" if key[0] == "c" else "name"

    def existing_filter(self, keys: set[Any]) -> Q:
        codes = {k[2] for k in keys if k[0] == "c"}
        return super().existing_filter(keys) | Q(credit_code__in=codes)

    def duplicate_reason(self) -> str:
        return _("This organisation is already registered.")


class Households(RecordLayout):
    key_fields = ("number", "address", "head_name")

    def key(self, values: Mapping[str, Any]) -> Any:
        if values["number"]:
            return ("n", values["grid_id"], values["number"])
        return ("a", values["grid_id"], values["address"], values["head_name"])

    def key_column(self, key: Any) -> str:
        return "number" if key[0] == "n" else "address"

    def duplicate_reason(self) -> str:
        return _("This household is already registered in the grid.")

    def notes(self) -> list[str]:
        return [
            _(
                "%(column)s: the house code, or the address of a house without a code, in the "
                "same grid."
            )
            % {"column": "所在房屋"},
            _(
                "%(column)s: the ID numbers of the members, separated by 、 or ，; each a "
                "resident of your area in the same grid who belongs to no other household."
            )
            % {"column": "成员身份证号"},
        ]

    def parse(
        self, ctx: dict[str, Any], col: Column, raw: str, data: dict[str, Any]
    ) -> tuple[Any, str | None]:
        if col.type == "members":
            return [crypto.normalise_id(x) for x in SEPARATORS.split(raw) if x], None
        if col.type != "house":
            return super().parse(ctx, col, raw, data)
        grid = data.get("grid")
        if not raw or not grid:
            return "", None  # no house; or a bad grid, reported at its column
        houses = ctx.setdefault("houses", {})
        if grid.pk not in houses:
            by_code: dict[str, list[int]] = {}
            by_address: dict[str, list[int]] = {}
            qs = services.visible(ctx["access"], House, Perm.REGISTRY_EDIT).filter(
                grid=grid, anonymised_at__isnull=True
            )
            for pk, code, address in qs.values_list("pk", "building_code", "address"):
                if code:
                    by_code.setdefault(code, []).append(pk)
                by_address.setdefault(address, []).append(pk)
            houses[grid.pk] = (by_code, by_address)
        by_code, by_address = houses[grid.pk]
        found = by_code.get(raw) or by_address.get(raw) or []
        if len(found) > 1:
            return None, _("Several houses match: give the house code.")
        if not found:
            return None, _("No house with this code or address in the grid.")
        return str(found[0]), None

    def check(self, ctx: dict[str, Any], row: Row) -> list[FieldError]:
        numbers = row.data.get("members") or []
        grid = row.data.get("grid")
        if not numbers or not grid:
            return []  # no members; or a bad grid, reported at its column
        hashes = [crypto.id_hash(n) for n in numbers]
        residents = {
            r.id_hash: r
            for r in services.visible(ctx["access"], Resident, Perm.REGISTRY_EDIT)
            .filter(id_hash__in=hashes, anonymised_at__isnull=True)
            .only("id", "grid_id", "household_id", "id_hash")
        }
        seen = ctx.setdefault("members", {})
        errors, members = [], []
        for number, h in zip(numbers, hashes, strict=True):
            who = {"id": mask_id_number(number)}
            r = residents.get(h)
            if r is None:
                problem = _("No resident with the ID number %(id)s in your area.") % who
            elif r.grid_id != grid.pk:
                problem = _("The resident %(id)s lives in another grid.") % who
            elif r.household_id:
                problem = _("The resident %(id)s belongs to another household.") % who
            elif h in seen:
                problem = _("The resident %(id)s is also listed in row %(row)d.") % {
                    **who,
                    "row": seen[h],
                }
            else:
                seen[h] = row.number
                members.append(r.pk)
                continue
            errors.append(FieldError("members", "invalid", problem))
        row.extra["members"] = members
        return errors

    def save(self, actor: Any, rows: list[Row]) -> None:
        for row in rows:
            try:
                household = records.save_record(actor, self.spec, row.data)
                for pk in row.extra.get("members", []):
                    services.save_resident(actor, {"household": household.pk}, pk)
            except services.RecordNotFound as e:
                raise RowInvalid(row.number, InvalidInput("members", "invalid", str(e))) from None
            except InvalidInput as e:
                raise RowInvalid(row.number, e) from None

    def export_context(self, access: Access, batch: list[Any], full: bool) -> dict[str, Any]:
        house_ids = {o.house_id for o in batch if o.house_id}
        houses = {
            pk: code or address
            for pk, code, address in House.objects.filter(pk__in=house_ids).values_list(
                "pk", "building_code", "address"
            )
        }
        members = list(
            services.visible(access, Resident)
            .filter(household__in=[o.pk for o in batch], anonymised_at__isnull=True)
            .exclude(id_hash="")
            .order_by("id")
        )
        sensitive: set[int] = set()
        if full:
            sensitive = set(
                access.visible(
                    Resident.objects.filter(pk__in=[r.pk for r in members]), Perm.SENSITIVE_VIEW
                ).values_list("pk", flat=True)
            )
        by_household: dict[int, list[Resident]] = {}
        for r in members:
            by_household.setdefault(r.household_id or 0, []).append(r)
        return {"houses": houses, "members": by_household, "member_sensitive": sensitive}

    def export_cell(
        self, access: Access, ctx: dict[str, Any], obj: Any, col: Column, allowed: bool
    ) -> str:
        if col.type == "house":
            return str(ctx["houses"].get(obj.house_id, ""))
        if col.type == "members":
            return "、".join(
                services.disclosed(
                    access,
                    r,
                    "id_number",
                    allowed=r.pk in ctx["member_sensitive"],
                    purpose="export",
                )
                for r in ctx["members"].get(obj.pk, [])
            )
        return super().export_cell(access, ctx, obj, col, allowed)


HOUSES = Houses("houses")
HOUSEHOLDS = Households("households")
PLACES = Places("places")
ORGANISATIONS = Organisations("organisations")
