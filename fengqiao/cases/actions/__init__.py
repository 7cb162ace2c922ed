"""Case actions: intake and one function per transition. Views, the API, Open311, mediation and
the demo change cases only through these.

One module per step of a case's life, in the order a case meets them:

| module | actions |
|---|---|
| `input.py` | `CaseInput`, `clean_case_data`: the one validation of a new case |
| `registration.py` | `intake` (and `numbers.py`: tracking numbers) |
| `on_the_spot.py` | `resolve_on_the_spot`: a grid worker's report of a matter settled on the spot |
| `triage.py` | `accept`, `dispatch`, `return_case`, `escalate` |
| `tasks.py` | `assign_task` (to a station's grid worker), `acknowledge_task`, `start_task`, `complete_task`, `waive_task` |
| `handling.py` | `start`, `add_progress`, `suspend`, `resume`, `resolve` |
| `closing.py` | `close`, `cancel`, `divert`, `update_diversion`, `reopen` |
| `merging.py` | `merge`, `split` |
| `deadlines.py` | extensions, supervision cards, `sweep_deadlines`, `flag_mediation_overdue` |
| `aftercare.py` | `record_visit`, `public_status`, `rate_by_reporter` |
| `details.py` | `update_details`, `add_attachment` |
| `inbox.py` | `inbox_for`, `mark_read` |
| `base.py` | the plumbing: `begin` (lock, scope, version, state), `transition` (the table's target and the history row), inbox, notifications, indexing |

Every action that changes a case runs in `transaction.atomic()`, locks the case row, checks its
row of `workflow.TRANSITIONS` with the actor's access and scope, compares `expected_version`
with the row (ConflictError when someone changed it in between; the caller keeps the user's
input), makes the change through `base.transition`, and queues side effects on commit.

Errors are one family, `fengqiao.cases.errors.CaseError` (field, code, message), with an HTTP
status on each subclass. Nothing is changed when one is raised. Typical use from a view::

    from fengqiao.cases import actions
    try:
        actions.accept(request.user, case_id, expected_version=form.cleaned_data["version"])
    except actions.CaseError as e:
        form.add_error(e.field or None, e.message)
"""

from fengqiao.cases.actions.aftercare import public_status, rate_by_reporter, record_visit
from fengqiao.cases.actions.base import index_case, transition
from fengqiao.cases.actions.closing import cancel, close, divert, reopen, update_diversion
from fengqiao.cases.actions.deadlines import (
    MAX_EXTENSION_DAYS,
    SWEPT_STATES,
    SweepReport,
    approve_extension,
    decide_extension,
    flag_mediation_overdue,
    raise_supervision,
    reject_extension,
    request_extension,
    sweep_deadlines,
)
from fengqiao.cases.actions.details import EDITABLE, add_attachment, update_details
from fengqiao.cases.actions.handling import add_progress, resolve, resume, start, suspend
from fengqiao.cases.actions.inbox import inbox_for, mark_read
from fengqiao.cases.actions.input import CaseInput, clean_case_data
from fengqiao.cases.actions.merging import merge, split
from fengqiao.cases.actions.numbers import allocate_tracking_number
from fengqiao.cases.actions.on_the_spot import resolve_on_the_spot
from fengqiao.cases.actions.registration import IntakeResult, intake
from fengqiao.cases.actions.tasks import (
    acknowledge_task,
    assign_task,
    complete_task,
    start_task,
    waive_task,
)
from fengqiao.cases.actions.triage import NEXT_LEVEL, accept, dispatch, escalate, return_case
from fengqiao.cases.duplicates import suggest_duplicates
from fengqiao.cases.errors import (
    CaseError,
    CaseNotFound,
    ConflictError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)

__all__ = [
    "EDITABLE",
    "MAX_EXTENSION_DAYS",
    "NEXT_LEVEL",
    "SWEPT_STATES",
    "CaseError",
    "CaseInput",
    "CaseNotFound",
    "ConflictError",
    "IntakeResult",
    "InvalidInput",
    "NotPermitted",
    "SweepReport",
    "TransitionNotAllowed",
    "accept",
    "acknowledge_task",
    "add_attachment",
    "add_progress",
    "allocate_tracking_number",
    "approve_extension",
    "assign_task",
    "cancel",
    "clean_case_data",
    "close",
    "complete_task",
    "decide_extension",
    "dispatch",
    "divert",
    "escalate",
    "flag_mediation_overdue",
    "inbox_for",
    "index_case",
    "intake",
    "mark_read",
    "merge",
    "public_status",
    "raise_supervision",
    "rate_by_reporter",
    "record_visit",
    "reject_extension",
    "reopen",
    "request_extension",
    "resolve",
    "resolve_on_the_spot",
    "resume",
    "return_case",
    "split",
    "start",
    "start_task",
    "suggest_duplicates",
    "suspend",
    "sweep_deadlines",
    "transition",
    "update_details",
    "update_diversion",
    "waive_task",
]
