"""Mediation actions: one function per action, one module per group. Views, the API, the demo
and the periodic tasks call only these.

| module | actions |
|---|---|
| `committees` | add and remove mediators (members 3–9, hired mediators, volunteers), conflicts, suggestions |
| `intake` | register (civil disputes only), accept (受理), assign mediators |
| `sessions` | notice of rights and duties, investigation, planned and held sessions, violence risk |
| `agreement` | written or oral agreement, signatures and seal, taking effect, oral-agreement register |
| `performance` | items performed, follow-up (回访), reminders |
| `confirmation` | judicial confirmation |
| `ending` | a party refuses, a party ends it (art. 23), failure, withdrawal |
| `deadlines` | extension of the time limit, the time-limit sweep |
| `numbers` | document numbers, the committee's time limit |
| `supervision` | the judicial office (司法所): its committees, overdue disputes, reviews |

`base` holds what they share (`begin`, the case side); `fengqiao.mediation.workflow` the table
of transitions and `transition()`, the one place a mediation's state changes.
"""

from ..errors import MediationNotFound
from .agreement import missing_signatures, oral_agreements, record_agreement, sign, take_effect
from .base import get_mediation, visible_mediations
from .committees import (
    MAX_MEMBERS,
    MIN_MEMBERS,
    Suggestion,
    active_mediators,
    acts_for_committee,
    add_mediator,
    check_constituted,
    conflicts_of,
    may_manage,
    members,
    remove_mediator,
    suggest_assignment,
)
from .confirmation import confirmation_days_left, record_judicial_confirmation
from .deadlines import TimeLimitReport, extend_time_limit, sweep_time_limits
from .ending import ROUTES, record_failure, refuse, terminate, withdraw
from .intake import accept, assign, check_civil_dispute, start
from .numbers import allocate_number, committee_prefix, time_limit_days
from .performance import (
    REMIND_DAYS_BEFORE,
    mark_performance,
    record_followup,
    send_performance_reminders,
)
from .sessions import (
    deliver_notice,
    parties_without_notice,
    plan_session,
    planned_sessions,
    record_investigation,
    record_session,
    report_violence_risk,
)
from .supervision import (
    CommitteeLine,
    committee_lines,
    overdue_mediations,
    recent_reviews,
    record_review,
    supervised_committees,
    supervised_mediations,
)
from .workbench import mediator_of, workbench

__all__ = [
    "MAX_MEMBERS",
    "MIN_MEMBERS",
    "REMIND_DAYS_BEFORE",
    "ROUTES",
    "CommitteeLine",
    "MediationNotFound",
    "Suggestion",
    "TimeLimitReport",
    "accept",
    "active_mediators",
    "acts_for_committee",
    "add_mediator",
    "allocate_number",
    "assign",
    "check_civil_dispute",
    "check_constituted",
    "committee_lines",
    "committee_prefix",
    "confirmation_days_left",
    "conflicts_of",
    "deliver_notice",
    "extend_time_limit",
    "get_mediation",
    "mark_performance",
    "may_manage",
    "mediator_of",
    "members",
    "missing_signatures",
    "oral_agreements",
    "overdue_mediations",
    "parties_without_notice",
    "plan_session",
    "planned_sessions",
    "recent_reviews",
    "record_agreement",
    "record_failure",
    "record_followup",
    "record_investigation",
    "record_judicial_confirmation",
    "record_review",
    "record_session",
    "refuse",
    "remove_mediator",
    "report_violence_risk",
    "send_performance_reminders",
    "sign",
    "start",
    "suggest_assignment",
    "supervised_committees",
    "supervised_mediations",
    "sweep_time_limits",
    "take_effect",
    "terminate",
    "time_limit_days",
    "visible_mediations",
    "withdraw",
    "workbench",
]
