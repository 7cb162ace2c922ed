"""Every change of the emergency records: one function per action. Each runs in a transaction,
locks its row (select_for_update), checks who may (workflow tables and capacities), writes the
event's history (EventLog, a hash chain) and the audit trail (core/audit.py). Views, the API and
the demo call only these."""

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.attachments import check_upload
from fengqiao.cases.errors import ConflictError, InvalidInput, NotPermitted, TransitionNotAllowed
from fengqiao.core import audit
from fengqiao.core.files import random_name
from fengqiao.territory.models import Grid, Region

from .models import (
    Body,
    BodyKind,
    CheckIn,
    Drill,
    Event,
    EventLog,
    Level,
    Plan,
    Task,
    TaskState,
)
from .workflow import (
    EVENT_TRANSITIONS,
    TASK_TRANSITIONS,
    VIEW,
    NotFound,
    capacities,
    check,
    commands_region,
    task_capacities,
)

MAX_HOURS = 24 * 90  # a task is due within 90 days at most


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def visible(actor: Any, qs: QuerySet) -> QuerySet:
    return access_for(actor).visible(qs, VIEW)


def _log(event: Event, actor: Any, action: str, before: str, after: str, *, task=None,
         note: str = "", data: dict | None = None) -> EventLog:  # fmt: skip
    return EventLog.objects.create(
        event=event, task=task, actor=_user(actor), action=action, from_state=before,
        to_state=after, note=note, data=data or {},
    )  # fmt: skip


def _text(name: str, value: Any, required: bool = True, limit: int = 10_000) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(name, "required", _("This field is required."))
    if len(text) > limit:
        raise InvalidInput(name, "too_long", _("This text is too long."))
    return text


def _id(value: Any) -> Any:
    value = getattr(value, "pk", value)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _region(actor: Any, region: Any) -> Region:
    """A region the actor commands over (else `does_not_exist`: no hint of what lies outside)."""
    found = Region.objects.filter(pk=_id(region)).first() if _id(region) else None
    if found is None or not commands_region(actor, found.path):
        raise InvalidInput("region", "does_not_exist", _("Choose a region of your area."))
    return found


def _event_for(actor: Any, event: Any, name: str) -> Event:
    locked = access_for(actor).select_for_update(Event.objects.all(), event, VIEW, missing=NotFound)
    check(EVENT_TRANSITIONS[name], locked.state, capacities(actor, locked), _("event"))
    return locked


def _bump(obj: Any) -> None:
    obj.version += 1
    obj.save()


# -- plans and drills ----------------------------------------------------------------------


def clean_levels(levels: Any) -> list[dict[str, str]]:
    """Response levels as data: [{"level": "I".."IV", "name", "measures"}], each level once."""
    if levels in (None, ""):
        return []
    if not isinstance(levels, list) or len(levels) > len(Level.values):
        raise InvalidInput("levels", "invalid", _("Give at most one entry per response level."))
    out, seen = [], set()
    for item in levels:
        if not isinstance(item, dict) or item.get("level") not in Level.values:
            raise InvalidInput("levels", "invalid", _("Each entry names a level I to IV."))
        if item["level"] in seen:
            raise InvalidInput("levels", "invalid", _("Give at most one entry per response level."))
        seen.add(item["level"])
        out.append({
            "level": item["level"],
            "name": _text("levels", item.get("name"), limit=100),
            "measures": _text("levels", item.get("measures"), False),
        })  # fmt: skip
    return sorted(out, key=lambda d: Level.values.index(d["level"]))


@transaction.atomic
def create_plan(actor: Any, *, region: Any, title: str, version: str, levels: Any = None,
                text: str = "", file: UploadedFile | None = None) -> Plan:  # fmt: skip
    reg = _region(actor, region)
    title, version = _text("title", title, limit=200), _text("version", version, limit=20)
    if Plan.objects.filter(region=reg, title=title, version=version).exists():
        raise ConflictError("version", "exists", _("This version of the plan is recorded already."))
    plan = Plan(region=reg, title=title, version=version, levels=clean_levels(levels),
                text=_text("text", text, False, 200_000), created_by=actor)  # fmt: skip
    if file is not None:
        content_type, stored = check_upload(file, "file")
        plan.original_name, plan.content_type = (file.name or "")[:255], content_type
        plan.size = file.size or 0
        plan.file.save(random_name("emergency", "." + stored.rsplit(".", 1)[-1]), file,
                       save=False)  # fmt: skip
    if not plan.text and not plan.file:
        raise InvalidInput("text", "required", _("Give the plan's text or attach its file."))
    plan.save()
    audit.record(actor, "create", plan, audit.snapshot(plan))
    return plan


