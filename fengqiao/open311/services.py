"""GeoReport v2 behind the views: services, submitting a request, reading requests.

Submitting goes through `fengqiao.cases.actions.intake` (validation, routing, deadlines,
tracking number, history); this module only translates Open311 fields to intake data and back,
checks the service's attributes and records the Open311Request beside the case.

Which requests may be read (GET needs no key, as in the spec): cases of public active
categories that came in on a public channel or through Open311. What is shown of them never
includes the reporter or any party: for a request submitted through Open311 (whose submitter
sent it to a public API) the description, address, point, media URL and the latest public
reply (never a staff member's internal note); for other public reports only the category,
status, dates and handling unit.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from fengqiao.cases import actions as case_actions
from fengqiao.cases.errors import CaseError, InvalidInput
from fengqiao.cases.models import Case, CaseHistory, Category
from fengqiao.cases.workflow import FINISHED
from fengqiao.core.inputs import is_ascii_digits
from fengqiao.open311.models import (
    LIST_DATATYPES,
    Datatype,
    Open311Client,
    Open311Request,
    ServiceAttribute,
    ServiceInfo,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the endpoint's behaviour last changed (discovery "changeset").
CHANGESET = "2026-11-29T00:00:00+08:00"
DEFAULT_WINDOW = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
MAX_DESCRIPTION = 4000
MAX_STRING = 1000
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")
# A "+" in an unencoded query string arrives as a space: "…T08:00:00 08:00".
_SPACE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class Open311Error(Exception):
    """An answer in the spec's error format: HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = [str(d) for d in descriptions]


def named(field_name: str, message: str) -> str:
    return f"{field_name}: {message}"


# -- jurisdiction and services --------------------------------------------------------------


def check_jurisdiction(value: str | None) -> None:
    """jurisdiction_id is optional; given, it must be this district's region code."""
    if value and value.strip() != settings.DISTRICT_CODE:
        raise Open311Error(
            404,
            named(
                "jurisdiction_id",
                _("Unknown jurisdiction; this endpoint serves %(code)s.")
                % {"code": settings.DISTRICT_CODE},
            ),
        )


def public_categories() -> QuerySet:
    return Category.objects.filter(public=True, active=True)


def _attributes_prefetch() -> Prefetch:
    return Prefetch(
        "open311_attributes",
        queryset=ServiceAttribute.objects.filter(active=True)
        .order_by("order", "id")
        .prefetch_related("values"),
        to_attr="active_attributes",
    )


def _info(category: Category) -> ServiceInfo | None:
    try:
        return category.open311_info
    except ServiceInfo.DoesNotExist:
        return None


def service_list() -> list[dict[str, Any]]:
    categories = (
        public_categories()
        .select_related("parent", "open311_info")
        .prefetch_related(_attributes_prefetch())
        .order_by("family", "sort", "code")
    )
    rows = []
    for c in categories:
        info = _info(c)
        rows.append(
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": (info.description if info else "") or None,
                "metadata": bool(c.active_attributes),
                "type": "realtime",
                "keywords": (info.keywords if info else "") or None,
                "group": c.parent.name if c.parent_id else None,
            }
        )
    return rows


def service(code: str) -> Category:
    category = (
        public_categories()
        .filter(code=code)
        .select_related("parent", "open311_info")
        .prefetch_related(_attributes_prefetch())
        .first()
    )
    if category is None:
        raise Open311Error(
            404, named("service_code", _("No such service: %(code)s.") % {"code": code})
        )
    return category


def service_definition(category: Category) -> dict[str, Any]:
    attributes = []
    for a in category.active_attributes:
        attributes.append(
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v.key, "name": v.name} for v in a.values.all()],
            }
        )
    return {"service_code": category.code, "attributes": attributes}


# -- POST requests ---------------------------------------------------------------------------


def _parse_datetime(raw: str) -> datetime | None:
    raw = _SPACE_OFFSET.sub(r"\1+\2", raw.strip())
    try:
        return parse_datetime(raw)
    except ValueError:
        return None


