"""Pages of emergency command (/emergency/): scoped queries and one action call each. Everybody
sees the events of their region subtree, of the groups they belong to and of their grids' tasks;
an outsider gets 404 everywhere."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts.access import access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.attachments import serve as serve_file
from fengqiao.cases.errors import CaseError, InvalidInput
from fengqiao.mediation.fonts import FontUnavailable
from fengqiao.territory.models import Grid, Region

from . import actions, documents, situation
from .models import BodyKind, Drill, Event, EventState, Level, Plan, Task
from .workflow import (
    COMMAND,
    COMMAND_PERM,
    EVENT_TRANSITIONS,
    LOG_LABELS,
    TASK_TRANSITIONS,
    VIEW,
    allowed,
    capacities,
    task_capacities,
)


def _get(request: HttpRequest, model: type[Model], pk: Any) -> Any:
    return access_for(request.user).get(model._default_manager.all(), pk, VIEW, missing=Http404)


def _command_regions(user: Any) -> list[Region]:
    access = access_for(user)
    if not access.has_perm(COMMAND_PERM):
        return []
    return list(
        access.regions(COMMAND_PERM).filter(level__lte=Region.Level.STREET).order_by("path")[:200]
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    events = actions.visible(user, Event.objects.all()).select_related("region")
    state = request.GET.get("state", "")
    if state in EventState.values:
        events = events.filter(state=state)
    return render(request, "emergency/index.html", {
        "events": events[:200],
        "state": state,
        "states": EventState.choices,
        "plans": actions.visible(user, Plan.objects.all()).select_related("region")[:200],
        "regions": _command_regions(user),
        "levels": Level.choices,
        "my_tasks": actions.my_open_tasks(user).select_related("event", "body", "grid")[:50],
    })  # fmt: skip


def _staff(user: Any) -> list[Any]:
    from fengqiao.accounts.models import User

    qs = access_for(user).users(Perm.STAFF_VIEW, User.objects.filter(is_active=True))
    return list(qs.order_by("username")[:300])


@login_required
@require_GET
def event(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, Event, pk)
    held = capacities(request.user, obj)
    can = allowed(EVENT_TRANSITIONS, obj.state, held)
    tasks = list(
        actions.visible(request.user, obj.tasks.all())
        .select_related("body", "grid")
        .order_by("deadline", "id")
    )
    command = COMMAND in held
    ctx: dict[str, Any] = {
        "event": obj,
        "can": can,
        "bodies": obj.bodies.select_related("leader").prefetch_related("members"),
        "tasks": [(t, allowed(TASK_TRANSITIONS, t.state, task_capacities(request.user, t)))
                  for t in tasks],
        "checkins": obj.checkins.select_related("user", "task")[:50],
        "incidents": situation.incidents(request.user, obj),
        "log": [(e, LOG_LABELS.get(e.action, e.action))
                for e in actions.history(request.user, obj).select_related("actor", "task")],
        "body_kinds": BodyKind.choices,
    }  # fmt: skip
    if command and "edit" in can:
        from fengqiao.campaigns.screening import visible_campaigns

        ctx["staff"] = _staff(request.user)
        ctx["campaigns"] = visible_campaigns(request.user).order_by("-pk")[:100]
    if "assign" in can:
        ctx["grids"] = Grid.objects.filter(community__path__startswith=obj.region.path).order_by(
            "code"
        )[:500]
    return render(request, "emergency/event.html", ctx)


@login_required
@require_GET
def situation_view(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, Event, pk)
    s = situation.build(request.user, obj)
    now = s.at
    return render(request, "emergency/situation.html", {
        "s": s,
        "event": obj,
        "open_tasks": [(t, situation.hours_left(t, now)) for t in s.open_tasks],
        "map_data": {
            "grids": _grid_features(obj),
            "incidents": [i for i in s.incidents if i["lat"] is not None and i["lng"] is not None],
        },
    })  # fmt: skip


def _grid_features(obj: Event) -> dict[str, Any]:
    grids = Grid.objects.filter(community__path__startswith=obj.region.path).order_by("code")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g.boundary, "properties": {"name": g.name}}
            for g in grids[:500]
        ],
    }


@login_required
@require_GET
def daily_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    obj = _get(request, Event, pk)
    if fmt not in ("docx", "pdf"):
        raise Http404
    s = situation.build(request.user, obj)
    try:
        body, ctype = documents.render(s, fmt)
    except FontUnavailable as e:
        # The PDF font is missing (mediation.W001): say so, never a 500; the DOCX still works.
        return HttpResponse(
            _("The PDF cannot be made: %(reason)s Download the DOCX instead.") % {"reason": e},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = content_disposition_header(True, documents.filename(s, fmt))
    return response


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    level_names = dict(Level.choices)
    obj = _get(request, Plan, pk)
    from .workflow import commands_region

    return render(request, "emergency/plan.html", {
        "plan": obj,
        # each level's row with the level's name ("I" is shown as 一级…)
        "levels": [{**row, "label": level_names.get(str(row.get("level")), row.get("level"))}
                   for row in obj.levels or [] if isinstance(row, dict)],
        "drills": obj.drills.all(),
        "keeper": commands_region(request.user, obj.region.path),
        "today": timezone.localdate(),
    })  # fmt: skip


@login_required
@require_GET
def plan_file(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, Plan, pk)
    if not obj.file:
        raise Http404
    return serve_file(obj)


@login_required
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    """Open tasks of active events (the monitoring room's drill-down); ?overdue=1 the overdue."""
    qs = actions.open_tasks(
        actions.visible(request.user, Task.objects.filter(event__state=EventState.ACTIVE))
    )
    only_overdue = request.GET.get("overdue") == "1"
    if only_overdue:
        qs = actions.overdue(qs)
    return render(request, "emergency/tasks.html", {
        "tasks": qs.select_related("event", "body", "grid").order_by("deadline", "id")[:500],
        "only_overdue": only_overdue,
    })  # fmt: skip


@login_required
@require_GET
def drills(request: HttpRequest) -> HttpResponse:
    qs = actions.visible(request.user, Drill.objects.all()).select_related("plan")
    year = request.GET.get("year", "")
    if year.isascii() and year.isdigit() and 1900 < int(year) < 3000:
        qs = qs.filter(held_on__year=int(year))
    else:
        year = ""
    return render(request, "emergency/drills.html", {"drills": qs[:500], "year": year})


def _date(request: HttpRequest, name: str) -> date:
    value = parse_date(request.POST.get(name, "") or "") if request.POST.get(name) else None
    if value is None:
        raise InvalidInput(name, "invalid", _("Enter a date."))
    return value


def _levels(p: Any) -> list[dict[str, str]]:
    return [
        {
            "level": v,
            "name": p.get(f"level_{v}_name", ""),
            "measures": p.get(f"level_{v}_measures", ""),
        }
        for v in Level.values
        if (p.get(f"level_{v}_name") or "").strip()
    ]


def _case_by_number(request: HttpRequest) -> Any:
    from fengqiao.cases.models import Case

    number = (request.POST.get("case") or "").strip()
    found = (
        access_for(request.user)
        .visible(Case.objects.filter(tracking_number=number), Perm.CASE_VIEW)
        .first()
    )
    if not number or found is None:
        raise InvalidInput("case", "does_not_exist", _("No case of your area has this number."))
    return found


@login_required
@require_POST
def act(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    """One POST per action; errors go back to the page as messages, nothing half done."""
    u, p = request.user, request.POST
    back: Any = "emergency:event"
    args: list[Any] = [pk]
    try:
        if name == "create_event":
            back, args = "emergency:index", []
            made = actions.create_event(u, name=p.get("name", ""), kind=p.get("kind", ""),
                                        level=p.get("level", ""), region=p.get("region"),
                                        description=p.get("description", ""),
                                        plan=p.get("plan") or None)  # fmt: skip
            back, args = "emergency:event", [made.pk]
        elif name == "create_plan":
            back, args = "emergency:index", []
            made_plan = actions.create_plan(u, region=p.get("region"), title=p.get("title", ""),
                                            version=p.get("version", ""), levels=_levels(p),
                                            text=p.get("text", ""), file=request.FILES.get("file"))  # fmt: skip
            back, args = "emergency:plan", [made_plan.pk]
        elif name == "drill":
            back = "emergency:plan"
            _get(request, Plan, pk)
            actions.record_drill(u, pk, held_on=_date(request, "held_on"),
                                 scenario=p.get("scenario", ""), participants=p.get("participants", ""),
                                 findings=p.get("findings", ""), follow_ups=p.get("follow_ups", ""))  # fmt: skip
        elif name == "add_body":
            actions.add_body(u, pk, kind=p.get("kind", ""), name=p.get("name", ""),
                             duties=p.get("duties", ""), leader=p.get("leader") or None,
                             members=p.getlist("members"), contacts=p.get("contacts", ""),
                             sort=int(p["sort"]) if (p.get("sort") or "").isdigit() else 0)  # fmt: skip
        elif name == "activate":
            actions.activate(u, pk, note=p.get("note", ""))
        elif name == "stand_down":
            actions.stand_down(u, pk, note=p.get("note", ""))
        elif name == "link_campaign":
            actions.link_campaign(u, pk, p.get("campaign"))
        elif name == "link_case":
            _get(request, Event, pk)
            actions.link_case(u, pk, _case_by_number(request))
        elif name == "assign":
            actions.assign_task(u, pk, title=p.get("title", ""), hours=p.get("hours"),
                                detail=p.get("detail", ""), body=p.get("body") or None,
                                grid=p.get("grid") or None)  # fmt: skip
        elif name == "check_in":
            actions.check_in(u, pk, note=p.get("note", ""), place=p.get("place", ""),
                             lat=p.get("lat") or None, lng=p.get("lng") or None,
                             task=p.get("task") or None)  # fmt: skip
        elif name in ("accept", "complete"):
            task = _get(request, Task, pk)
            args = [task.event_id]
            if name == "accept":
                actions.accept_task(u, task)
            else:
                actions.complete_task(u, task, result=p.get("result", ""))
        else:
            raise Http404
    except CaseError as e:
        if e.status == 404:
            raise Http404 from None
        messages.error(request, e.message)
        return redirect(back, *args)
    messages.success(request, _("Saved."))
    return redirect(back, *args)