@transaction.atomic
def record_drill(actor: Any, plan: Plan | int, *, held_on: date, scenario: str,
                 participants: str, findings: str = "",
                 follow_ups: Any = ()) -> Drill:  # fmt: skip
    p = access_for(actor).get(Plan.objects.all(), plan, VIEW, missing=NotFound)
    if not commands_region(actor, p.region.path):
        raise NotPermitted("", "permission", _("Only those who keep the plan may record drills."))
    if not isinstance(held_on, date) or held_on > timezone.localdate():
        raise InvalidInput("held_on", "invalid", _("Enter the date the drill was held."))
    items = follow_ups if isinstance(follow_ups, list | tuple) else str(follow_ups).splitlines()
    tasks = [_text("follow_ups", t, False, 200) for t in items]
    drill = Drill.objects.create(
        plan=p, held_on=held_on, scenario=_text("scenario", scenario),
        participants=_text("participants", participants),
        findings=_text("findings", findings, False), follow_ups=[t for t in tasks if t][:50],
        recorded_by=actor,
    )  # fmt: skip
    audit.record(actor, "create", drill, audit.snapshot(drill))
    return drill


# -- events and their structure ------------------------------------------------------------


def _plan(actor: Any, plan: Any) -> Plan | None:
    if _id(plan) is None:
        return None
    found = visible(actor, Plan.objects.filter(pk=_id(plan))).first()
    if found is None:
        raise InvalidInput("plan", "does_not_exist", _("Choose a plan of your area."))
    return found


@transaction.atomic
def create_event(actor: Any, *, name: str, kind: str, level: str, region: Any,
                 description: str = "", plan: Any = None) -> Event:  # fmt: skip
    if level not in Level.values:
        raise InvalidInput("level", "invalid_choice", _("Choose a response level."))
    event = Event.objects.create(
        name=_text("name", name, limit=200), kind=_text("kind", kind, limit=50), level=level,
        region=_region(actor, region), description=_text("description", description, False),
        plan=_plan(actor, plan), created_by=actor,
    )  # fmt: skip
    _log(event, actor, "create", "", event.state)
    audit.record(actor, "create", event, audit.snapshot(event))
    return event


def _users(actor: Any, ids: Any, name: str) -> list[Any]:
    """Active staff accounts the actor may see (the account lists' own scope)."""
    wanted = {_id(i) for i in (ids or [])}
    if not wanted:
        return []
    from fengqiao.accounts.models import User

    found = list(access_for(actor).users(Perm.STAFF_VIEW, User.objects.filter(is_active=True))
                 .filter(pk__in=[i for i in wanted if i and i > 0]))  # fmt: skip
    if len(found) != len(wanted):
        raise InvalidInput(name, "does_not_exist", _("Choose staff accounts of your area."))
    return found


@transaction.atomic
def add_body(actor: Any, event: Event | int, *, kind: str, name: str, duties: str,
             leader: Any = None, members: Any = (), contacts: str = "",
             sort: int = 0) -> Body:  # fmt: skip
    locked = _event_for(actor, event, "edit")
    if kind not in BodyKind.values:
        raise InvalidInput(
            "kind", "invalid_choice", _("Choose command, office, group or task force.")
        )
    name = _text("name", name, limit=100)
    if locked.bodies.filter(name=name).exists():
        raise ConflictError("name", "exists", _("The structure has a part of this name already."))
    lead = _users(actor, [leader] if _id(leader) else [], "leader")
    body = Body.objects.create(
        event=locked, kind=kind, name=name, duties=_text("duties", duties),
        leader=lead[0] if lead else None, contacts=_text("contacts", contacts, False, 200),
        sort=max(0, min(int(sort or 0), 999)),
    )  # fmt: skip
    body.members.set(_users(actor, members, "members"))
    _bump(locked)
    _log(locked, actor, "body_added", locked.state, locked.state,
         data={"body": body.pk, "kind": kind, "name": name})  # fmt: skip
    audit.record(actor, "create", body, audit.snapshot(body))
    return body


