"""Merging a repeat report into another case, and splitting a report into child cases."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.roles import Perm
from fengqiao.cases.actions.base import (
    begin,
    history,
    inbox,
    lock,
    notify_reporters,
    now,
    pk_of,
    public_reply_text,
    transition,
)
from fengqiao.cases.actions.input import CaseInput, clean_case_data
from fengqiao.cases.actions.registration import create_case
from fengqiao.cases.errors import FieldError, InvalidInput
from fengqiao.cases.models import Case, InboxItem, Party
from fengqiao.cases.workflow import OPEN


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
        first, second = sorted([pk_of(case), pk_of(into)])
        if first == second:
            raise InvalidInput("into", "same", _("A case cannot be merged into itself."))
        # Lock both rows in id order so two merges cannot deadlock.
        lock(first), lock(second)
        case, access = begin(actor, case, "merge", expected_version)
        target = lock(into)
        if not access.holds(target, Perm.CASE_VIEW):
            raise InvalidInput("into", "not_found", _("No such case, or it is outside your area."))
        if target.state not in OPEN or target.merged_into_id:
            raise InvalidInput("into", "state", _("A case can only be merged into an open case."))
        existing = {(p.name, p.id_number) for p in target.parties.all()}
        copies = [p for p in case.parties.all() if (p.name, p.id_number) not in existing]
        for p in copies:
            p.pk, p.case = None, target
        Party.objects.bulk_create(copies)
        case.merged_into = target
        reply = public_reply_text(case, public_reply, notify=False)
        transition(actor, case, "merge", access=access, note=reason, data={"into": target.pk},
                   public_reply=reply)  # fmt: skip
        # The receiving case changes no state: an entry on its timeline, not a transition.
        history(target, actor, "merged_in", target.state, note=reason, data={"from": case.pk})
        inbox(target, InboxItem.Kind.MERGED, unit=target.handling_unit, text=case.tracking_number)
        subject = _("Reports %(a)s and %(b)s are handled together") % {
            "a": case.tracking_number,
            "b": target.tracking_number,
        }
        body = _("Report %(a)s was merged into %(b)s; follow %(b)s from now on.") % {
            "a": case.tracking_number,
            "b": target.tracking_number,
        }
        # Includes the merged case's reporter now.
        notify_reporters(target, subject, f"{body}\n{reply}" if reply else body)
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
        case, access = begin(actor, case, "split", expected_version)
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
        at = now()
        created = [create_case(actor, c, case.channel, at, parent=case)[0] for c in cleaned]
        transition(actor, case, "split", access=access, data={"children": [c.pk for c in created]})
    return created
