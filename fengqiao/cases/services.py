"""Case services: intake and one function per transition. Views and the API call only these.

Every function that changes a case:
- runs in `transaction.atomic()` and locks the case row (`select_for_update`);
- checks the transition table with the actor's access and scope (`workflow.check_transition`);
- compares `expected_version` (the version the actor's form was loaded with) with the row and
  raises ConflictError when someone changed it in between; the caller keeps the user's input;
- appends a CaseHistory row, moves `current_history`, bumps `version`;
- queues side effects (notifications, search indexing) with `transaction.on_commit`.

Errors are one family, `fengqiao.cases.errors.CaseError` (field, code, message), with an HTTP
status on each subclass. Nothing is changed when one is raised.

Typical use from a view::

    from fengqiao.cases import services
    try:
        services.accept(request.user, case_id, expected_version=form.cleaned_data["version"])
    except services.CaseError as e:
        form.add_error(e.field or None, e.message)
"""

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases import notifications, reference, routing
from fengqiao.cases.attachments import check_upload, public_attachments
from fengqiao.cases.duplicates import Candidate, suggest_duplicates
from fengqiao.cases.errors import (
    CaseError,
    CaseNotFound,
    ConflictError,
    FieldError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from fengqiao.cases.models import (
    Attachment,
    Case,
    CaseHistory,
    CaseKind,
    CaseState,
    Category,
    Channel,
    Diversion,
    Extension,
    FollowUpVisit,
    HandlingLevel,
    InboxItem,
    LocationFlag,
    Note,
    Party,
    Priority,
    RiskLevel,
    Satisfaction,
    SupervisionCard,
    SupervisionLevel,
    Task,
    TrackingCounter,
)
from fengqiao.cases.workflow import (
    OPEN,
    acts_for_unit,
    check_access,
    check_state,
    check_transition,
    in_scope,
    visible_cases,
)
from fengqiao.core import fastinsert
from fengqiao.core.validators import normalize_phone, validate_citizen_id, validate_phone
from fengqiao.org.models import Unit

__all__ = [
    "CaseError",
    "CaseNotFound",
    "ConflictError",
    "InvalidInput",
    "NotPermitted",
    "TransitionNotAllowed",
    "accept",
    "acknowledge_task",
    "add_attachment",
    "add_progress",
    "approve_extension",
    "cancel",
    "close",
    "complete_task",
    "decide_extension",
    "dispatch",
    "divert",
    "escalate",
    "flag_mediation_overdue",
    "inbox_for",
    "intake",
    "merge",
    "public_status",
    "raise_supervision",
    "rate_by_reporter",
    "record_visit",
    "reject_extension",
    "reopen",
    "request_extension",
    "resolve",
    "resume",
    "return_case",
    "split",
    "start",
    "start_task",
    "suggest_duplicates",
    "suspend",
    "sweep_deadlines",
    "update_details",
    "update_diversion",
    "visible_cases",
    "waive_task",
]

NEXT_LEVEL = {
    HandlingLevel.COMMUNITY: HandlingLevel.STREET,
    HandlingLevel.STREET: HandlingLevel.DISTRICT,
}
MAX_EXTENSION_DAYS = 30


# -- plumbing ------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _pk(obj: Any) -> int:
    return obj.pk if hasattr(obj, "pk") else int(obj)


def _lock(case: Case | int) -> Case:
    try:
        return Case.objects.select_for_update().get(pk=_pk(case))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise CaseNotFound() from None


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) == case.version:
        return
    last = case.current_history
    who = (last.actor.get_full_name() if last and last.actor else "") or _("the system")
    when = timezone.localtime(last.at).strftime("%H:%M") if last else ""
    raise ConflictError(
        "version",
        "stale",
        _(
            "This case was changed by %(who)s at %(time)s; reload to see the change; "
            "your input was kept."
        )
        % {"who": who, "time": when},
    )


def _begin(
    actor: Any, case: Case | int, name: str, expected_version: int | None
) -> tuple[Case, Access]:
    """Lock, check scope, version and transition. Call inside transaction.atomic()."""
    access = access_for(actor)
    locked = _lock(case)
    check_access(locked, name, access)
    _check_version(locked, expected_version)
    check_state(locked, name)
    return locked, access