@transaction.atomic
def activate(actor: Any, event: Event | int, *, note: str = "") -> Event:
    locked = _event_for(actor, event, "activate")
    if not locked.bodies.exists():
        raise TransitionNotAllowed("", "no_structure", _("Set up the command structure first."))
    return _move(actor, locked, "activate", note, activated_at=timezone.now())


@transaction.atomic
def stand_down(actor: Any, event: Event | int, *, note: str = "") -> Event:
    locked = _event_for(actor, event, "stand_down")
    return _move(actor, locked, "stand_down", note, stood_down_at=timezone.now())


def _move(actor: Any, locked: Event, name: str, note: str, **times: Any) -> Event:
    before = locked.state
    locked.state = EVENT_TRANSITIONS[name].target or before
    for k, v in times.items():
        setattr(locked, k, v)
    _bump(locked)
    _log(locked, actor, name, before, locked.state, note=_text("note", note, False))
    audit.record(actor, "update", locked,
                 {"state": [before, locked.state]} | {k: [None, v.isoformat()] for k, v in times.items()})  # fmt: skip
    return locked


@transaction.atomic
def link_campaign(actor: Any, event: Event | int, campaign: Any) -> Event:
    from fengqiao.campaigns.screening import visible_campaigns

    locked = _event_for(actor, event, "edit")
    found = visible_campaigns(actor).filter(pk=_id(campaign) or 0).first()
    if found is None:
        raise InvalidInput(
            "campaign", "does_not_exist", _("Choose a screening campaign of your area.")
        )
    before = locked.campaign_id
    locked.campaign = found
    _bump(locked)
    _log(locked, actor, "campaign_linked", locked.state, locked.state, data={"campaign": found.pk})
    audit.record(actor, "update", locked, {"campaign": [before, found.pk]})
    return locked


@transaction.atomic
def link_case(actor: Any, event: Event | int, case: Any) -> Event:
    from fengqiao.cases.models import Case

    locked = _event_for(actor, event, "edit")
    found = (
        access_for(actor).visible(Case.objects.filter(pk=_id(case) or 0), Perm.CASE_VIEW).first()
    )
    if found is None:
        raise InvalidInput("case", "does_not_exist", _("Choose a case of your area."))
    if locked.cases.filter(pk=found.pk).exists():
        raise ConflictError("case", "exists", _("This case is linked already."))
    locked.cases.add(found)
    _bump(locked)
    _log(locked, actor, "case_linked", locked.state, locked.state, data={"case": found.pk})
    audit.record(actor, "update", locked, {"cases": [None, found.pk]})
    return locked


# -- tasks and check-ins -------------------------------------------------------------------


@transaction.atomic
def assign_task(actor: Any, event: Event | int, *, title: str, hours: Any, detail: str = "",
                body: Any = None, grid: Any = None) -> Task:  # fmt: skip
    """A task to one group of the event or one grid of its region, due `hours` calendar hours
    from now."""
    locked = _event_for(actor, event, "assign")
    try:
        h = int(hours)
    except (TypeError, ValueError):
        raise InvalidInput("hours", "invalid", _("Enter a whole number of hours.")) from None
    if not 1 <= h <= MAX_HOURS:
        raise InvalidInput("hours", "range", _("Give between 1 and 2160 hours."))
    to_body = to_grid = None
    if (_id(body) is None) == (_id(grid) is None):
        raise InvalidInput("body", "required", _("Give the task to one group or one grid."))
    if _id(body) is not None:
        to_body = locked.bodies.filter(pk=_id(body)).first()
        if to_body is None:
            raise InvalidInput("body", "does_not_exist", _("Choose a group of this event."))
    else:
        to_grid = Grid.objects.filter(pk=_id(grid),
                                      community__path__startswith=locked.region.path).first()  # fmt: skip
        if to_grid is None:
            raise InvalidInput("grid", "does_not_exist", _("Choose a grid of the event's region."))
    now = timezone.now()
    task = Task.objects.create(
        event=locked, title=_text("title", title, limit=200), detail=_text("detail", detail, False),
        body=to_body, grid=to_grid, hours=h, deadline=now + timedelta(hours=h),
        assigned_by=actor, assigned_at=now,
    )  # fmt: skip
    _log(locked, actor, "assign", "", task.state, task=task,
         data={"hours": h, "body": getattr(to_body, "pk", None), "grid": getattr(to_grid, "pk", None)})  # fmt: skip
    audit.record(actor, "create", task, audit.snapshot(task))
    return task


