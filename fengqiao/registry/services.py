"""Registry actions and scoped reads: every change of a registry row goes through here.

A change: scope check over the target grid (registry.edit), validation (InvalidInput names
every bad field; nothing saved), the row locked (select_for_update) when it exists, the audit
entry (core.audit) in the same transaction. Reads: `visible(actor, Model)` and `get(...)`
(404 for rows outside the scope: not found and not yours look the same).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import CaseError, FieldError, InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.core.masking import log_sensitive_read, mask_id_number, mask_phone
from fengqiao.core.validators import is_valid_citizen_id, is_valid_phone, normalize_phone
from fengqiao.registry import crypto, extensions
from fengqiao.registry.models import (
    Base,
    GridWorker,
    House,
    Household,
    IdType,
    KeyPerson,
    KeyPersonKind,
    Resident,
    Sex,
)
from fengqiao.territory.models import Grid

M = TypeVar("M", bound=models.Model)
HIDDEN = "***"


class RecordNotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", _("No such record, or it is outside your area."))


def _access(actor: Any) -> Access:
    return actor if isinstance(actor, Access) else access_for(actor)


def visible(actor: Any, model: type[M], perm: str = Perm.REGISTRY_VIEW) -> QuerySet[M]:
    return _access(actor).visible(model._default_manager.all(), perm)


def get(actor: Any, model: type[M], pk: Any, perm: str = Perm.REGISTRY_VIEW) -> M:
    return _access(actor).get(model._default_manager.all(), pk, perm, missing=RecordNotFound)


def search_residents(qs: QuerySet[Resident], q: str) -> QuerySet[Resident]:
    """An ID number (exact, through the keyed hash) or the start of a name."""
    q = (q or "").strip()
    if not q:
        return qs
    normal = crypto.normalise_id(q)
    if len(normal) >= 15 and normal[:-1].isdigit():
        return qs.filter(id_hash=crypto.id_hash(normal))
    return qs.filter(name__startswith=q[:50])


def search_key_persons(qs: QuerySet[KeyPerson], q: str) -> QuerySet[KeyPerson]:
    """The key persons of `qs` whose resident matches `q` (search_residents), as `qs` filtered
    by their ids, read first in one query (index-only probes by resident, no order, no limit).

    One query joining the name search, the scope and the page's order and limit let PostgreSQL
    sort or walk all 50,000 key persons of a district and probe each one's resident, hoping to
    meet the page's rows early (2.8 s for 吕涛 at 1 M residents; bench/RESULTS.md)."""
    matching = qs.filter(resident__in=search_residents(Resident.objects.all(), q))
    return qs.filter(pk__in=list(matching.values_list("pk", flat=True)))


def by_due_date(qs: QuerySet[KeyPerson], searching: bool) -> QuerySet[KeyPerson]:
    """Key persons by next visit due (none due last), then id.

    When searching, the order is on an expression no index holds: PostgreSQL then reads the
    few matches (by the name index) and sorts them, instead of walking the due-date index of
    every key person in the hope of meeting 50 matches early (the LIMIT trap: 1.7 s for a
    common name start such as 李秀 at 50,000 key persons; bench/RESULTS.md)."""
    if searching:
        return qs.order_by(Coalesce("next_visit_due", Value(date.max)), "id")
    return qs.order_by("next_visit_due", "id")