def _attribute_answers(data: Any) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 as {code: [values]}."""
    answers: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        values = [v.strip() for v in data.getlist(key)]
        answers.setdefault(match.group(1), []).extend(v for v in values if v != "")
    return answers


def check_attributes(category: Category, data: Any) -> tuple[dict[str, Any], list[str]]:
    """Validated answers {code: value or [values]} and the errors, each naming its field."""
    answers = _attribute_answers(data)
    errors: list[str] = []
    cleaned: dict[str, Any] = {}
    by_code = {a.code: a for a in category.active_attributes if a.variable}
    for code in answers:
        if code not in by_code:
            errors.append(named(f"attribute[{code}]", _("This service has no such attribute.")))
    for code, attribute in by_code.items():
        field_name = f"attribute[{code}]"
        values = answers.get(code, [])
        if not values:
            if attribute.required:
                errors.append(named(field_name, _("This attribute is required.")))
            continue
        if attribute.datatype != Datatype.MULTI and len(values) > 1:
            errors.append(named(field_name, _("Give one value only.")))
            continue
        value = values[0]
        if attribute.datatype in LIST_DATATYPES:
            keys = {v.key for v in attribute.values.all()}
            unknown = [v for v in values if v not in keys]
            if unknown:
                errors.append(
                    named(
                        field_name,
                        _("Not one of the listed values: %(values)s.")
                        % {"values": ", ".join(unknown)},
                    )
                )
                continue
            cleaned[code] = (
                list(dict.fromkeys(values)) if attribute.datatype == Datatype.MULTI else value
            )
        elif attribute.datatype == Datatype.NUMBER:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                errors.append(named(field_name, _("Enter a number.")))
                continue
            cleaned[code] = value
        elif attribute.datatype == Datatype.DATETIME:
            if _parse_datetime(value) is None and _safe_date(value) is None:
                errors.append(named(field_name, _("Enter an ISO 8601 date or date and time.")))
                continue
            cleaned[code] = value
        elif attribute.datatype == Datatype.STRING:
            if "\n" in value or "\r" in value or len(value) > MAX_STRING:
                errors.append(
                    named(
                        field_name,
                        _("Enter one line of at most %(n)d characters.") % {"n": MAX_STRING},
                    )
                )
                continue
            cleaned[code] = value
        else:  # text
            if len(value) > MAX_DESCRIPTION:
                errors.append(
                    named(field_name, _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION})
                )
                continue
            cleaned[code] = value
    return cleaned, errors


def _safe_date(value: str):
    try:
        return parse_date(value)
    except ValueError:
        return None


def _short(data: Mapping[str, str], key: str, limit: int, errors: list[str]) -> str:
    value = (data.get(key) or "").strip()
    if len(value) > limit:
        errors.append(named(key, _("At most %(n)d characters.") % {"n": limit}))
        return ""
    return value


# Intake field names → the Open311 field the resident filled in.
_INTAKE_FIELDS = {
    "category": "service_code",
    "kind": "service_code",
    "lon": "long",
    "lat": "lat",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "reporter_name": "first_name",
    "title": "description",
    "description": "description",
    "address": "address_string",
    "channel": "api_key",
}


@dataclass
class Submitted:
    case: Case
    notice: str
    account_id: str | None
    duplicates: list = field(default_factory=list)


def _answers_text(category: Category, answers: dict[str, Any]) -> str:
    """The answers as lines for the case description, so staff see them with the case."""
    lines = []
    for a in category.active_attributes:
        if a.code not in answers:
            continue
        names = {v.key: v.name for v in a.values.all()}
        value = answers[a.code]
        values = value if isinstance(value, list) else [value]
        lines.append(f"{a.description}: {'、'.join(names.get(v, v) for v in values)}")
    return "\n".join(lines)


def _named_intake_errors(e: CaseError) -> list[str]:
    """The intake's errors, named by the Open311 fields they came from."""
    return [
        named(_INTAKE_FIELDS.get(fe.field, fe.field or "request"), fe.message) for fe in e.errors
    ]