def _require(field_name: str, value: Any, message: str | None = None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(field_name, "required", message or _("This field is required."))


def _history(
    case: Case,
    actor: Any,
    action: str,
    from_state: str,
    *,
    note: str = "",
    data: dict | None = None,
    public: bool = False,
    public_reply: str = "",
    bump: bool = True,
) -> CaseHistory:
    """Append the timeline entry, move current_history, bump the version, save the case.

    `note` is internal; `public_reply` is the only text the public sees (an entry with one is
    shown to the reporter)."""
    entry = CaseHistory.objects.create(
        case=case,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
        public=public or bool(public_reply),
        public_reply=public_reply,
    )
    case.current_history = entry
    if bump:
        case.version += 1
    case.save()
    return entry


def _inbox(
    case: Case, kind: str, *, unit: Unit | None = None, user: Any = None, text: str = ""
) -> None:
    if unit is None and user is None:
        return
    item = InboxItem(case=case, kind=kind, unit=unit, user=user, text=text[:200])
    fastinsert.insert([item], fetch_pk=False)  # nobody reads the new row's id


def _supervisor_unit(case: Case) -> Unit | None:
    """Who chases this case: the handling unit's parent, else the district center."""
    unit = case.handling_unit
    if unit is not None and unit.parent_id:
        return unit.parent
    return routing.triage_unit(routing.places_of(case.community))


def _reporters(case: Case) -> list[notifications.Recipient]:
    """The reporter of the case and of every case merged into it: all stay informed."""
    rows = [case, *Case.objects.filter(merged_into=case)]
    found = []
    for c in rows:
        r = notifications.Recipient(c.reporter_name, c.reporter_email, c.reporter_phone)
        if r.reachable and r not in found:
            found.append(r)
    return found


def _notify_reporters(case: Case, subject: str, body: str) -> None:
    for r in _reporters(case):
        notifications.queue(r, subject, body)


def _public_reply(case: Case, text: str, *, notify: bool = True) -> str:
    """The public reply given with a transition, trimmed; when there is one and `notify`, it
    is queued to the reporters (the transitions that send their own notification put it in
    theirs). Only this text, never the internal reason or note, reaches the public."""
    text = (text or "").strip()
    if text and notify:
        _notify_reporters(
            case,
            _("A reply about your report %(number)s") % {"number": case.tracking_number},
            text,
        )
    return text


def _index(case: Case) -> None:
    """Index the case's text in the caller's transaction: a committed case can be found."""
    from fengqiao.search.index import index_document

    index_document("case", case.pk, _index_text(case))


def index_case(case_id: int) -> None:
    """Put the case's text into the full-text index (fengqiao.search)."""
    from fengqiao.search.index import index_document

    case = Case.objects.filter(pk=case_id).select_related("category").first()
    if case is None:
        return
    index_document("case", case.pk, _index_text(case))


def _index_text(case: Case) -> str:
    return " ".join(
        [case.tracking_number, case.title, case.description, case.address, case.category.name]
    )


# -- validation ----------------------------------------------------------------------------


def _float(
    data: Mapping[str, Any], key: str, errors: list[FieldError], lo: float, hi: float
) -> float | None:
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append(FieldError(key, "number", _("Enter a number.")))
        return None
    if not math.isfinite(value) or not lo <= value <= hi:
        errors.append(
            FieldError(
                key,
                "range",
                _("Must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi},
            )
        )
        return None
    return value


def _validated(errors: list[FieldError], key: str, value: str, validator) -> str:
    try:
        validator(value)
    except ValidationError as e:
        errors.append(FieldError(key, e.code or "invalid", " ".join(str(m) for m in e.messages)))
    return value


def _choice(data, key, choices, default, errors) -> str:
    value = data.get(key) or default
    if value not in choices.values:
        errors.append(
            FieldError(key, "choice", _("“%(value)s” is not a valid choice.") % {"value": value})
        )
    return value


def _category(value: Any, errors: list[FieldError], public_only: bool) -> Category | None:
    if value is None or value == "":
        errors.append(FieldError("category", "required", _("Choose a category.")))
        return None
    category = reference.category(value.pk if isinstance(value, Category) else value)
    if category is None or not category.active or (public_only and not category.public):
        errors.append(
            FieldError(
                "category", "inactive", _("This category does not exist or is no longer in use.")
            )
        )
        return None
    return category


def _clean_party(p: Mapping[str, Any], i: int, errors: list[FieldError]) -> dict[str, Any]:
    prefix = f"parties[{i}]."
    name = (p.get("name") or "").strip()
    if not name:
        errors.append(FieldError(prefix + "name", "required", _("Enter the party's name.")))
    id_type = p.get("id_type") or ""
    id_number = (p.get("id_number") or "").strip().upper()
    if id_number and not id_type:
        id_type = Party.IdType.CITIZEN_ID
    if id_type not in Party.IdType.values:
        errors.append(FieldError(prefix + "id_type", "choice", _("Unknown ID type.")))
    if id_type == Party.IdType.CITIZEN_ID and id_number:
        _validated(errors, prefix + "id_number", id_number, validate_citizen_id)
    phone = normalize_phone(p.get("phone") or "")
    if phone:
        _validated(errors, prefix + "phone", phone, validate_phone)
    cleaned = {
        "party_type": _choice(p, "party_type", Party.PartyType, Party.PartyType.PERSON, errors),
        "role": _choice(p, "role", Party.PartyRole, Party.PartyRole.APPLICANT, errors),
        "name": name[:100],
        "id_type": id_type,
        "id_number": id_number,
        "phone": phone,
        "sex": p.get("sex") or "",
        "ethnicity": (p.get("ethnicity") or "")[:20],
        "education": (p.get("education") or "")[:20],
        "address": (p.get("address") or "")[:200],
        "is_vulnerable": bool(p.get("is_vulnerable")),
        "notes": p.get("notes") or "",
    }
    if cleaned["sex"] not in Party.Sex.values:
        errors.append(FieldError(prefix + "sex", "choice", _("Unknown sex.")))
    return cleaned


@dataclass
class CaseInput:
    """Validated intake data."""

    kind: str
    category: Category
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    people_involved: int
    risk_level: str
    priority: str
    parties: list[dict[str, Any]]
    attachments: list[Any]


def clean_case_data(data: Mapping[str, Any], *, public: bool) -> CaseInput:
    """Validate intake data; InvalidInput lists every bad field."""
    errors: list[FieldError] = []
    category = _category(data.get("category"), errors, public)
    kind = data.get("kind") or (category.kind if category else "")
    if kind not in CaseKind.values:
        errors.append(FieldError("kind", "choice", _("Choose what kind of case this is.")))
    elif category and category.kind and category.kind != kind:
        errors.append(
            FieldError("category", "kind", _("This category does not belong to the chosen kind."))
        )
    description = data.get("description") or ""
    title = (data.get("title") or "").strip() or description.strip()[:30]
    if not title:
        errors.append(FieldError("title", "required", _("Describe the case.")))
    if len(title) > 200:
        errors.append(FieldError("title", "max_length", _("At most 200 characters.")))
    lon = _float(data, "lon", errors, -180, 180)
    lat = _float(data, "lat", errors, -90, 90)
    if (lon is None) != (lat is None) and not any(e.field in ("lon", "lat") for e in errors):
        missing = "lat" if lat is None else "lon"
        errors.append(
            FieldError(missing, "required", _("Give both longitude and latitude, or neither."))
        )
    phone = normalize_phone(data.get("reporter_phone") or "")
    if phone:
        _validated(errors, "reporter_phone", phone, validate_phone)
    elif public:
        errors.append(
            FieldError(
                "reporter_phone",
                "required",
                _("Enter a phone number: you need its last 4 digits to follow your report."),
            )
        )
    email = (data.get("reporter_email") or "").strip()
    if email:
        from django.core.validators import validate_email

        _validated(errors, "reporter_email", email, validate_email)
    try:
        people = int(data.get("people_involved") or 1)
        if people < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(
            FieldError("people_involved", "number", _("Enter a whole number of at least 1."))
        )
        people = 1
    risk = _choice(data, "risk_level", RiskLevel, RiskLevel.LOW, errors)
    priority = _choice(data, "priority", Priority, Priority.NORMAL, errors)
    parties = [_clean_party(p, i, errors) for i, p in enumerate(data.get("parties") or [])]
    attachments = list(data.get("attachments") or [])
    for upload in attachments:
        try:
            check_upload(upload)
        except InvalidInput as e:
            errors.extend(e.errors)
    if errors:
        raise InvalidInput.many(errors)
    return CaseInput(
        kind, category, title, description, (data.get("address") or "")[:200], lon, lat,
        (data.get("reporter_name") or "")[:50], phone, email, people, risk, priority, parties,
        attachments,
    )  # fmt: skip


# -- tracking numbers ----------------------------------------------------------------------


def allocate_tracking_number(district_code: str, year: int) -> str:
    """The next number of the district and year, e.g. 230903-2026-000123: unique and rising.

    On PostgreSQL it comes from a sequence per district and year, so concurrent intakes never
    wait for each other (an intake that fails after taking its number leaves a gap). On SQLite,
    which lets one writer in at a time anyway, a counter row is locked until commit.
    """
    if connection.vendor == "postgresql" and re.fullmatch(r"\d{6}", district_code):
        last = _next_from_sequence(district_code, year)
    else:
        last = _next_from_counter(district_code, year)
    return f"{district_code}-{year}-{last:06d}"


# Sequences this process has seen committed: no savepoint needed to use them.
_known_sequences: set[str] = set()
_id_sequences: list[str] = []


def _take_numbers(district_code: str, year: int) -> tuple[str, int | None, int | None]:
    """The case's tracking number and, on PostgreSQL, the ids the case and its first history row
    will have (one round trip once the district's sequence is known; None on SQLite)."""
    if connection.vendor != "postgresql":
        return allocate_tracking_number(district_code, year), None, None
    if not _id_sequences:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s), pg_get_serial_sequence(%s, %s)",
                [
                    *(Case._meta.db_table, Case._meta.pk.column),
                    *(CaseHistory._meta.db_table, CaseHistory._meta.pk.column),
                ],
            )
            _id_sequences.extend(cursor.fetchone())
    name = f"cases_tracking_{district_code}_{int(year)}"
    if name in _known_sequences and re.fullmatch(r"\d{6}", district_code):
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s), nextval(%s), nextval(%s)", [name, *_id_sequences])
            last, case_id, history_id = cursor.fetchone()
        return f"{district_code}-{year}-{last:06d}", case_id, history_id
    number = allocate_tracking_number(district_code, year)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s), nextval(%s)", _id_sequences)
        case_id, history_id = cursor.fetchone()
    return number, case_id, history_id


def _next_from_sequence(district_code: str, year: int) -> int:
    name = f"cases_tracking_{district_code}_{int(year)}"
    if name in _known_sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [name])
            return cursor.fetchone()[0]
    for _attempt in range(3):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT nextval(%s)", [name])
                value = cursor.fetchone()[0]
            transaction.on_commit(lambda: _known_sequences.add(name))
            return value
        except ProgrammingError:  # the first number of this district and year
            start = _first_free_number(district_code, year)
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" START WITH {start}')
            except (IntegrityError, ProgrammingError):
                pass  # another intake created it at the same moment: use theirs
    raise RuntimeError(f"cannot allocate a tracking number from sequence {name}")


def _first_free_number(district_code: str, year: int) -> int:
    """1 + the highest number used so far (by the counter row or by any case)."""
    prefix = f"{district_code}-{year}-"
    counted = (
        TrackingCounter.objects.filter(district_code=district_code, year=year)
        .values_list("last", flat=True)
        .first()
    ) or 0
    used = 0
    for number in Case.objects.filter(tracking_number__startswith=prefix).values_list(
        "tracking_number", flat=True
    ):
        suffix = number[len(prefix) :]
        if suffix.isdigit():
            used = max(used, int(suffix))
    return max(counted, used) + 1