def _task_move(actor: Any, task: Task | int, name: str, note: str = "") -> Task:
    locked = access_for(actor).select_for_update(Task.objects.all(), task, VIEW, missing=NotFound)
    check(TASK_TRANSITIONS[name], locked.state, task_capacities(actor, locked), _("task"))
    if locked.event.state != "active":
        raise TransitionNotAllowed("", "not_active", _("The event is not active."))
    before, now = locked.state, timezone.now()
    locked.state = TASK_TRANSITIONS[name].target or before
    if name == "accept":
        locked.accepted_by, locked.accepted_at = actor, now
    else:
        locked.done_by, locked.done_at, locked.result = actor, now, note
    _bump(locked)
    _log(locked.event, actor, name, before, locked.state, task=locked, note=note)
    audit.record(actor, "update", locked, {"state": [before, locked.state]})
    return locked


@transaction.atomic
def accept_task(actor: Any, task: Task | int) -> Task:
    return _task_move(actor, task, "accept")


@transaction.atomic
def complete_task(actor: Any, task: Task | int, *, result: str) -> Task:
    return _task_move(actor, task, "complete", _text("result", result))


def _coordinate(name: str, value: Any, bound: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(name, "invalid", _("Enter a number.")) from None
    if not -bound <= f <= bound:
        raise InvalidInput(name, "range", _("This coordinate is out of range."))
    return f


@transaction.atomic
def check_in(actor: Any, event: Event | int, *, note: str = "", place: str = "", lat: Any = None,
             lng: Any = None, task: Any = None) -> CheckIn:  # fmt: skip
    locked = _event_for(actor, event, "check_in")
    on_task = None
    if _id(task) is not None:
        on_task = locked.tasks.filter(pk=_id(task)).first()
        if on_task is None:
            raise InvalidInput("task", "does_not_exist", _("Choose a task of this event."))
    la, ln = _coordinate("lat", lat, 90), _coordinate("lng", lng, 180)
    if (la is None) != (ln is None):
        raise InvalidInput("lat", "required", _("Give both latitude and longitude, or neither."))
    row = CheckIn.objects.create(
        event=locked, task=on_task, user=actor, place=_text("place", place, False, 200),
        lat=la, lng=ln, note=_text("note", note, False),
    )  # fmt: skip
    audit.record(actor, "create", row, audit.snapshot(row))
    return row


# -- queries -------------------------------------------------------------------------------


def overdue(tasks: QuerySet, now: Any = None) -> QuerySet:
    """Tasks past their deadline (calendar hours) and not done."""
    return tasks.filter(deadline__lt=now or timezone.now()).exclude(state=TaskState.DONE)


def open_tasks(tasks: QuerySet) -> QuerySet:
    return tasks.exclude(state=TaskState.DONE)


def history(actor: Any, event: Event) -> QuerySet:
    """The event's history as the actor may read it: the entries of the tasks they see (a grid
    worker: their grids' tasks) and the event's own."""
    seen = visible(actor, Task.objects.filter(event=event)).values("pk")
    return event.log.filter(Q(task__isnull=True) | Q(task__in=seen)).order_by("at", "id")


def my_open_tasks(actor: Any) -> QuerySet:
    """Open tasks of active events given to the actor's groups or grids (their workbench)."""
    from .workflow import grid_ids

    uid = getattr(actor, "pk", None)
    q = Q(body__leader_id=uid) | Q(body__members__id=uid)
    mine = grid_ids(actor)
    if mine:
        q |= Q(grid_id__in=sorted(mine))
    qs = visible(actor, Task.objects.filter(event__state="active")).filter(q)
    return open_tasks(qs).distinct()
