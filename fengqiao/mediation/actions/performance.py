"""After the agreement: performance of the agreed items, the committee's follow-up (回访),
reminders (art. 31)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import notifications
from fengqiao.cases.actions.base import moment, pk_of, require
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Attachment, InboxItem

from ..errors import MediationNotFound
from ..models import FollowUp, Mediation, MediationEvent, PerformanceItem
from ..workflow import transition
from .base import begin

REMIND_DAYS_BEFORE = 3


def _item_for_update(actor: Any, item: PerformanceItem | int) -> tuple[PerformanceItem, Mediation]:
    try:
        mediation_id = PerformanceItem.objects.values_list(
            "agreement__mediation_id", flat=True
        ).get(pk=pk_of(item))
    except (PerformanceItem.DoesNotExist, ValueError, TypeError):
        raise MediationNotFound() from None
    m, _a = begin(actor, mediation_id, "performance")
    return PerformanceItem.objects.select_for_update().get(pk=pk_of(item)), m


def mark_performance(
    actor: Any,
    item: PerformanceItem | int,
    *,
    proof_note: str = "",
    proof_attachment: Attachment | int | None = None,
    done_at: datetime | None = None,
) -> PerformanceItem:
    """An agreed item was performed; needs proof (a note or a file of the case)."""
    with transaction.atomic():
        item, m = _item_for_update(actor, item)
        if item.done_at is not None:
            raise InvalidInput("item", "done", _("This item is already marked as performed."))
        file = None
        if proof_attachment is not None:
            file = Attachment.objects.filter(pk=pk_of(proof_attachment), case_id=m.case_id).first()
            if file is None:
                raise InvalidInput(
                    "proof_attachment", "other_case", _("Choose a file of this case.")
                )
        if not proof_note.strip() and file is None:
            raise InvalidInput("proof_note", "required", _("Describe or attach the proof."))
        item.done_at = moment(done_at, "done_at")
        item.proof_note, item.proof_attachment = proof_note, file
        item.save()
        transition(m, "performance", actor, data={"item": item.pk})
    return item


def record_followup(
    actor: Any,
    mediation: Mediation | int,
    *,
    note: str,
    visit_date: date | None = None,
    way: str = FollowUp.Way.ON_SITE,
    visitors: str = "",
    visited: str = "",
    performance: str = "",
    performance_note: str = "",
    opinions: str = "",
    at: datetime | None = None,
) -> FollowUp:
    """The committee's follow-up visit on performance (art. 31), with the fields of the 回访记录
    format. `visitors` defaults to the actor's name; `performance` to what the agreement's
    items say (all performed, some, none)."""
    with transaction.atomic():
        m, _a = begin(actor, mediation, "followup")
        require("note", note, _("Record what the follow-up found."))
        require("visited", visited, _("Name who was visited."))
        if way not in FollowUp.Way.values:
            raise InvalidInput("way", "choice", _("Choose how the visit was made."))
        if performance and performance not in FollowUp.Performance.values:
            raise InvalidInput(
                "performance", "choice", _("Choose how the agreement was performed.")
            )
        today = timezone.localdate()
        visit_date = visit_date or today
        if visit_date > today:
            raise InvalidInput("visit_date", "future", _("This cannot lie in the future."))
        f = FollowUp.objects.create(
            mediation=m, at=moment(at, "at"), by=actor, note=note.strip(), visit_date=visit_date,
            way=way, visitors=(visitors.strip() or actor.get_full_name())[:100],
            visited=visited.strip(), performance=performance or _performance_of(m),
            performance_note=performance_note.strip(), opinions=opinions.strip(),
        )  # fmt: skip
        transition(m, "followup", actor, data={"followup": f.pk})
    return f


def _performance_of(m: Mediation) -> str:
    items = PerformanceItem.objects.filter(agreement__mediation=m)
    total, done = items.count(), items.exclude(done_at__isnull=True).count()
    if total and done == total:
        return FollowUp.Performance.PERFORMED
    if done:
        return FollowUp.Performance.PARTLY
    return FollowUp.Performance.NOT_PERFORMED if total else FollowUp.Performance.PERFORMED


def send_performance_reminders(today: date | None = None) -> int:
    """Remind the lead mediator (inbox) and the obliged party (SMS/e-mail if reachable) of items
    due within three days or overdue; at most once a day per item. Returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    qs = PerformanceItem.objects.filter(
        done_at__isnull=True,
        agreement__effective_at__isnull=False,
        due_date__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
    ).filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
    for pk in qs.values_list("pk", flat=True):
        with transaction.atomic():
            item = (
                PerformanceItem.objects.select_for_update(of=("self",))
                .select_related("agreement__mediation__lead_mediator__user", "obligor")
                .get(pk=pk)
            )
            if item.done_at or (item.last_reminded_on and item.last_reminded_on >= today):
                continue
            m = item.agreement.mediation
            overdue = item.due_date < today
            text = (
                _("Overdue since %(d)s: %(what)s") if overdue else _("Due on %(d)s: %(what)s")
            ) % {"d": item.due_date.isoformat(), "what": item.what[:100]}
            if m.lead_mediator is not None:
                InboxItem.objects.create(
                    case_id=m.case_id,
                    user=m.lead_mediator.user,
                    kind=InboxItem.Kind.OVERDUE if overdue else InboxItem.Kind.DEADLINE_NEAR,
                    text=f"{m.number} {text}"[:200],
                )
            notifications.queue(
                notifications.Recipient(item.obligor.name, "", item.obligor.phone),
                _("Mediation agreement %(n)s") % {"n": m.number},
                text,
            )
            item.reminders_sent += 1
            item.last_reminded_on = today
            item.save(update_fields=["reminders_sent", "last_reminded_on"])
            # The clock, not a person: no version bump, no state change.
            MediationEvent.objects.create(
                mediation=m, action="reminder", from_state=m.state, to_state=m.state,
                data={"item": item.pk},
            )  # fmt: skip
            sent += 1
    return sent