@contextmanager
def planned_per_search() -> Iterator[None]:
    """Run a search's queries (its count and its page) with plans made for its own values.

    With persistent connections a statement run twice is prepared (settings: PG_PREPARE), and
    after five runs PostgreSQL may keep one generic plan for every value. For a search by the
    start of a name that plan can use no index on the name (the pattern is unknown) and takes
    the scope's `path LIKE $1` for one region: at 1 M residents it read all 50,000 key persons
    of a district (0.7 s) where the plan for the value reads 751 residents by the name index
    (12 ms; bench/RESULTS.md). The statements stay prepared (no parsing); only the plan is
    made per run, inside a transaction of its own (SET LOCAL ends with it)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


# -- disclosure ------------------------------------------------------------------------------


def may_see_sensitive(access: Access, obj: models.Model) -> bool:
    """Station and center staff (sensitive.view over the grid) see ID numbers, phones and
    health; grid workers see them masked, except the phone of a key person they visit."""
    return access.has_perm(Perm.SENSITIVE_VIEW) and access.holds(obj, Perm.SENSITIVE_VIEW)


def disclosed(
    access: Access, obj: models.Model, field: str, *, allowed: bool, purpose: str = ""
) -> str:
    """The value of the encrypted `field` of `obj`, unmasked (and the read logged) only if
    `allowed`; masked otherwise."""
    value = getattr(obj, field)
    if not value:
        return ""
    if allowed:
        log_sensitive_read(access.user, obj, field, purpose)
        return value
    if field in ("id_number",):
        return mask_id_number(value)
    if field.endswith("phone"):
        return mask_phone(value)
    return HIDDEN


def responsible_for(access: Access, resident: Resident) -> bool:
    worker = getattr(access.user, "grid_worker", None) if access.user else None
    if worker is None:
        return False
    return KeyPerson.objects.filter(resident=resident, responsible=worker, active=True).exists()


# -- residents -------------------------------------------------------------------------------

RESIDENT_TEXT = (
    "name",
    "former_name",
    "ethnicity",
    "native_place",
    "marital_status",
    "political_status",
    "education",
    "religion",
    "occupation",
    "workplace",
    "registered_address",
    "current_address",
    "inflow_reason",
    "permit_number",
    "relation_to_head",
)


def _text(data: Mapping[str, Any], name: str, max_length: int, errors: list[FieldError]) -> str:
    raw = data.get(name)
    value = "" if raw is None else str(raw).strip()
    if "\x00" in value:
        errors.append(FieldError(name, "invalid", _("Enter text without NUL characters.")))
    elif len(value) > max_length:
        errors.append(
            FieldError(name, "max_length", _("At most %(n)d characters.") % {"n": max_length})
        )
    return value


def _date(data: Mapping[str, Any], name: str, errors: list[FieldError]) -> date | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.append(FieldError(name, "invalid", _("Enter a date as YYYY-MM-DD.")))
        return None


def _grid(access: Access, raw: Any, errors: list[FieldError]) -> Grid | None:
    grid = None
    if isinstance(raw, Grid):
        grid = raw
    elif raw not in (None, ""):
        try:
            grid = Grid.objects.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            grid = None
    if grid is None or not access.holds(grid, Perm.REGISTRY_EDIT):
        errors.append(FieldError("grid", "does_not_exist", _("Choose a grid of your area.")))
        return None
    return grid


def clean_resident(
    access: Access, data: Mapping[str, Any], *, current: Resident | None
) -> dict[str, Any]:
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    if current is None or "grid" in data:
        out["grid"] = _grid(access, data.get("grid"), errors)
    for name in RESIDENT_TEXT:
        if current is None or name in data:
            max_length = getattr(Resident._meta.get_field(name), "max_length", None) or 200
            out[name] = _text(data, name, max_length, errors)
    if (current is None or "name" in data) and not out.get("name"):
        errors.append(FieldError("name", "required", _("Enter the name.")))
    for name, choices, default in (
        ("kind", Resident.Kind.values, None),
        ("left_behind", Resident.LeftBehind.values, ""),
        ("sex", Sex.values, Sex.UNKNOWN),
        ("id_type", IdType.values, IdType.RESIDENT_ID),
    ):
        if current is None or name in data:
            value = data.get(name)
            value = default if value in (None, "") and default is not None else value
            if value not in choices:
                errors.append(FieldError(name, "choice", _("Choose one of the listed values.")))
            out[name] = value
    for name in ("birth_date", "arrived_on", "ended_on"):
        if current is None or name in data:
            out[name] = _date(data, name, errors)
    if current is None or "id_number" in data:
        number = crypto.normalise_id(str(data.get("id_number") or ""))
        id_type = out.get("id_type") or (current.id_type if current else IdType.RESIDENT_ID)
        if number and id_type == IdType.RESIDENT_ID and not is_valid_citizen_id(number):
            errors.append(
                FieldError("id_number", "invalid", _("This is not a valid citizen ID number."))
            )
        elif len(number) > 40 or "\x00" in number:
            errors.append(FieldError("id_number", "invalid", _("At most 40 characters.")))
        out["id_number"] = number
    if current is None or "phone" in data:
        phone = normalize_phone(str(data.get("phone") or ""))
        if phone and not is_valid_phone(phone):
            errors.append(FieldError("phone", "invalid", _("Enter a valid phone number.")))
        out["phone"] = phone
    if current is None or "health" in data:
        out["health"] = _text(data, "health", 500, errors)
    if current is None or "extra" in data:
        try:
            out["extra"] = extensions.clean_values(
                extensions.fields_for_base(Base.RESIDENT), data.get("extra")
            )
        except InvalidInput as e:
            errors.extend(e.errors)
    for name, model in (("household", Household), ("house", House)):
        if name not in data:
            continue
        raw = data.get(name)
        linked = None
        if raw not in (None, ""):
            linked = visible(access, model, Perm.REGISTRY_EDIT).filter(pk=_int(raw) or 0).first()
            grid = out.get("grid") or (current.grid if current else None)
            if linked is None or (grid is not None and linked.grid_id != grid.pk):
                errors.append(FieldError(name, "does_not_exist", _("Choose one of the same grid.")))
        out[name] = linked
    if errors:
        raise InvalidInput.many(errors)
    return out


def save_resident(
    actor: Any, data: Mapping[str, Any], resident: Resident | int | None = None
) -> Resident:
    """Create a resident, or change the given fields of one (registry.edit over its grid)."""
    access = _access(actor)
    if not access.has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    with transaction.atomic():
        current = None
        if resident is not None:
            get(access, Resident, getattr(resident, "pk", resident), Perm.REGISTRY_EDIT)
            current = Resident.objects.select_for_update().get(pk=getattr(resident, "pk", resident))
        clean = clean_resident(access, data, current=current)
        obj = current or Resident()
        before = audit.snapshot(obj) if current else {}
        for name, value in clean.items():
            setattr(obj, name, value)
        if current:
            obj.version += 1
        obj.save()
        after = audit.snapshot(obj)
        audit.record(
            access.user,
            "update" if current else "create",
            obj,
            _redacted(audit.diff(before, after)),
        )
        KeyPerson.objects.filter(resident=obj).exclude(grid=obj.grid_id).update(grid=obj.grid_id)
    return obj


# The ciphertext and hash columns, in words (the trail shows only that they changed).
SECRET_AUDIT_KEYS = {
    "id_number_ct": gettext_lazy("ID number (encrypted)"),
    "id_hash": gettext_lazy("ID number (look-up hash)"),
    "phone_ct": gettext_lazy("phone (encrypted)"),
    "owner_phone_ct": gettext_lazy("owner's phone (encrypted)"),
    "principal_phone_ct": gettext_lazy("principal's phone (encrypted)"),
    "health_ct": gettext_lazy("health (encrypted)"),
    "notes_ct": gettext_lazy("notes (encrypted)"),
}


def _redacted(changes: dict[str, Any]) -> dict[str, Any]:
    """No ciphertexts or hashes in the audit trail: only that they changed."""
    return {
        k: (["…", "…"] if k.endswith("_ct") or k == "id_hash" else v) for k, v in changes.items()
    }


def find_resident_by_id(actor: Any, id_number: str) -> Resident | None:
    h = crypto.id_hash(id_number)
    return visible(actor, Resident).filter(id_hash=h).first() if h else None


# -- key persons -----------------------------------------------------------------------------


def save_key_person(
    actor: Any, data: Mapping[str, Any], key_person: KeyPerson | int | None = None
) -> KeyPerson:
    """Put a resident in a key population (or change kind, risk level, worker, helping unit)."""
    from fengqiao.org.models import Unit

    access = _access(actor)
    if not access.has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    errors: list[FieldError] = []
    with transaction.atomic():
        current = None
        if key_person is not None:
            pk = _int(key_person) or 0
            get(access, KeyPerson, pk, Perm.REGISTRY_EDIT)
            current = KeyPerson.objects.select_for_update().get(pk=pk)
        obj = current or KeyPerson()
        before = audit.snapshot(obj) if current else {}
        if current is None:
            resident = (
                visible(access, Resident, Perm.REGISTRY_EDIT)
                .filter(pk=_int(data.get("resident")) or 0)
                .first()
            )
            if resident is None:
                errors.append(
                    FieldError("resident", "does_not_exist", _("Choose a resident of your area."))
                )
            else:
                obj.resident, obj.grid_id = resident, resident.grid_id
        if current is None or "kind" in data:
            kind = KeyPersonKind.objects.filter(pk=_int(data.get("kind")) or 0, active=True).first()
            if kind is None:
                errors.append(FieldError("kind", "does_not_exist", _("Choose a kind.")))
            else:
                obj.kind = kind
        if "risk_level" in data or current is None:
            raw = data.get("risk_level")
            level = _int(raw) if raw not in (None, "") else None
            if raw not in (None, "") and (level is None or not 0 <= level <= 5):
                errors.append(FieldError("risk_level", "invalid", _("Choose a level from 0 to 5.")))
            obj.risk_level = level
        if "responsible" in data:
            raw = data.get("responsible")
            worker = (
                access.grid_workers(Perm.REGISTRY_VIEW).filter(pk=_int(raw) or 0).first()
                if raw
                else None
            )
            if raw and worker is None:
                errors.append(
                    FieldError(
                        "responsible", "does_not_exist", _("Choose a grid worker of your area.")
                    )
                )
            obj.responsible = worker
        if "helping_unit" in data:
            raw = data.get("helping_unit")
            unit = Unit.objects.filter(pk=_int(raw) or 0, active=True).first() if raw else None
            if raw and unit is None:
                errors.append(FieldError("helping_unit", "does_not_exist", _("Choose a unit.")))
            obj.helping_unit = unit
        if "started_on" in data:
            obj.started_on = _date(data, "started_on", errors) or date.today()
        if "ended_on" in data:
            obj.ended_on = _date(data, "ended_on", errors)
            obj.active = obj.ended_on is None
        if "notes" in data:
            obj.notes = _text(data, "notes", 2000, errors)
        if "extra" in data or current is None:
            try:
                obj.extra = extensions.clean_values(
                    extensions.fields_for_base(Base.KEY_PERSON), data.get("extra")
                )
            except InvalidInput as e:
                errors.extend(e.errors)
        if errors:
            raise InvalidInput.many(errors)
        if obj.kind.has_risk_levels and obj.risk_level is None:
            raise InvalidInput("risk_level", "required", _("This kind needs a risk level."))
        if obj.responsible is None and current is None:
            obj.responsible = (
                GridWorker.objects.filter(grids=obj.grid_id, active=True).order_by("id").first()
            )
        if obj.next_visit_due is None or (current and ("kind" in data or "risk_level" in data)):
            obj.next_visit_due = obj.schedule_from(obj.last_visit_on or obj.started_on)
        if current:
            obj.version += 1
        obj.save()
        audit.record(
            access.user,
            "update" if current else "create",
            obj,
            _redacted(audit.diff(before, audit.snapshot(obj))),
        )
    return obj


def _int(raw: Any) -> int | None:
    if isinstance(raw, models.Model):
        return int(raw.pk)
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def linked_cases(actor: Any, resident: Resident) -> tuple[list[Any], list[Any]]:
    """Cases and mediations where this resident is a party (matched by ID number), as far as
    the actor may see them."""
    from fengqiao.cases.models import Case, Party
    from fengqiao.mediation.models import Mediation

    number = resident.id_number
    if not number:
        return [], []
    access = _access(actor)
    party_cases = Party.objects.filter(id_number=number).values("case_id")
    cases = list(
        access.visible(Case.objects.filter(pk__in=party_cases), Perm.CASE_VIEW).order_by("-id")[:50]
    )
    mediations = list(
        Mediation.objects.filter(case__in=[c.pk for c in cases])
        .select_related("case")
        .order_by("-id")[:50]
    )
    return cases, mediations


# -- X registries of their own -----------------------------------------------------------------


def save_extra_record(actor: Any, data: Mapping[str, Any]) -> Any:
    """A row of a registry kind without base; its values checked against the kind's fields."""
    from fengqiao.registry.models import ExtraRecord, RegistryKind

    access = _access(actor)
    if not access.has_perm(Perm.REGISTRY_EDIT):
        raise NotPermitted("", "permission", _("You may not change the registries."))
    errors: list[FieldError] = []
    kind = RegistryKind.objects.filter(pk=_int(data.get("kind")) or 0, base="", active=True).first()
    if kind is None:
        errors.append(FieldError("kind", "does_not_exist", _("Choose a registry of its own.")))
    grid = _grid(access, data.get("grid"), errors)
    name = _text(data, "name", 100, errors)
    if not name:
        errors.append(FieldError("name", "required", _("Enter the name.")))
    values: dict[str, Any] = {}
    if kind is not None:
        try:
            values = extensions.clean_values(extensions.fields_of_kind(kind.pk), data.get("extra"))
        except InvalidInput as e:
            errors.extend(e.errors)
    if errors or kind is None or grid is None:
        raise InvalidInput.many(errors)
    with transaction.atomic():
        record = ExtraRecord.objects.create(kind=kind, grid=grid, name=name, extra=values)
        audit.record(access.user, "create", record, {"name": [None, name]})
    return record