def _next_from_counter(district_code: str, year: int) -> int:
    # The counter row stays locked until the surrounding transaction ends: no gaps, no duplicates.
    counters = TrackingCounter.objects.select_for_update()
    counter = counters.filter(district_code=district_code, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = TrackingCounter.objects.create(district_code=district_code, year=year)
        except IntegrityError:
            # Another intake created it first: wait for its lock.
            counter = counters.get(district_code=district_code, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


# -- intake --------------------------------------------------------------------------------


@dataclass
class IntakeResult:
    case: Case
    duplicates: list[Candidate] = field(default_factory=list)
    answer: Any = None  # what `respond(case)` returned, inside the intake's transaction


def _channel(channel: Channel | str) -> Channel:
    if isinstance(channel, Channel):
        return channel
    found = reference.active_channel(channel)
    if found is None:
        raise InvalidInput("channel", "choice", _("Unknown channel."))
    return found


def _create_case(
    actor: Any, cleaned: CaseInput, channel: Channel, now: datetime, *, parent: Case | None = None
) -> tuple[Case, list[Candidate], routing.Routing]:
    grid = None
    flag = LocationFlag.NO_LOCATION
    if cleaned.lon is not None and cleaned.lat is not None:
        from fengqiao.territory.locate import get_locator

        grid_id = get_locator().locate(cleaned.lon, cleaned.lat)
        grid = reference.grid(grid_id) if grid_id is not None else None
        flag = LocationFlag.NONE if grid else LocationFlag.OUTSIDE_GRIDS
    places = routing.places_of(grid.community_id if grid else None)
    routed = routing.route(
        category=cleaned.category,
        channel=channel,
        risk_level=cleaned.risk_level,
        places=places,
        outside_grids=flag == LocationFlag.OUTSIDE_GRIDS,
    )
    duplicates = suggest_duplicates(
        {
            "category": cleaned.category,
            "grid": grid,
            "lon": cleaned.lon,
            "lat": cleaned.lat,
            "title": cleaned.title,
            "description": cleaned.description,
        },
        now=now,
    )
    case = Case(
        kind=cleaned.kind,
        category=cleaned.category,
        title=cleaned.title,
        description=cleaned.description,
        address=cleaned.address,
        lon=cleaned.lon,
        lat=cleaned.lat,
        grid=grid,
        community=places.community,
        street=places.street,
        district=places.district,
        region_path=places.path,
        location_flag=flag,
        channel=channel,
        reporter_name=cleaned.reporter_name,
        reporter_phone=cleaned.reporter_phone,
        reporter_email=cleaned.reporter_email,
        people_involved=cleaned.people_involved,
        risk_level=cleaned.risk_level,
        priority=cleaned.priority,
        state=CaseState.REGISTERED,
        handling_level=routed.level,
        handling_unit=routed.unit,
        needs_triage=routed.triage,
        routing_rule=routed.rule,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        clock_start=now,
        parent=parent,
    )
    routing.apply_policy(
        case, routing.policy_for(case.kind, case.category, case.handling_level, case.priority)
    )
    routing.compute_deadlines(case)
    district_code = places.district.code[:6] if places.district else settings.DISTRICT_CODE
    # Taken last: on SQLite the counter row stays locked until commit (PostgreSQL: a sequence).
    case.tracking_number, case.id, history_id = _take_numbers(
        district_code, timezone.localtime(now).year
    )
    # On PostgreSQL both ids are known before either row exists, so the case is written once
    # with its current_history (the foreign key is checked at commit; an UPDATE afterwards would
    # write the wide row and its many indexes a second time), and no write below waits for an
    # answer (see fastinsert.pipelined).
    case.current_history_id = history_id
    with fastinsert.pipelined():  # the writes below: no round trip each
        fastinsert.insert([case])
        case._created_parties = [Party(case=case, **p) for p in cleaned.parties]
        fastinsert.insert(case._created_parties)
        for upload in cleaned.attachments:
            _store_attachment(case, upload, actor)
        entry = CaseHistory(
            id=history_id,
            case=case,
            actor=case.created_by,
            action="intake",
            from_state="",
            to_state=case.state,
            data={
                "channel": channel.code,
                "routing_rule": routed.rule.pk if routed.rule else None,
                "triage": routed.triage,
                "triage_reason": routed.reason,
                "location_flag": flag,
                "duplicates": [d.as_dict() for d in duplicates],
                "parent": parent.pk if parent else None,
            },
            public=True,
        )
        fastinsert.insert([entry])
        if history_id is None:
            # Only the pointer to the current history row changes: not the whole row again.
            Case.objects.filter(pk=case.pk).update(current_history=entry)
        case.current_history = entry
        kind = InboxItem.Kind.TRIAGE if routed.triage else InboxItem.Kind.DISPATCHED
        _inbox(case, kind, unit=routed.unit, text=case.title)
        _index(case)
    return case, duplicates, routed


def intake(
    actor: Any,
    data: Mapping[str, Any],
    channel: Channel | str,
    *,
    respond: Callable[[Case], Any] | None = None,
) -> IntakeResult:
    """Register a new case from any channel; `actor` None is a resident's public report.

    data: kind, category (object, id or code), title, description, address, lon, lat,
    reporter_name, reporter_phone, reporter_email, people_involved, risk_level, priority,
    parties (list of dicts: party_type, role, name, id_type, id_number, phone, sex, ethnicity,
    education, address, is_vulnerable, notes), attachments (uploaded files).

    Validates everything first (InvalidInput names every bad field; nothing is saved), finds
    the grid from the point (outside every grid → flagged, sent to triage, not refused), routes
    by RoutingRule, stores deadlines from DeadlinePolicy on the working-day calendar, allocates
    the tracking number, writes the history, indexes the text and queues the reporter's
    notification of the tracking number, all in one transaction. Returns the case and its
    possible duplicates.

    `respond(case)`, if given, runs last inside the intake's transaction (an API answer whose
    log of sensitive reads must commit with the case, in one commit); its result is `answer`.
    """
    public = actor is None
    channel = _channel(channel)
    if public:
        if not channel.public:
            raise NotPermitted("channel", "channel", _("This channel is not open to the public."))
    else:
        access = access_for(actor)
        if not (access.has_perm(Perm.CASE_REPORT) or access.has_perm(Perm.CASE_REGISTER)):
            raise NotPermitted("", "permission", _("You may not register cases."))
    cleaned = clean_case_data(data, public=public)
    now = _now()
    with transaction.atomic():
        case, duplicates, _routed = _create_case(actor, cleaned, channel, now)
        with fastinsert.pipelined():
            _notify_registered(case)
            answer = respond(case) if respond is not None else None
    return IntakeResult(case, duplicates, answer)


def _notify_registered(case: Case) -> None:
    """Tell the reporter of a new case its tracking number (a new case has no merged cases)."""
    subject = _("Your report %(number)s was registered") % {"number": case.tracking_number}
    body = _(
        "Tracking number %(number)s. Follow it online with the last 4 digits of your phone number."
    ) % {"number": case.tracking_number}
    recipient = notifications.Recipient(
        case.reporter_name, case.reporter_email, case.reporter_phone
    )
    notifications.queue(recipient, subject, body)


# -- triage and handling --------------------------------------------------------------------


def accept(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """The handling unit takes the case on (受理)."""
    with transaction.atomic():
        case, _access = _begin(actor, case, "accept", expected_version)
        reply = _public_reply(case, public_reply, notify=False)
        before = case.state
        case.state = CaseState.ACCEPTED
        case.accepted_at = case.accepted_at or _now()
        case.needs_triage = False
        _history(case, actor, "accept", before, note=note, public=True, public_reply=reply)
        body = _("%(unit)s is handling it.") % {"unit": case.handling_unit or ""}
        _notify_reporters(
            case,
            _("Your report %(number)s was accepted") % {"number": case.tracking_number},
            f"{body}\n{reply}" if reply else body,
        )
    return case


def dispatch(
    actor: Any,
    case: Case | int,
    *,
    lead_unit: Unit,
    co_units: Sequence[Unit] = (),
    instructions: str = "",
    lead_due: datetime | None = None,
    co_due: Mapping[int, datetime] | datetime | None = None,
    expected_version: int,
) -> Case:
    """Send the case to a lead unit and co-handling units, each with its own task and deadline
    (default: the case's handle deadline; `co_due` maps unit id → deadline, or one for all)."""
    with transaction.atomic():
        case, _access = _begin(actor, case, "dispatch", expected_version)
        _require("lead_unit", lead_unit, _("Choose the lead unit."))
        co_units = list(co_units)
        ids = [lead_unit.pk, *(u.pk for u in co_units)]
        if len(set(ids)) != len(ids):
            raise InvalidInput(
                "co_units", "duplicate", _("A unit can have only one task on a case.")
            )
        units = Unit.objects.in_bulk(ids)
        for key, pk in [("lead_unit", lead_unit.pk), *(("co_units", u.pk) for u in co_units)]:
            if pk not in units or not units[pk].active:
                raise InvalidInput(key, "inactive", _("This unit does not exist or is inactive."))
        now = _now()
        for key, due in [("lead_due", lead_due), *(("co_due", d) for d in _dues(co_due))]:
            if due is not None and due <= now:
                raise InvalidInput(key, "past", _("A deadline must lie in the future."))
        # Tasks of an earlier round (before a return) no longer count.
        case.tasks.filter(active=True).update(active=False)
        default_due = case.handle_due
        tasks = [
            Task(case=case, unit=lead_unit, role=Task.Role.LEAD, instructions=instructions,
                 due=lead_due or default_due, dispatched_by=_user(actor), dispatched_at=now)
        ] + [
            Task(case=case, unit=u, role=Task.Role.CO, instructions=instructions,
                 due=_due_for(co_due, u) or default_due, dispatched_by=_user(actor), dispatched_at=now)
            for u in co_units
        ]  # fmt: skip
        Task.objects.bulk_create(tasks)
        before = case.state
        case.state = CaseState.DISPATCHED
        case.needs_triage = False
        for t in tasks:
            _inbox(case, InboxItem.Kind.DISPATCHED, unit=t.unit, text=case.title)
        _history(
            case,
            actor,
            "dispatch",
            before,
            note=instructions,
            data={"lead": lead_unit.pk, "co": [u.pk for u in co_units]},
        )
    return case


def _dues(co_due) -> list[datetime]:
    if co_due is None:
        return []
    if isinstance(co_due, datetime):
        return [co_due]
    return list(co_due.values())


def _due_for(co_due, unit: Unit) -> datetime | None:
    if co_due is None or isinstance(co_due, datetime):
        return co_due
    return co_due.get(unit.pk)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _task_begin(
    actor: Any, task: Task | int, name: str, expected_version: int | None
) -> tuple[Task, Case, Access]:
    try:
        task = Task.objects.select_related("unit__region").get(pk=_pk(task))
    except Task.DoesNotExist:
        raise CaseNotFound() from None
    case, access = _begin(actor, task.case_id, name, expected_version)
    task = Task.objects.select_for_update().select_related("unit__region").get(pk=task.pk)
    if not task.active:
        raise TransitionNotAllowed(
            "task", "inactive", _("This task belongs to an earlier round of handling.")
        )
    perm = Perm.CASE_TRIAGE if name == "waive_task" else Perm.CASE_HANDLE
    if name != "waive_task" and not acts_for_unit(access, task.unit, perm):
        raise NotPermitted(
            "task", "unit", _("Only %(unit)s can do this on its task.") % {"unit": task.unit}
        )
    return task, case, access


def acknowledge_task(actor: Any, task: Task | int, *, expected_version: int) -> Task:
    """The unit confirms it has the task (签收); the lead's acknowledgement moves the case on."""
    with transaction.atomic():
        task, case, _a = _task_begin(actor, task, "acknowledge_task", expected_version)
        if task.state != Task.State.DISPATCHED:
            raise TransitionNotAllowed("task", "state", _("This task was already acknowledged."))
        task.state = Task.State.ACKNOWLEDGED
        task.acknowledged_at = _now()
        task.save()
        before = case.state
        if task.role == Task.Role.LEAD and case.state == CaseState.DISPATCHED:
            case.state = CaseState.ACKNOWLEDGED
        _history(
            case, actor, "acknowledge_task", before, data={"task": task.pk, "unit": task.unit_id}
        )
    return task


def start_task(actor: Any, task: Task | int, *, expected_version: int) -> Task:
    """The unit starts work on its task; the lead starting puts the case in progress."""
    with transaction.atomic():
        task, case, _a = _task_begin(actor, task, "start_task", expected_version)
        if task.state not in (Task.State.DISPATCHED, Task.State.ACKNOWLEDGED):
            raise TransitionNotAllowed(
                "task", "state", _("This task is already under way or finished.")
            )
        now = _now()
        task.acknowledged_at = task.acknowledged_at or now
        task.state, task.started_at = Task.State.IN_PROGRESS, now
        task.save()
        before = case.state
        if task.role == Task.Role.LEAD:
            case.state = CaseState.IN_PROGRESS
        _history(case, actor, "start_task", before, data={"task": task.pk, "unit": task.unit_id})
    return task


def complete_task(actor: Any, task: Task | int, *, result: str, expected_version: int) -> Task:
    """The unit records what it did. The lead's result is the case's proposed outcome."""
    with transaction.atomic():
        task, case, _a = _task_begin(actor, task, "complete_task", expected_version)
        _require("result", result, _("Describe what was done."))
        if task.finished:
            raise TransitionNotAllowed("task", "state", _("This task is already finished."))
        now = _now()
        task.acknowledged_at = task.acknowledged_at or now
        task.state, task.completed_at, task.result = Task.State.DONE, now, result
        task.save()
        Note.objects.create(case=case, task=task, author=_user(actor), text=result)
        _history(
            case,
            actor,
            "complete_task",
            case.state,
            note=result,
            data={"task": task.pk, "unit": task.unit_id},
        )
    return task


def waive_task(actor: Any, task: Task | int, *, reason: str, expected_version: int) -> Task:
    """The coordinating center releases a co-handling unit from its task."""
    with transaction.atomic():
        task, case, _a = _task_begin(actor, task, "waive_task", expected_version)
        _require("reason", reason, _("Give a reason."))
        if task.role == Task.Role.LEAD:
            raise TransitionNotAllowed(
                "task", "lead", _("The lead task cannot be waived; return or re-dispatch the case.")
            )
        if task.finished:
            raise TransitionNotAllowed("task", "state", _("This task is already finished."))
        task.state, task.waive_reason, task.completed_at = Task.State.WAIVED, reason, _now()
        task.save()
        _history(case, actor, "waive_task", case.state, note=reason, data={"task": task.pk})
    return task


def start(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """The handling unit starts work itself (no dispatch needed)."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "start", expected_version)
        before = case.state
        case.state = CaseState.IN_PROGRESS
        reply = _public_reply(case, public_reply)
        _history(case, actor, "start", before, note=note, public=True, public_reply=reply)
    return case


def add_progress(
    actor: Any,
    case: Case | int,
    *,
    text: str,
    task: Task | None = None,
    public: bool = False,
    expected_version: int | None = None,
) -> Note:
    """A progress or investigation note. Notes only add, so the version check is optional."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "add_progress", expected_version)
        _require("text", text, _("Write the note."))
        if task is not None and task.case_id != case.pk:
            raise InvalidInput("task", "other_case", _("This task belongs to another case."))
        note = Note.objects.create(
            case=case, task=task, author=_user(actor), text=text, public=public
        )
        _history(case, actor, "note", case.state, note=text, data={"note": note.pk},
                 public=public, public_reply=text if public else "")  # fmt: skip
    return note


def suspend(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Stop the clock (waiting for a party, a court …). `reason` is internal."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "suspend", expected_version)
        _require("reason", reason, _("Give a reason."))
        before = case.state
        case.resume_state, case.state, case.suspended_at = before, CaseState.SUSPENDED, _now()
        reply = _public_reply(case, public_reply)
        _history(case, actor, "suspend", before, note=reason, public=True, public_reply=reply)
    return case


def resume(
    actor: Any, case: Case | int, *, expected_version: int, note: str = "", public_reply: str = ""
) -> Case:
    """Restart the clock; the deadlines move out by the working time the pause covered."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "resume", expected_version)
        before = case.state
        case.pauses = [*case.pauses, [case.suspended_at.isoformat(), _now().isoformat()]]
        case.suspended_at = None
        case.state, case.resume_state = case.resume_state or CaseState.ACCEPTED, ""
        routing.compute_deadlines(case)
        if case.handle_due and case.handle_due > _now():
            case.is_overdue = False
        _history(case, actor, "resume", before, note=note, public=True,
                 public_reply=_public_reply(case, public_reply),
                 data={"handle_due": case.handle_due.isoformat() if case.handle_due else None})  # fmt: skip
    return case


def resolve(
    actor: Any,
    case: Case | int,
    *,
    outcome: str = "",
    success: bool | None = True,
    expected_version: int,
    note: str = "",
    public_reply: str = "",
) -> Case:
    """Record the outcome (the resolution: what was done, shown to the public). With tasks: the
    lead task must be done (its result is the default outcome) and every co-handling task done
    or waived. `note` is internal; `public_reply` (default: the outcome) is what the public
    timeline and Open311 say about this step."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "resolve", expected_version)
        tasks = list(case.tasks.filter(active=True))
        lead = next((t for t in tasks if t.role == Task.Role.LEAD), None)
        if lead is not None:
            if lead.state != Task.State.DONE:
                raise TransitionNotAllowed(
                    "tasks", "lead_open", _("The lead unit has not recorded its outcome yet.")
                )
            open_co = [t.unit.name for t in tasks if t.role == Task.Role.CO and not t.finished]
            if open_co:
                raise TransitionNotAllowed(
                    "tasks", "co_open",
                    _("Co-handling tasks are still open: %(units)s.") % {"units": "、".join(open_co)},
                )  # fmt: skip
            outcome = outcome or lead.result
        _require("outcome", outcome, _("Describe the outcome."))
        before = case.state
        now = _now()
        case.state, case.outcome, case.outcome_success, case.resolved_at = (
            CaseState.RESOLVED,
            outcome,
            success,
            now,
        )
        routing.compute_deadlines(case)
        SupervisionCard.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=now)
        reply = _public_reply(case, public_reply, notify=False)
        _history(case, actor, "resolve", before, note=note, data={"success": success},
                 public=True, public_reply=reply or outcome)  # fmt: skip
        _notify_reporters(
            case,
            _("Your report %(number)s was resolved") % {"number": case.tracking_number},
            f"{outcome}\n{reply}" if reply and reply != outcome else outcome,
        )
    return case


def close(
    actor: Any,
    case: Case | int,
    *,
    outcome: str = "",
    expected_version: int,
    note: str = "",
    public_reply: str = "",
) -> Case:
    """Verify and close (办结). The resolution (`Case.outcome`, public) is kept: a resolved case
    already has it, a diverted case is given it here (`outcome`). The closing note (`note`) is
    internal; `public_reply` is an optional word to the reporter."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "close", expected_version)
        given = (outcome or "").strip()
        if case.outcome and given and given != case.outcome.strip():
            raise InvalidInput(
                "outcome",
                "resolved",
                _(
                    "This case already has its resolution; write your remark as the closing "
                    "note, or reopen the case to change what was done."
                ),
            )
        resolution = case.outcome or given
        _require("outcome", resolution, _("A case is closed with its outcome."))
        reply = _public_reply(case, public_reply, notify=False)
        if not case.outcome:  # a diverted case: its resolution is given now, and is public
            reply = reply or resolution
        before = case.state
        now = _now()
        case.state, case.outcome, case.closed_at = CaseState.CLOSED, resolution, now
        SupervisionCard.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=now)
        _history(case, actor, "close", before, note=note, public=True, public_reply=reply)
        body = _("Outcome: %(outcome)s. You can rate the handling online.") % {
            "outcome": resolution
        }
        _notify_reporters(
            case,
            _("Your report %(number)s was closed") % {"number": case.tracking_number},
            f"{body}\n{reply}" if reply and reply != resolution else body,
        )
    return case


def return_case(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Send the case back with a reason (internal). A dispatched case goes back to the unit that
    dispatched it; a case routed to the wrong unit goes to the district triage queue."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "return_case", expected_version)
        _require("reason", reason, _("Give the reason for returning the case."))
        before = case.state
        if before in (CaseState.DISPATCHED, CaseState.ACKNOWLEDGED):
            case.tasks.filter(active=True).exclude(
                state__in=[Task.State.DONE, Task.State.WAIVED]
            ).update(state=Task.State.RETURNED, waive_reason=reason)
            case.tasks.filter(active=True).update(active=False)
            target = case.handling_unit
        else:
            target = routing.triage_unit(routing.places_of(case.community))
            case.handling_unit, case.handling_level, case.needs_triage = (
                target,
                HandlingLevel.DISTRICT,
                True,
            )
        case.state = CaseState.RETURNED
        _inbox(case, InboxItem.Kind.RETURNED, unit=target, text=reason)
        reply = _public_reply(case, public_reply)
        _history(case, actor, "return", before, note=reason, public_reply=reply)
    return case


def escalate(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Hand the case up one level (community → street → district) to that level's center.
    `reason` is internal."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "escalate", expected_version)
        _require("reason", reason, _("Give the reason for escalating."))
        level = NEXT_LEVEL.get(case.handling_level)
        if level is None:
            raise TransitionNotAllowed(
                "handling_level", "top", _("The case is already handled at district level.")
            )
        places = routing.places_of(case.community)
        unit = routing.center_for(level, places) or routing.triage_unit(places)
        if unit is None:
            raise TransitionNotAllowed(
                "handling_unit", "no_unit", _("No governance center exists at the next level.")
            )
        case.tasks.filter(active=True).exclude(
            state__in=[Task.State.DONE, Task.State.WAIVED]
        ).update(state=Task.State.RETURNED, waive_reason=reason)
        case.tasks.filter(active=True).update(active=False)
        before = case.state
        case.state, case.handling_level, case.handling_unit = CaseState.ESCALATED, level, unit
        case.needs_triage = False
        routing.apply_policy(
            case, routing.policy_for(case.kind, case.category, level, case.priority)
        )
        routing.compute_deadlines(case)
        _inbox(case, InboxItem.Kind.DISPATCHED, unit=unit, text=reason)
        _history(
            case,
            actor,
            "escalate",
            before,
            note=reason,
            data={"level": level, "unit": unit.pk},
            public=True,
            public_reply=_public_reply(case, public_reply),
        )
    return case


def divert(
    actor: Any,
    case: Case | int,
    *,
    target: str,
    reference: str = "",
    note: str = "",
    expected_version: int,
    public_reply: str = "",
) -> Diversion:
    """Hand the case to a court, letters and visits, the police or arbitration; the hand-off
    is tracked (update_diversion) and the case can be closed or reopened from there."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "divert", expected_version)
        if target not in Diversion.Target.values:
            raise InvalidInput(
                "target",
                "choice",
                _("Choose where the case goes: court, letters and visits, police or arbitration."),
            )
        diversion = Diversion.objects.create(
            case=case, target=target, reference=reference[:100], created_by=_user(actor)
        )
        before = case.state
        case.state = CaseState.DIVERTED
        _history(
            case,
            actor,
            "divert",
            before,
            note=note,
            data={"diversion": diversion.pk, "target": target},
            public=True,
            public_reply=_public_reply(case, public_reply),
        )
    return diversion


def update_diversion(
    actor: Any,
    diversion: Diversion | int,
    *,
    status: str,
    result: str = "",
    reference: str | None = None,
    expected_version: int,
) -> Diversion:
    """Record what the receiving body did with a diverted case."""
    diversion = Diversion.objects.filter(pk=_pk(diversion)).first()
    if diversion is None:
        raise CaseNotFound()
    with transaction.atomic():
        case, _a = _begin(actor, diversion.case_id, "update_diversion", expected_version)
        if status not in Diversion.Status.values:
            raise InvalidInput("status", "choice", _("Unknown status."))
        diversion.status, diversion.result = status, result or diversion.result
        if reference is not None:
            diversion.reference = reference[:100]
        diversion.save()
        _history(
            case,
            actor,
            "update_diversion",
            case.state,
            note=result,
            data={"diversion": diversion.pk, "status": status},
        )
    return diversion


def cancel(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Cancel a case that needs no handling (not a case, a prank …), with a reason (internal)."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "cancel", expected_version)
        _require("reason", reason, _("Give the reason for cancelling."))
        before = case.state
        case.state = CaseState.CANCELLED
        reply = _public_reply(case, public_reply)
        _history(case, actor, "cancel", before, note=reason, public=True, public_reply=reply)
    return case


def reopen(
    actor: Any, case: Case | int, *, reason: str, expected_version: int, public_reply: str = ""
) -> Case:
    """Open a resolved, closed or diverted case again; the clock restarts now. `reason` is
    internal."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "reopen", expected_version)
        _reopen(case, actor, reason, public_reply)
    return case


def _reopen(case: Case, actor: Any, reason: str, public_reply: str = "") -> None:
    _require("reason", reason, _("Give the reason for reopening."))
    before = case.state
    now = _now()
    case.state = CaseState.REOPENED
    case.resolved_at = case.closed_at = None
    case.outcome_success = None
    case.clock_start, case.pauses, case.extension_days = now, [], 0
    case.is_overdue, case.supervision_level = False, SupervisionLevel.NONE
    routing.compute_deadlines(case)
    case.tasks.filter(active=True).update(active=False)
    _inbox(case, InboxItem.Kind.REOPENED, unit=case.handling_unit, text=reason)
    reply = _public_reply(case, public_reply)
    _history(case, actor, "reopen", before, note=reason, public=True, public_reply=reply)


# -- merge and split -----------------------------------------------------------------------


def merge(
    actor: Any,
    case: Case | int,
    *,
    into: Case | int,
    reason: str = "",
    expected_version: int,
    public_reply: str = "",
) -> Case:
    """Merge a repeat report into another case. The merged case is cancelled and points to the
    other; its parties are copied over; every reporter stays informed from then on."""
    with transaction.atomic():
        first, second = sorted([_pk(case), _pk(into)])
        if first == second:
            raise InvalidInput("into", "same", _("A case cannot be merged into itself."))
        # Lock both rows in id order so two merges cannot deadlock.
        _lock(first), _lock(second)
        case, access = _begin(actor, case, "merge", expected_version)
        target = _lock(into)
        if not in_scope(target, access, Perm.CASE_VIEW):
            raise InvalidInput("into", "not_found", _("No such case, or it is outside your area."))
        if target.state not in OPEN or target.merged_into_id:
            raise InvalidInput("into", "state", _("A case can only be merged into an open case."))
        existing = {(p.name, p.id_number) for p in target.parties.all()}
        copies = [p for p in case.parties.all() if (p.name, p.id_number) not in existing]
        for p in copies:
            p.pk, p.case = None, target
        Party.objects.bulk_create(copies)
        before = case.state
        case.state, case.merged_into = CaseState.CANCELLED, target
        reply = _public_reply(case, public_reply, notify=False)
        _history(case, actor, "merge", before, note=reason, data={"into": target.pk},
                 public=True, public_reply=reply)  # fmt: skip
        _history(target, actor, "merged_in", target.state, note=reason, data={"from": case.pk})
        _inbox(target, InboxItem.Kind.MERGED, unit=target.handling_unit, text=case.tracking_number)
        subject = _("Reports %(a)s and %(b)s are handled together") % {
            "a": case.tracking_number,
            "b": target.tracking_number,
        }
        body = _("Report %(a)s was merged into %(b)s; follow %(b)s from now on.") % {
            "a": case.tracking_number,
            "b": target.tracking_number,
        }
        # Includes the merged case's reporter now.
        _notify_reporters(target, subject, f"{body}\n{reply}" if reply else body)
    return case


def split(
    actor: Any,
    case: Case | int,
    *,
    children: Sequence[Mapping[str, Any]],
    expected_version: int,
) -> list[Case]:
    """Split a report that holds several matters into child cases (each routed on its own).
    A child inherits the parent's place, channel and reporter unless its data says otherwise."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "split", expected_version)
        if not children:
            raise InvalidInput("children", "required", _("Describe at least one child case."))
        inherited = {
            "kind": case.kind, "category": case.category, "address": case.address,
            "lon": case.lon, "lat": case.lat, "reporter_name": case.reporter_name,
            "reporter_phone": case.reporter_phone, "reporter_email": case.reporter_email,
            "people_involved": case.people_involved, "risk_level": case.risk_level,
            "priority": case.priority,
        }  # fmt: skip
        cleaned: list[CaseInput] = []
        errors: list[FieldError] = []
        for i, child in enumerate(children):
            data = inherited | dict(child)
            if "category" in child and "kind" not in child:
                data.pop("kind")
            try:
                cleaned.append(clean_case_data(data, public=False))
            except InvalidInput as e:
                errors += [
                    FieldError(f"children[{i}].{x.field}", x.code, x.message) for x in e.errors
                ]
        if errors:
            raise InvalidInput.many(errors)
        now = _now()
        created = [_create_case(actor, c, case.channel, now, parent=case)[0] for c in cleaned]
        _history(case, actor, "split", case.state, data={"children": [c.pk for c in created]})
    return created


# -- deadlines, extensions, supervision ----------------------------------------------------


def request_extension(
    actor: Any, case: Case | int, *, days: int, reason: str, expected_version: int
) -> Extension:
    """Ask for more working days, before the deadline has passed."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "request_extension", expected_version)
        _require("reason", reason, _("Give the reason for the extension."))
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidInput(
                "days",
                "range",
                _("Ask for 1 to %(max)d working days.") % {"max": MAX_EXTENSION_DAYS},
            )
        if case.handle_due is None or case.handle_due <= _now():
            raise TransitionNotAllowed(
                "days", "expired", _("An extension must be requested before the deadline.")
            )
        if case.extensions.filter(status=Extension.Status.PENDING).exists():
            raise TransitionNotAllowed(
                "days", "pending", _("An extension request is already waiting for a decision.")
            )
        ext = Extension.objects.create(
            case=case, days=days, reason=reason, requested_by=_user(actor), requested_at=_now()
        )
        _inbox(case, InboxItem.Kind.EXTENSION, unit=_supervisor_unit(case), text=reason)
        _history(
            case,
            actor,
            "request_extension",
            case.state,
            note=reason,
            data={"extension": ext.pk, "days": days},
        )
    return ext


def decide_extension(
    actor: Any, extension: Extension | int, *, approve: bool, note: str = "", expected_version: int
) -> Extension:
    """Approve (the handle deadline moves out by the days asked) or reject a request."""
    ext = Extension.objects.filter(pk=_pk(extension)).first()
    if ext is None:
        raise CaseNotFound()
    with transaction.atomic():
        case, _a = _begin(actor, ext.case_id, "decide_extension", expected_version)
        ext = Extension.objects.select_for_update().get(pk=ext.pk)
        if ext.status != Extension.Status.PENDING:
            raise TransitionNotAllowed(
                "extension", "decided", _("This request was already decided.")
            )
        ext.status = Extension.Status.APPROVED if approve else Extension.Status.REJECTED
        ext.decided_by, ext.decided_at, ext.decision_note = _user(actor), _now(), note
        ext.save()
        if approve:
            case.extension_days += ext.days
            routing.compute_deadlines(case)
            if case.handle_due and case.handle_due > _now():
                case.is_overdue = False
        _history(case, actor, "approve_extension" if approve else "reject_extension", case.state,
                 note=note, data={"extension": ext.pk})  # fmt: skip
    return ext


def approve_extension(
    actor: Any, extension: Extension | int, *, note: str = "", expected_version: int
) -> Extension:
    return decide_extension(
        actor, extension, approve=True, note=note, expected_version=expected_version
    )


def reject_extension(
    actor: Any, extension: Extension | int, *, note: str = "", expected_version: int
) -> Extension:
    return decide_extension(
        actor, extension, approve=False, note=note, expected_version=expected_version
    )


def _raise_card(
    case: Case, level: str, reason: str, actor: Any, now: datetime
) -> SupervisionCard | None:
    if case.supervision_level == SupervisionLevel.RED or case.supervision_level == level:
        return None
    card, created = SupervisionCard.objects.get_or_create(
        case=case,
        level=level,
        resolved_at=None,
        defaults={
            "raised_at": now,
            "raised_by": _user(actor),
            "reason": reason,
            "to_unit": case.handling_unit,
        },
    )
    case.supervision_level = level
    _inbox(case, InboxItem.Kind.SUPERVISION, unit=case.handling_unit, text=reason)
    _inbox(case, InboxItem.Kind.SUPERVISION, unit=_supervisor_unit(case), text=reason)
    return card if created else None


def raise_supervision(
    actor: Any, case: Case | int, *, level: str, reason: str, expected_version: int
) -> SupervisionCard:
    """A supervisor chases a case by hand with a yellow or red card."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "raise_supervision", expected_version)
        _require("reason", reason, _("Give the reason."))
        if level not in (SupervisionLevel.YELLOW, SupervisionLevel.RED):
            raise InvalidInput("level", "choice", _("Choose a yellow or a red card."))
        if case.supervision_level == SupervisionLevel.RED or case.supervision_level == level:
            raise TransitionNotAllowed("level", "already", _("The case already carries this card."))
        card = _raise_card(case, level, reason, actor, _now())
        _history(case, actor, "supervision", case.state, note=reason, data={"level": level})
    return card


@dataclass
class SweepReport:
    overdue: int = 0
    yellow: int = 0
    red: int = 0
    near: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"overdue": self.overdue, "yellow": self.yellow, "red": self.red, "near": self.near}


SWEPT_STATES = OPEN - {CaseState.SUSPENDED}


def sweep_deadlines(now: datetime | None = None) -> SweepReport:
    """Mark overdue cases, raise a yellow card at the handle deadline and a red one when the
    case is still open CASE_RED_CARD_AFTER_WORKING_DAYS working days later, and warn units a
    working day before a deadline. Idempotent: running it twice changes nothing more.

    Sweep changes do not bump the version: they touch no field a person edits, and a
    clerk's form should not go stale because the clock ticked.
    """
    from fengqiao.workcalendar.calendar import WorkCalendar

    now = now or _now()
    cal = WorkCalendar.load()
    red_after = settings.CASE_RED_CARD_AFTER_WORKING_DAYS
    report = SweepReport()
    late = Case.objects.filter(state__in=SWEPT_STATES, handle_due__lt=now).exclude(
        is_overdue=True, supervision_level=SupervisionLevel.RED
    )
    for case_id in late.values_list("id", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.state not in SWEPT_STATES or not case.handle_due or case.handle_due >= now:
                continue
            changes = []
            if not case.is_overdue:
                case.is_overdue = True
                report.overdue += 1
                changes.append("overdue")
                _inbox(case, InboxItem.Kind.OVERDUE, unit=case.handling_unit, text=case.title)
            if case.supervision_level == SupervisionLevel.NONE:
                _raise_card(case, SupervisionLevel.YELLOW, _("Deadline passed"), None, now)
                report.yellow += 1
                changes.append("yellow")
            if (
                case.supervision_level == SupervisionLevel.YELLOW
                and cal.add_working_days(case.handle_due, red_after) < now
            ):
                _raise_card(
                    case,
                    SupervisionLevel.RED,
                    _("Still open %(n)d working days after the deadline") % {"n": red_after},
                    None,
                    now,
                )
                report.red += 1
                changes.append("red")
            if changes:
                _history(
                    case, None, "deadline_sweep", case.state, data={"changes": changes}, bump=False
                )
    # Deadline near: less than one working day left, warned once per case and deadline.
    soon = Case.objects.filter(
        state__in=SWEPT_STATES,
        is_overdue=False,
        handle_due__gte=now,
        handle_due__lte=cal.add_working_days(now, 1),
    )
    for case in soon.select_related("handling_unit"):
        if case.inbox_items.filter(
            kind=InboxItem.Kind.DEADLINE_NEAR, text=case.handle_due.isoformat()
        ).exists():
            continue
        with transaction.atomic():
            _inbox(
                case,
                InboxItem.Kind.DEADLINE_NEAR,
                unit=case.handling_unit,
                text=case.handle_due.isoformat(),
            )
            for task in case.tasks.filter(active=True).exclude(
                state__in=[Task.State.DONE, Task.State.WAIVED]
            ):
                if task.unit_id != case.handling_unit_id:
                    _inbox(
                        case,
                        InboxItem.Kind.DEADLINE_NEAR,
                        unit=task.unit,
                        text=case.handle_due.isoformat(),
                    )
            report.near += 1
    return report


def flag_mediation_overdue(
    case: Case | int,
    *,
    due: datetime,
    reference: str,
    unit: Unit | None = None,
    newly_overdue: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """The case's people's mediation ran past its time limit (`due`): raise a yellow card on
    the case, and a red one when it is still running CASE_RED_CARD_AFTER_WORKING_DAYS working
    days after `due`, as sweep_deadlines does for the handle deadline. The mediation sweep
    (fengqiao.mediation.services.sweep_time_limits) calls this holding the mediation's row lock,
    after checking that the mediation is still open; `unit` is the committee being chased,
    `newly_overdue` says the mediation has just been marked overdue (its committee is told).

    Locks the case row. Idempotent: a card the case already holds (from its own deadline, this
    sweep or a supervisor) is never raised again. A suspended or finished case is left alone.
    Writes a "deadline_sweep" history entry without a version bump when something changed.
    The case's own `is_overdue` is not touched: it means the handle deadline was missed and
    feeds the on-time rate; the mediation keeps its own mark.

    Returns the changes: some of "mediation_overdue", "yellow", "red", in that order.
    """
    from fengqiao.workcalendar.calendar import WorkCalendar

    now = now or _now()
    with transaction.atomic():
        case = _lock(case)
        if case.state not in SWEPT_STATES or due >= now:
            return []
        changes = []
        if newly_overdue:
            changes.append("mediation_overdue")
            text = _("Mediation %(n)s passed its time limit") % {"n": reference}
            _inbox(case, InboxItem.Kind.OVERDUE, unit=unit, text=text)
        if case.supervision_level == SupervisionLevel.NONE:
            reason = _("Mediation %(n)s passed its time limit") % {"n": reference}
            _mediation_card(case, SupervisionLevel.YELLOW, reason, unit, now)
            changes.append("yellow")
        red_after = settings.CASE_RED_CARD_AFTER_WORKING_DAYS
        if (
            case.supervision_level == SupervisionLevel.YELLOW
            and WorkCalendar.load().add_working_days(due, red_after) < now
        ):
            reason = _("Mediation %(n)s still running %(d)d working days after its time limit") % {
                "n": reference,
                "d": red_after,
            }
            _mediation_card(case, SupervisionLevel.RED, reason, unit, now)
            changes.append("red")
        if changes:
            data = {"changes": changes, "mediation": reference, "due": due.isoformat()}
            _history(case, None, "deadline_sweep", case.state, data=data, bump=False)
    return changes


def _mediation_card(case: Case, level: str, reason: str, unit: Unit | None, now: datetime) -> None:
    """A card through _raise_card (handling unit and supervisor told), addressed to the
    committee whose mediation is late, which hears of it too."""
    card = _raise_card(case, level, reason, None, now)
    if card is not None and unit is not None and unit.pk != case.handling_unit_id:
        card.to_unit = unit
        card.save(update_fields=["to_unit"])
        _inbox(case, InboxItem.Kind.SUPERVISION, unit=unit, text=reason)


# -- after closure -------------------------------------------------------------------------


def record_visit(
    actor: Any,
    case: Case | int,
    *,
    method: str,
    satisfaction: str,
    note: str = "",
    reopen_case: bool = False,
    expected_version: int,
) -> FollowUpVisit:
    """A follow-up visit (phone or in person). An unsatisfied reporter can have the case
    reopened (`reopen_case=True`), in the same transaction."""
    with transaction.atomic():
        case, access = _begin(actor, case, "record_visit", expected_version)
        if method not in (FollowUpVisit.Method.PHONE, FollowUpVisit.Method.IN_PERSON):
            raise InvalidInput("method", "choice", _("Choose phone or in person."))
        if satisfaction not in Satisfaction.values:
            raise InvalidInput("satisfaction", "choice", _("Choose how satisfied the reporter is."))
        reopening = reopen_case and satisfaction == Satisfaction.UNSATISFIED
        if reopening:
            check_transition(case, "reopen", access)
        visit = FollowUpVisit.objects.create(
            case=case, method=method, visited_at=_now(), by=_user(actor),
            satisfaction=satisfaction, note=note, reopened=reopening,
        )  # fmt: skip
        _history(
            case,
            actor,
            "visit",
            case.state,
            note=note,
            data={"visit": visit.pk, "satisfaction": satisfaction},
            bump=not reopening,
        )
        if reopening:
            _reopen(case, actor, note or _("The reporter is not satisfied."))
    return visit


def _public_case(tracking_number: str, phone_last4: str) -> Case:
    tracking_number = (tracking_number or "").strip()
    phone_last4 = (phone_last4 or "").strip()
    case = Case.objects.filter(tracking_number=tracking_number).select_related("category").first()
    if (
        case is None
        or len(phone_last4) != 4
        or not case.reporter_phone
        or not case.reporter_phone.endswith(phone_last4)
    ):
        raise CaseNotFound()
    return case


def public_status(tracking_number: str, phone_last4: str) -> dict[str, Any]:
    """What the public tracking page shows: no personal data of anyone, and of each timeline
    entry only its public reply (never the internal note)."""
    case = _public_case(tracking_number, phone_last4)
    entries = Q(case=case)
    if case.merged_into_id:  # the report's own entries up to its merge, then the other case's
        entries |= Q(case_id=case.merged_into_id) & ~Q(action="intake")
        case = case.merged_into
    timeline = [
        {
            "at": h.at,
            "action": h.action,
            "state": h.to_state,
            "note": h.public_reply,
        }
        for h in CaseHistory.objects.filter(entries, public=True).order_by("at", "id")
    ]
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_display": case.get_state_display(),
        "category": case.category.name,
        "created_at": case.created_at,
        "handle_due": case.handle_due,
        "outcome": case.outcome if case.state in (CaseState.RESOLVED, CaseState.CLOSED) else "",
        "timeline": timeline,
        "attachments": public_attachments(case),
        "can_rate": case.state in (CaseState.RESOLVED, CaseState.CLOSED)
        and not case.visits.filter(method=FollowUpVisit.Method.ONLINE).exists(),
    }


def rate_by_reporter(
    tracking_number: str, phone_last4: str, *, satisfaction: str, note: str = ""
) -> FollowUpVisit:
    """The reporter's own rating from the public tracking page (once per case). An unsatisfied
    rating goes to the handling unit's inbox; staff decide whether to reopen."""
    if satisfaction not in Satisfaction.values:
        raise InvalidInput("satisfaction", "choice", _("Choose how satisfied you are."))
    with transaction.atomic():
        case = _lock(_public_case(tracking_number, phone_last4))
        if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
            raise TransitionNotAllowed(
                "state", "not_finished", _("You can rate once the case is resolved.")
            )
        if case.visits.filter(method=FollowUpVisit.Method.ONLINE).exists():
            raise TransitionNotAllowed(
                "satisfaction", "already", _("You have already rated this case.")
            )
        visit = FollowUpVisit.objects.create(
            case=case,
            method=FollowUpVisit.Method.ONLINE,
            visited_at=_now(),
            satisfaction=satisfaction,
            note=note[:2000],
        )
        if satisfaction == Satisfaction.UNSATISFIED:
            _inbox(case, InboxItem.Kind.UNSATISFIED, unit=case.handling_unit, text=note)
        _history(case, None, "rating", case.state, note=note, data={"satisfaction": satisfaction})
    return visit


# -- details and attachments ---------------------------------------------------------------

EDITABLE = (
    "title",
    "description",
    "address",
    "people_involved",
    "risk_level",
    "priority",
    "kind",
    "category",
)


def update_details(
    actor: Any, case: Case | int, *, changes: Mapping[str, Any], expected_version: int
) -> Case:
    """Edit the description fields (a risk assessment, a better category …). Deadlines follow
    a changed kind, category or priority."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            sorted(unknown)[0], "not_editable", _("This field cannot be edited here.")
        )
    with transaction.atomic():
        case, _a = _begin(actor, case, "update_details", expected_version)
        current = {k: getattr(case, k) for k in EDITABLE}
        merged = current | dict(changes)
        merged |= {
            "lon": case.lon,
            "lat": case.lat,
            "reporter_phone": case.reporter_phone,
            "reporter_email": case.reporter_email,
        }
        cleaned = clean_case_data(merged, public=False)
        diff = {}
        for k in EDITABLE:
            new = getattr(cleaned, k)
            old = current[k]
            if new != old:
                diff[k] = [getattr(old, "pk", old), getattr(new, "pk", new)]
                setattr(case, k, new)
        if not diff:
            return case
        if {"kind", "category", "priority"} & set(diff):
            routing.apply_policy(
                case,
                routing.policy_for(case.kind, case.category, case.handling_level, case.priority),
            )
            routing.compute_deadlines(case)
        _history(case, actor, "update", case.state, data={"changes": diff})
        _index(case)
    return case


def _store_attachment(case: Case, upload: Any, actor: Any, public: bool = False) -> Attachment:
    content_type, name = check_upload(upload)
    attachment = Attachment(
        case=case, original_name=(upload.name or "")[:255], content_type=content_type,
        size=upload.size, public=public, uploaded_by=_user(actor),
    )  # fmt: skip
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def add_attachment(
    actor: Any,
    case: Case | int,
    upload: Any,
    *,
    public: bool = False,
    expected_version: int | None = None,
) -> Attachment:
    """Attach an image or PDF (checked by content and size; stored through Django storage)."""
    with transaction.atomic():
        case, _a = _begin(actor, case, "add_attachment", expected_version)
        attachment = _store_attachment(case, upload, actor, public)
        _history(
            case,
            actor,
            "attachment",
            case.state,
            data={"attachment": attachment.pk, "name": attachment.original_name},
        )
    return attachment


# -- inbox -------------------------------------------------------------------------------


def inbox_for(user: Any, *, unread_only: bool = False):
    """Inbox items addressed to the user or to a unit the user belongs to or acts for."""
    access = access_for(user)
    units = set(access.scope(Perm.CASE_VIEW).unit_ids)
    if getattr(user, "unit_id", None):
        units.add(user.unit_id)
    q = Q(user_id=getattr(user, "pk", None)) | Q(unit_id__in=sorted(units))
    qs = InboxItem.objects.filter(q).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def mark_read(user: Any, item_ids: Iterable[int]) -> int:
    return inbox_for(user, unread_only=True).filter(pk__in=list(item_ids)).update(read_at=_now())