def submit_request(client: Open311Client, data: Any) -> Submitted:
    """Validate an Open311 POST (form data) and register the case through intake."""
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, named("service_code", _("This field is required.")))
    category = service(code)
    # Only what GeoReport v2 adds is checked here; the case's own fields (the point, e-mail,
    # phone …) are checked once, by the cases' intake validation, and its errors are named in
    # Open311's terms, all in one answer.
    errors: list[str] = []
    lat = (data.get("lat") or "").strip()
    lon = (data.get("long") or "").strip()
    address = _short(data, "address_string", 200, errors)
    address_id = _short(data, "address_id", 100, errors)
    if not lat and not lon and not address and not address_id:
        errors.append(
            named("lat/long", _("Give a location: lat and long, or address_string, or address_id."))
        )
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(named("description", _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}))
    email = _short(data, "email", 254, errors)
    media_url = _short(data, "media_url", 500, errors)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append(named("media_url", _("Enter an http or https URL.")))
    device_id = _short(data, "device_id", 100, errors)
    account_id = _short(data, "account_id", 100, errors)
    first_name = _short(data, "first_name", 25, errors)
    last_name = _short(data, "last_name", 25, errors)
    phone = _short(data, "phone", 30, errors)
    answers, attribute_errors = check_attributes(category, data)
    errors += attribute_errors
    answers_text = _answers_text(category, answers)
    full_description = "\n\n".join(p for p in (description, answers_text) if p)
    intake_data = {
        "category": category,
        "title": description[:30] or category.name,
        "description": full_description,
        "address": address or (f"address_id {address_id}" if address_id else ""),
        "lon": lon,
        "lat": lat,
        # Chinese order: family name first.
        "reporter_name": f"{last_name}{first_name}"[:50],
        "reporter_phone": phone,
        "reporter_email": email,
    }
    actor = client.account  # None: a public report
    try:
        case_actions.clean_case_data(intake_data, public=actor is None)
    except InvalidInput as e:
        errors += _named_intake_errors(e)
    if errors:
        raise Open311Error(400, *errors)
    try:
        with transaction.atomic():
            result = case_actions.intake(actor, intake_data, client.channel)
            Open311Request.objects.create(
                case=result.case,
                client=client,
                attributes=answers,
                address_id=address_id,
                media_url=media_url,
                device_id=device_id,
                account_id=account_id,
            )
    except CaseError as e:
        status = 403 if e.status == 403 else 400
        raise Open311Error(
            status,
            *_named_intake_errors(e),
        ) from e
    info = _info(category)
    return Submitted(result.case, info.notice if info else "", account_id or None)


# -- GET requests ----------------------------------------------------------------------------


def readable_cases() -> QuerySet:
    """Cases the public Open311 GET may show (see the module docstring)."""
    via_open311 = Open311Request.objects.filter(case=OuterRef("pk"))
    return (
        Case.objects.filter(category__public=True, category__active=True)
        .annotate(via_open311=Exists(via_open311))
        .filter(Q(channel__public=True) | Q(via_open311=True))
    )


@dataclass
class Query:
    ids: list[str]
    service_codes: list[str]
    statuses: list[str]
    start: datetime | None
    end: datetime | None
    page: int
    page_size: int


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _positive(params: Mapping[str, str], key: str, default: int, maximum: int) -> int:
    raw = (params.get(key) or "").strip()
    if raw == "":
        return default
    if not is_ascii_digits(raw) or not 1 <= int(raw) <= maximum:
        raise Open311Error(
            400, named(key, _("A whole number from 1 to %(max)d.") % {"max": maximum})
        )
    return int(raw)


def _date_param(params: Mapping[str, str], key: str) -> datetime | None:
    raw = (params.get(key) or "").strip()
    if raw == "":
        return None
    value = _parse_datetime(raw)
    if value is None or value.tzinfo is None:
        raise Open311Error(
            400,
            named(
                key,
                _("Use ISO 8601 with a time zone, e.g. 2026-01-01T00:00:00+08:00 or …Z."),
            ),
        )
    return value


