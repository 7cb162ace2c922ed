"""Template helpers of the workbench pages and the case page: a dictionary lookup, the split of
a case's allowed actions into "next" and "more", readable timeline labels, the mediation link."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.roles import Perm

register = template.Library()

# Actions that move a case on, in the order they usually come: the first allowed ones (at most
# MAX_NEXT) are the case page's "next action"; the rest go behind the "more" menu.
NEXT_ACTIONS = (
    "accept",
    "acknowledge_task",
    "start_task",
    "complete_task",
    "dispatch",
    "start",
    "resolve",
    "resume",
    "close",
    "record_visit",
    "decide_extension",
    "update_diversion",
)
MAX_NEXT = 3

# Readable names of what a timeline entry records (CaseHistory.action).
TIMELINE_LABELS = {
    "intake": pgettext_lazy("timeline", "Registered"),
    "accept": pgettext_lazy("timeline", "Accepted"),
    "dispatch": pgettext_lazy("timeline", "Dispatched"),
    "acknowledge_task": pgettext_lazy("timeline", "Task acknowledged"),
    "start_task": pgettext_lazy("timeline", "Task started"),
    "complete_task": pgettext_lazy("timeline", "Task completed"),
    "waive_task": pgettext_lazy("timeline", "Task waived"),
    "assign_task": pgettext_lazy("timeline", "Task given to a grid worker"),
    "start": pgettext_lazy("timeline", "Handling started"),
    "note": pgettext_lazy("timeline", "Progress note"),
    "suspend": pgettext_lazy("timeline", "Suspended"),
    "resume": pgettext_lazy("timeline", "Resumed"),
    "request_extension": pgettext_lazy("timeline", "Extension requested"),
    "approve_extension": pgettext_lazy("timeline", "Extension approved"),
    "reject_extension": pgettext_lazy("timeline", "Extension refused"),
    "decide_extension": pgettext_lazy("timeline", "Extension decided"),
    "resolve": pgettext_lazy("timeline", "Resolved"),
    "resolve_on_the_spot": pgettext_lazy("timeline", "Resolved on the spot"),
    "close": pgettext_lazy("timeline", "Closed"),
    "return": pgettext_lazy("timeline", "Returned"),
    "return_case": pgettext_lazy("timeline", "Returned"),
    "escalate": pgettext_lazy("timeline", "Escalated"),
    "divert": pgettext_lazy("timeline", "Handed over elsewhere"),
    "update_diversion": pgettext_lazy("timeline", "Hand-over progress"),
    "cancel": pgettext_lazy("timeline", "Cancelled"),
    "reopen": pgettext_lazy("timeline", "Reopened"),
    "merge": pgettext_lazy("timeline", "Merged into another case"),
    "merged_in": pgettext_lazy("timeline", "Another case merged in"),
    "split": pgettext_lazy("timeline", "Split into child cases"),
    "supervision": pgettext_lazy("timeline", "Supervision card"),
    "raise_supervision": pgettext_lazy("timeline", "Supervision card"),
    "deadline_sweep": pgettext_lazy("timeline", "Deadline check"),
    "deadline_recomputed": pgettext_lazy("timeline", "Deadlines recomputed on the holiday notice"),
    "places_moved": pgettext_lazy("timeline", "Places updated after a region or grid moved"),
    "visit": pgettext_lazy("timeline", "Follow-up visit"),
    "record_visit": pgettext_lazy("timeline", "Follow-up visit"),
    "rating": pgettext_lazy("timeline", "Reporter's rating"),
    "update": pgettext_lazy("timeline", "Details edited"),
    "update_details": pgettext_lazy("timeline", "Details edited"),
    "attachment": pgettext_lazy("timeline", "Attachment added"),
    "add_attachment": pgettext_lazy("timeline", "Attachment added"),
}
OTHER = pgettext_lazy("timeline", "Other entry")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key], or None: for dictionaries keyed by id in templates."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def timeline_label(action: str) -> str:
    """The readable name of a timeline entry; "other entry" for a name not known here (never
    the code itself)."""
    if action in TIMELINE_LABELS:
        return str(TIMELINE_LABELS[action])
    if action.startswith("mediation"):
        return str(pgettext_lazy("timeline", "Mediation"))
    return str(OTHER)


@register.simple_tag
def split_actions(actions: list, open_action: str = "") -> dict[str, Any]:
    """{"next": [...], "more": [...], "more_open": bool} from the (transition, form) pairs."""
    by_name = {t.name: (t, f) for t, f in actions}
    first = [by_name[n] for n in NEXT_ACTIONS if n in by_name][:MAX_NEXT]
    if not first and "add_progress" in by_name:
        first = [by_name["add_progress"]]
    chosen = {t.name for t, _f in first}
    more = [(t, f) for t, f in actions if t.name not in chosen]
    return {
        "next": first,
        "more": more,
        "more_open": any(t.name == open_action for t, _f in more),
    }


@register.simple_tag(takes_context=True)
def mediation_link(context: template.Context, case: Any) -> str:
    """The address of the case's mediation page when the user may open it, else ""."""
    access = context.get("access")
    if access is None or not access.has_perm(Perm.MEDIATION_HANDLE):
        return ""
    if case.kind != "dispute" and not hasattr(case, "mediation"):
        return ""
    return reverse("mediation:case", args=[case.pk])


@register.filter
def party_role(value: str) -> str:
    """The display name of a party's role code (申请人, 被申请人 …)."""
    from fengqiao.cases.models import Party

    labels = dict(Party.PartyRole.choices)
    return str(labels.get(value, value))
