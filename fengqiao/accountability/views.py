"""Pages of responsibility and assessment (/accountability/): scoped queries and one action call
each. The office and leaders see every letter of their group; a liaison their unit's own."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts.access import access_for
from fengqiao.cases.attachments import serve as serve_file
from fengqiao.cases.errors import CaseError, InvalidInput
from fengqiao.mediation.fonts import FontUnavailable

from . import actions, documents, monitor, scoring
from .models import (
    AdjustmentRule,
    Evidence,
    LeadingGroup,
    Letter,
    LetterTask,
    MemberUnit,
    ProgressReport,
    Run,
    Scheme,
    Score,
    TargetKind,
)
from .workflow import (
    EVENT_LABELS,
    LETTER_TRANSITIONS,
    TASK_TRANSITIONS,
    VIEW,
    allowed,
    capacities,
    posts_of,
)


def _get(request: HttpRequest, model: type[Model], pk: Any) -> Any:
    return access_for(request.user).get(model._default_manager.all(), pk, VIEW, missing=Http404)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    groups = list(actions.visible(user, LeadingGroup.objects.all()))
    letters = actions.visible(user, Letter.objects.all()).select_related("member_unit__unit")
    units = actions.visible(user, MemberUnit.objects.all()).select_related("unit", "group")
    with_letter = set(
        Letter.objects.filter(member_unit__in=units).values_list("member_unit_id", flat=True)
    )
    office_of = {g.pk for g in groups if "office" in posts_of(user, g.pk)}
    schemes = actions.visible(user, Scheme.objects.all()).select_related("group")
    my_scores = actions.visible(
        user, Score.objects.filter(run__frozen_at__isnull=False)
    ).select_related("run__scheme", "unit", "street")
    return render(request, "accountability/index.html", {
        "groups": groups,
        "letters": letters,
        "without_letter": [u for u in units if u.pk not in with_letter and u.group_id in office_of],
        "overdue": monitor.overdue_tasks(user),
        "schemes": schemes,
        "my_scores": my_scores[:50],
    })  # fmt: skip


@login_required
@require_GET
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, Letter, pk)
    held = capacities(request.user, obj.member_unit)
    tasks = list(obj.tasks.order_by("seq"))
    overdue_ids = set(actions.overdue(obj.tasks.all()).values_list("pk", flat=True))
    reports = (
        ProgressReport.objects.filter(task__letter=obj)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related("evidence")
    )
    return render(request, "accountability/letter.html", {
        "letter": obj,
        "tasks": [(t, t.pk in overdue_ids, allowed(TASK_TRANSITIONS, t.state, held)) for t in tasks],
        "reports": reports,
        "letter_allowed": allowed(LETTER_TRANSITIONS, obj.state, held),
        "office": "office" in held,
        "target_kinds": TargetKind.choices,
        "events": [
            (e, EVENT_LABELS.get(e.action, e.action))
            for e in obj.events.select_related("actor", "task").order_by("at", "id")
        ],
    })  # fmt: skip


@login_required
@require_GET
def letter_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    obj = _get(request, Letter, pk)
    name = f"{obj.member_unit.group.year}-{obj.member_unit.unit.name}-目标管理责任书"
    if fmt == "docx":
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        body = documents.render_docx(obj)
    elif fmt == "pdf":
        try:
            ctype, body = "application/pdf", documents.render_pdf(obj)
        except FontUnavailable as e:
            # The PDF fonts are missing (mediation.W001): say so, never a 500; the DOCX works.
            return HttpResponse(
                _("The PDF cannot be made: %(reason)s Download the DOCX instead.") % {"reason": e},
                status=503,
                content_type="text/plain; charset=utf-8",
            )
    else:
        raise Http404
    response = HttpResponse(body, content_type=ctype)
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    return response


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    return serve_file(_get(request, Evidence, pk))


@login_required
@require_GET
def scheme(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _get(request, Scheme, pk)
    runs = list(obj.runs.order_by("-version"))
    shown = runs[0] if runs else None
    wanted = request.GET.get("run")
    if wanted:
        shown = next((r for r in runs if str(r.pk) == wanted), shown)
    scores = (
        actions.visible(request.user, Score.objects.filter(run=shown)).select_related(
            "unit", "street"
        )
        if shown
        else []
    )
    return render(request, "accountability/scheme.html", {
        "scheme": obj,
        "runs": runs,
        "shown": shown,
        "scores": scores,
        "office": "office" in posts_of(request.user, obj.group_id),
        "indicators": obj.indicators.all(),
        "rules": obj.rules.all(),
        "subjects": [(u.pk if u else "", s.pk if s else "", n) for u, s, n in scoring.subjects(obj)],
    })  # fmt: skip


def _date(request: HttpRequest, name: str) -> date:
    value = parse_date(request.POST.get(name, "") or "") if request.POST.get(name) else None
    if value is None:
        raise InvalidInput(name, "invalid", _("Enter a date."))
    return value


@login_required
@require_POST
def act(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    """One POST per action; errors go back to the page as messages, nothing half done."""
    u, p = request.user, request.POST
    back: Any = "accountability:index"
    args: list[Any] = []
    try:
        if name == "create_letter":
            mu = _get(request, MemberUnit, pk)
            made = actions.create_letter(
                u, mu, number=p.get("number", ""), preamble=p.get("preamble", "")
            )
            back, args = "accountability:letter", [made.pk]
        elif name == "add_task":
            back, args = "accountability:letter", [pk]
            actions.add_task(u, pk, title=p.get("title", ""), measures=p.get("measures", ""),
                             target_kind=p.get("target_kind", ""), target_number=p.get("target_number"),
                             target_unit=p.get("target_unit", ""), deadline=_date(request, "deadline"),
                             weight=p.get("weight"))  # fmt: skip
        elif name == "sign":
            back, args = "accountability:letter", [pk]
            actions.sign(u, pk, side=p.get("side", ""), signatory=p.get("signatory", ""))
        elif name == "report":
            task = _get(request, LetterTask, pk)
            back, args = "accountability:letter", [task.letter_id]
            actions.report_progress(u, task, text=p.get("text", ""), complete=p.get("complete") == "on",
                                    achieved_number=p.get("achieved_number") or None,
                                    files=request.FILES.getlist("files"))  # fmt: skip
        elif name == "review":
            report = _get(request, ProgressReport, pk)
            back, args = "accountability:letter", [report.task.letter_id]
            actions.review(u, report, accept=p.get("decision") == "accept", note=p.get("note", ""))
        elif name in ("compute", "score", "occurrence"):
            back, args = "accountability:scheme", [pk]
            if name == "compute":
                actions.compute(u, pk, note=p.get("note", ""))
            elif name == "score":
                ind = (
                    _get(request, Scheme, pk).indicators.filter(pk=p.get("indicator") or 0).first()
                )
                if ind is None:
                    raise InvalidInput("indicator", "does_not_exist", _("Choose an indicator."))
                actions.score_indicator(u, ind, score=p.get("score"), note=p.get("note", ""),
                                        unit=p.get("unit") or None, street=p.get("street") or None)  # fmt: skip
            else:
                rule = AdjustmentRule.objects.filter(scheme_id=pk, pk=p.get("rule") or 0).first()
                if rule is None:
                    raise InvalidInput("rule", "does_not_exist", _("Choose a rule."))
                actions.record_occurrence(u, rule, happened_on=_date(request, "happened_on"),
                                          reason=p.get("reason", ""), unit=p.get("unit") or None,
                                          street=p.get("street") or None)  # fmt: skip
        elif name == "freeze":
            run = _get(request, Run, pk)
            back, args = "accountability:scheme", [run.scheme_id]
            actions.freeze(u, run)
        else:
            raise Http404
    except CaseError as e:
        if e.status == 404:
            raise Http404 from None
        messages.error(request, e.message)
        return redirect(back, *args)
    messages.success(request, _("Saved."))
    return redirect(back, *args)
