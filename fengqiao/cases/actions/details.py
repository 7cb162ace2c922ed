"""Editing a case's description fields, and its attachments."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import routing
from fengqiao.cases.actions.base import begin, index, transition, user_or_none
from fengqiao.cases.actions.input import clean_case_data
from fengqiao.cases.attachments import check_upload
from fengqiao.cases.errors import InvalidInput
from fengqiao.cases.models import Attachment, Case

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
        case, access = begin(actor, case, "update_details", expected_version)
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
        transition(actor, case, "update_details", access=access, data={"changes": diff})
        index(case)
    return case


def store_attachment(case: Case, upload: Any, actor: Any, public: bool = False) -> Attachment:
    """Check the upload by content and size and store it through Django storage."""
    content_type, name = check_upload(upload)
    attachment = Attachment(
        case=case, original_name=(upload.name or "")[:255], content_type=content_type,
        size=upload.size, public=public, uploaded_by=user_or_none(actor),
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
        case, access = begin(actor, case, "add_attachment", expected_version)
        attachment = store_attachment(case, upload, actor, public)
        transition(
            actor,
            case,
            "add_attachment",
            access=access,
            data={"attachment": attachment.pk, "name": attachment.original_name},
        )
    return attachment
