"""Every change of the accountability records: one function per action. Each runs in a
transaction, locks its row (select_for_update), checks who may (workflow tables and the group's
posts), writes the timeline (TaskEvent) and the audit trail (core/audit.py), and queues
notifications on commit. Views, the API and the demo call only these.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for
from fengqiao.cases.attachments import check_upload
from fengqiao.cases.errors import InvalidInput, NotPermitted
from fengqiao.core import audit
from fengqiao.core.files import random_name
from fengqiao.territory.models import Region

from . import scoring
from .models import (
    AdjustmentRule,
    Evidence,
    IndicatorKind,
    Letter,
    LetterState,
    LetterTask,
    MemberUnit,
    Occurrence,
    ProgressReport,
    ReportState,
    ReviewScore,
    Run,
    Scheme,
    SchemeIndicator,
    SubjectKind,
    TargetKind,
    TaskEvent,
    TaskState,
)
from .workflow import (
    LETTER_TRANSITIONS,
    OFFICE,
    TASK_TRANSITIONS,
    VIEW,
    NotFound,
    capacities,
    check,
    posts_of,
)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def visible(actor: Any, qs: QuerySet) -> QuerySet:
    return access_for(actor).visible(qs, VIEW)


def _event(letter: Letter, actor: Any, action: str, before: str, after: str, *, task=None,
           note: str = "", data: dict | None = None) -> TaskEvent:  # fmt: skip
    return TaskEvent.objects.create(
        letter=letter, task=task, actor=_user(actor), action=action, from_state=before,
        to_state=after, note=note, data=data or {},
    )  # fmt: skip


def _text(name: str, value: Any, required: bool = True, limit: int = 10_000) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(name, "required", _("This field is required."))
    if len(text) > limit:
        raise InvalidInput(name, "too_long", _("This text is too long."))
    return text


def _decimal(name: str, value: Any, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(name, "required", _("This field is required."))
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(name, "invalid", _("Enter a number.")) from None
    if not d.is_finite() or abs(d) >= Decimal("1e9"):
        raise InvalidInput(name, "invalid", _("Enter a number."))
    return d.quantize(Decimal("0.01"))


def _require_office(actor: Any, group_id: int) -> None:
    if OFFICE not in posts_of(actor, group_id):
        raise NotPermitted("", "permission", _("Only the leading group's office may do this."))


# -- letters -------------------------------------------------------------------------------


@transaction.atomic
def create_letter(actor: Any, member_unit: MemberUnit | int, *, number: str = "",
                  preamble: str = "", terms: str = "") -> Letter:  # fmt: skip
    mu = access_for(actor).get(MemberUnit.objects.all(), member_unit, VIEW, missing=NotFound)
    _require_office(actor, mu.group_id)
    if Letter.objects.filter(member_unit=mu).exists():
        raise InvalidInput("member_unit", "exists", _("This member unit already has its letter."))
    letter = Letter.objects.create(
        member_unit=mu, number=_text("number", number, False, 40),
        preamble=_text("preamble", preamble, False), terms=_text("terms", terms, False),
    )  # fmt: skip
    _event(letter, actor, "create", "", letter.state)
    audit.record(actor, "create", letter, audit.snapshot(letter))
    return letter


def _letter_for_edit(actor: Any, letter: Letter | int, name: str) -> Letter:
    locked = access_for(actor).select_for_update(
        Letter.objects.all(), letter, VIEW, missing=NotFound
    )
    check(LETTER_TRANSITIONS[name], locked.state, capacities(actor, locked.member_unit),
          _("letter"))  # fmt: skip
    return locked


@transaction.atomic
def add_task(actor: Any, letter: Letter | int, *, title: str, deadline: date, weight: Any,
             target_kind: str, target_number: Any = None, target_unit: str = "",
             measures: str = "") -> LetterTask:  # fmt: skip
    locked = _letter_for_edit(actor, letter, "edit")
    if target_kind not in TargetKind.values:
        raise InvalidInput("target_kind", "invalid_choice", _("Choose a number or yes/no."))
    number = _decimal("target_number", target_number, required=target_kind == TargetKind.NUMBER)
    w = _decimal("weight", weight, required=True)
    if w is None or w <= 0:
        raise InvalidInput("weight", "invalid", _("The weight must be positive."))
    if not isinstance(deadline, date):
        raise InvalidInput("deadline", "invalid", _("Enter a date."))
    seq = (locked.tasks.aggregate(m=Max("seq"))["m"] or 0) + 1
    task = LetterTask.objects.create(
        letter=locked, seq=seq, title=_text("title", title, limit=200),
        measures=_text("measures", measures, False), target_kind=target_kind,
        target_number=number if target_kind == TargetKind.NUMBER else None,
        target_unit=_text("target_unit", target_unit, False, 20), deadline=deadline, weight=w,
    )  # fmt: skip
    locked.version += 1
    locked.save(update_fields=["version"])
    _event(locked, actor, "task_added", locked.state, locked.state, task=task)
    audit.record(actor, "create", task, audit.snapshot(task))
    return task


@transaction.atomic
def sign(actor: Any, letter: Letter | int, *, side: str, signatory: str) -> Letter:
    """Record one side's signature (who signed, who recorded it, when); with both, the letter is
    in force and its tasks can be reported on."""
    if side not in ("group", "unit"):
        raise InvalidInput("side", "invalid_choice", _("Choose the group or the unit."))
    locked = _letter_for_edit(actor, letter, f"sign_{side}")
    if getattr(locked, f"{side}_signed_at") is not None:
        raise InvalidInput("side", "signed", _("This side has signed already."))
    if not locked.tasks.exists():
        raise InvalidInput("", "no_tasks", _("A letter without tasks cannot be signed."))
    now = timezone.now()
    setattr(locked, f"{side}_signatory", _text("signatory", signatory, limit=50))
    setattr(locked, f"{side}_signed_by", _user(actor))
    setattr(locked, f"{side}_signed_at", now)
    before = locked.state
    if locked.group_signed_at and locked.unit_signed_at:
        locked.state = LETTER_TRANSITIONS["in_force"].target or LetterState.SIGNED
    locked.version += 1
    locked.save()
    _event(locked, actor, f"sign_{side}", before, locked.state,
           data={"signatory": getattr(locked, f"{side}_signatory")})  # fmt: skip
    audit.record(actor, "update", locked, {f"{side}_signed_at": [None, now.isoformat()]})
    return locked


# -- progress and review -------------------------------------------------------------------


@transaction.atomic
def report_progress(actor: Any, task: LetterTask | int, *, text: str, complete: bool = False,
                    achieved_number: Any = None,
                    files: list[UploadedFile] | tuple = ()) -> ProgressReport:  # fmt: skip
    locked = access_for(actor).select_for_update(
        LetterTask.objects.all(), task, VIEW, missing=NotFound
    )
    letter = locked.letter
    if letter.state != LetterState.SIGNED:
        raise InvalidInput("", "not_signed", _("Report on a letter once both sides signed it."))
    check(TASK_TRANSITIONS["report"], locked.state, capacities(actor, letter.member_unit),
          _("task"))  # fmt: skip
    checked = [(f, *check_upload(f, "files")) for f in files]
    report = ProgressReport.objects.create(
        task=locked, text=_text("text", text), complete=bool(complete),
        achieved_number=_decimal("achieved_number", achieved_number), submitted_by=actor,
    )  # fmt: skip
    for upload, content_type, stored in checked:
        ev = Evidence(report=report, original_name=(upload.name or "")[:255],
                      content_type=content_type, size=upload.size or 0)  # fmt: skip
        ev.file.save(random_name("accountability", "." + stored.rsplit(".", 1)[-1]), upload,
                     save=False)  # fmt: skip
        ev.save()
    before = locked.state
    locked.state = TASK_TRANSITIONS["report"].target or locked.state
    locked.version += 1
    locked.save()
    _event(letter, actor, "report", before, locked.state, task=locked,
           data={"report": report.pk, "files": len(checked)})  # fmt: skip
    audit.record(actor, "create", report, audit.snapshot(report))
    return report


@transaction.atomic
def review(
    actor: Any, report: ProgressReport | int, *, accept: bool, note: str = ""
) -> ProgressReport:
    """The office accepts a report (the task is done when the report says it is complete, else
    in progress) or returns it with a reason."""
    found = access_for(actor).get(ProgressReport.objects.all(), report, VIEW, missing=NotFound)
    task = LetterTask.objects.select_for_update().get(pk=found.task_id)
    locked = ProgressReport.objects.select_for_update().get(pk=found.pk)
    if locked.state != ReportState.SUBMITTED:
        raise InvalidInput("", "reviewed", _("This report has been reviewed already."))
    name = ("accept_done" if locked.complete else "accept_progress") if accept else "return"
    check(TASK_TRANSITIONS[name], task.state, capacities(actor, task.letter.member_unit), _("task"))
    reason = _text("note", note, required=not accept)
    now = timezone.now()
    locked.state = ReportState.ACCEPTED if accept else ReportState.RETURNED
    locked.reviewed_by, locked.reviewed_at, locked.review_note = _user(actor), now, reason
    locked.save()
    before = task.state
    task.state = TASK_TRANSITIONS[name].target or task.state
    if accept and locked.achieved_number is not None:
        task.achieved_number = locked.achieved_number
    if task.state == TaskState.DONE:
        task.done_at = now
    task.version += 1
    task.save()
    _event(task.letter, actor, name, before, task.state, task=task, note=reason,
           data={"report": locked.pk})  # fmt: skip
    audit.record(actor, "update", locked, {"state": [ReportState.SUBMITTED, locked.state]})
    return locked


def overdue(tasks: QuerySet, today: date | None = None) -> QuerySet:
    """Tasks past their deadline and not done (the flag of workbenches and the monitoring room)."""
    today = today or timezone.localdate()
    return tasks.filter(deadline__lt=today).exclude(state=TaskState.DONE)


# -- assessment ----------------------------------------------------------------------------


def _subject(scheme: Scheme, unit_id: Any, street_id: Any) -> dict[str, Any]:
    if scheme.subject_kind == SubjectKind.UNIT:
        mu = MemberUnit.objects.filter(group_id=scheme.group_id, unit_id=unit_id).first()
        if mu is None:
            raise InvalidInput("unit", "does_not_exist", _("Choose a member unit of the group."))
        return {"unit_id": mu.unit_id}
    street = scoring.streets(scheme).filter(pk=street_id).first() if street_id else None
    if street is None:
        raise InvalidInput("street", "does_not_exist", _("Choose a street of the district."))
    return {"street_id": street.pk}


@transaction.atomic
def record_occurrence(actor: Any, rule: AdjustmentRule | int, *, happened_on: date, reason: str,
                      unit: Any = None, street: Any = None) -> Occurrence:  # fmt: skip
    r = _rule(actor, rule)
    _require_office(actor, r.scheme.group_id)
    if not isinstance(happened_on, date):
        raise InvalidInput("happened_on", "invalid", _("Enter a date."))
    occ = Occurrence.objects.create(
        rule=r, happened_on=happened_on, reason=_text("reason", reason), recorded_by=actor,
        **_subject(r.scheme, getattr(unit, "pk", unit), getattr(street, "pk", street)),
    )  # fmt: skip
    audit.record(actor, "create", occ, audit.snapshot(occ))
    return occ


def _rule(actor: Any, rule: AdjustmentRule | int) -> AdjustmentRule:
    pk: Any = getattr(rule, "pk", rule)
    schemes = visible(actor, Scheme.objects.all()).values("pk")
    found = (
        AdjustmentRule.objects.filter(pk=pk, scheme__in=schemes).select_related("scheme").first()
    )
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def score_indicator(actor: Any, indicator: SchemeIndicator | int, *, score: Any, note: str = "",
                    unit: Any = None, street: Any = None) -> ReviewScore:  # fmt: skip
    schemes = visible(actor, Scheme.objects.all()).values("pk")
    ind = (
        SchemeIndicator.objects.filter(pk=getattr(indicator, "pk", indicator), scheme__in=schemes)
        .select_related("scheme")
        .first()
    )
    if ind is None:
        raise NotFound()
    _require_office(actor, ind.scheme.group_id)
    if ind.kind != IndicatorKind.REVIEWED:
        raise InvalidInput("indicator", "computed", _("This indicator is computed, not scored."))
    value = _decimal("score", score, required=True)
    if value is None or value < 0 or value > ind.weight:
        raise InvalidInput("score", "range", _("Give between 0 and the indicator's weight."))
    row = ReviewScore.objects.create(
        indicator=ind, score=value, note=_text("note", note, False), reviewer=actor,
        **_subject(ind.scheme, getattr(unit, "pk", unit), getattr(street, "pk", street)),
    )  # fmt: skip
    audit.record(actor, "create", row, audit.snapshot(row))
    return row


@transaction.atomic
def compute(actor: Any, scheme: Scheme | int, *, note: str = "") -> Run:
    """Compute every subject's score now as a new version (earlier versions stay as they are)."""
    s = access_for(actor).select_for_update(Scheme.objects.all(), scheme, VIEW, missing=NotFound)
    _require_office(actor, s.group_id)
    version = (s.runs.aggregate(m=Max("version"))["m"] or 0) + 1
    run = Run.objects.create(scheme=s, version=version, computed_by=actor,
                             note=_text("note", note, False))  # fmt: skip
    scoring.store(run)
    audit.record(actor, "create", run, {"version": [None, version]})
    return run


@transaction.atomic
def freeze(actor: Any, run: Run | int) -> Run:
    locked = access_for(actor).select_for_update(Run.objects.all(), run, VIEW, missing=NotFound)
    _require_office(actor, locked.scheme.group_id)
    if locked.frozen:
        raise InvalidInput("", "frozen", _("This result is frozen already."))
    locked.frozen_at, locked.frozen_by = timezone.now(), actor
    locked.save()
    audit.record(actor, "update", locked, {"frozen_at": [None, locked.frozen_at.isoformat()]})
    return locked


def street_choices(scheme: Scheme) -> QuerySet[Region]:
    return scoring.streets(scheme)