def parse_query(params: Mapping[str, str]) -> Query:
    ids = _csv(params.get("service_request_id"))
    if len(ids) > MAX_IDS:
        raise Open311Error(
            400, named("service_request_id", _("At most %(n)d ids.") % {"n": MAX_IDS})
        )
    statuses = [s.lower() for s in _csv(params.get("status"))]
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        raise Open311Error(400, named("status", _("Use open or closed.")))
    start, end = _date_param(params, "start_date"), _date_param(params, "end_date")
    if start and end and start > end:
        raise Open311Error(400, named("start_date", _("start_date is after end_date.")))
    if start and end and end - start > DEFAULT_WINDOW:
        raise Open311Error(400, named("end_date", _("The range may not span more than 90 days.")))
    return Query(
        ids=ids,
        service_codes=_csv(params.get("service_code")),
        statuses=statuses,
        start=start,
        end=end,
        page=_positive(params, "page", 1, 10**6),
        page_size=_positive(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def find_requests(query: Query, now: datetime | None = None) -> list[Case]:
    qs = readable_cases()
    if query.ids:
        # The spec: service_request_id overrides every other argument.
        qs = qs.filter(tracking_number__in=query.ids)
    else:
        now = now or timezone.now()
        start, end = query.start, query.end
        if start is None and end is None:
            start, end = now - DEFAULT_WINDOW, now
        elif start is None:
            start = end - DEFAULT_WINDOW
        elif end is None:
            end = start + DEFAULT_WINDOW
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            if query.statuses == ["closed"] or set(query.statuses) == {"closed"}:
                qs = qs.filter(state__in=FINISHED)
            else:
                qs = qs.exclude(state__in=FINISHED)
    qs = qs.order_by("-created_at", "-id")
    offset = (query.page - 1) * query.page_size
    return with_details(qs[offset : offset + query.page_size])


def with_details(qs) -> list[Case]:
    cases = list(
        qs.select_related("category__open311_info", "handling_unit", "open311")
        if hasattr(qs, "select_related")
        else qs
    )
    notes = {}
    rows = (
        # The public reply only: the note of an entry is internal, even on a public entry.
        CaseHistory.objects.filter(case__in=[c.pk for c in cases], public=True)
        .exclude(public_reply="")
        .order_by("case_id", "-at", "-id")
        .values_list("case_id", "public_reply")
    )
    for case_id, note in rows:
        notes.setdefault(case_id, note)
    for c in cases:
        c.latest_public_note = notes.get(c.pk)
    return cases


def find_request(tracking_number: str) -> Case:
    cases = with_details(readable_cases().filter(tracking_number=tracking_number))
    if not cases:
        raise Open311Error(
            404,
            named(
                "service_request_id",
                _("No such request: %(id)s.") % {"id": tracking_number},
            ),
        )
    return cases[0]


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _open311(case: Case) -> Open311Request | None:
    try:
        return case.open311
    except Open311Request.DoesNotExist:
        return None


def request_row(case: Case) -> dict[str, Any]:
    """One request as the spec lists it; nothing about reporters or parties."""
    submitted = _open311(case)
    closed = case.state in FINISHED
    updated = case.updated_at
    if closed:
        updated = case.closed_at or case.resolved_at or case.updated_at
    info = _info(case.category)
    details = submitted is not None
    return {
        "service_request_id": case.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": getattr(case, "latest_public_note", None) if details else None,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": (case.description or None) if details else None,
        "agency_responsible": case.handling_unit.name if case.handling_unit_id else None,
        "service_notice": (info.notice if info else "") or None,
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(case.handle_due),
        "address": (case.address or None) if details else None,
        "address_id": (submitted.address_id or None) if details else None,
        "zipcode": None,
        "lat": case.lat if details else None,
        "long": case.lon if details else None,
        "media_url": (submitted.media_url or None) if details else None,
    }
