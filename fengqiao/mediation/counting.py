"""The one definition of the mediation figures: what counts as accepted, successful and failed,
on which day, and the success rate with its formula and rounding.

Two readers use it and nothing else:
- fengqiao.mediation.figures counts mediations by dispute type, committee and lead mediator
  (workbench, API, the register's statistics sheet);
- the monitoring room (fengqiao.analytics): facts.py turns each mediation into the measures
  below with `measures_of`, kept in step by the incremental refresh (mediation events), and the
  indicators mediation_accepted / _successful / _failed / _success_rate sum them with the
  formula, name and rounding defined here.

Counting rule (调解成功率 = 调解成功数 / 受理数):
- accepted (受理数): mediations accepted (受理) in the period, on the day of acceptance, except
  those a party refused (art. 17: if a party clearly refuses, there is no mediation);
- successful (调解成功数): of those, the ones whose agreement is in effect (state agreed);
- failed (调解不成数): of those, the ones that ended without agreement (state failed);
- the rest are still open or were withdrawn: they stay in the denominator.
- A mediation is placed by its committee: the committee's region and the committee itself as the
  unit (a scope by region path or by unit selects the same mediations on both sides).
Rounding: percentage, two decimals, ROUND_HALF_UP (3872 / 3940 = 98.27 %, never truncated).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import MediationState

S = MediationState

# Measures of the monitoring room's facts (fengqiao.analytics.facts.MEASURES).
ACCEPTED = "mediation_accepted"
SUCCESSFUL = "mediation_successful"
FAILED = "mediation_failed"
MEASURES = {
    ACCEPTED: "mediations accepted, except refused by a party; day = accepted; place = committee",
    SUCCESSFUL: "accepted mediations whose agreement is in effect; day = accepted",
    FAILED: "accepted mediations that failed; day = accepted",
}

# Outcomes of a counted mediation.
SUCCESS, FAILURE, OPEN, WITHDRAWN = "successful", "failed", "open", "withdrawn"

RATE_NAME = gettext_lazy("mediation success rate")
RATE_FORMULA = gettext_lazy("mediation success rate = successful mediations / mediations accepted")
RATE_ROUNDING = gettext_lazy("rounded half up to two decimals")
COUNTS = gettext_lazy(
    "mediations accepted in the period by the committees in the area (placed by the "
    "committee), except those a party refused (no mediation, art. 17); successful: agreement "
    "in effect; failed: ended without agreement; open and withdrawn ones stay accepted"
)
PERIOD_DAY = gettext_lazy("the day the mediation was accepted")


def outcome(state: str, accepted_at: datetime | None) -> str | None:
    """How one mediation counts: None when it is not counted at all (never accepted, or a party
    refused), else SUCCESS, FAILURE, OPEN or WITHDRAWN."""
    if accepted_at is None or state in (S.REGISTERED, S.REFUSED):
        return None
    if state == S.AGREED:
        return SUCCESS
    if state == S.FAILED:
        return FAILURE
    if state == S.WITHDRAWN:
        return WITHDRAWN
    return OPEN


def measures_of(state: str, accepted_at: datetime | None) -> tuple[str, ...]:
    """The monitoring-room measures one mediation contributes (all on its acceptance day)."""
    o = outcome(state, accepted_at)
    if o is None:
        return ()
    extra = {SUCCESS: (SUCCESSFUL,), FAILURE: (FAILED,)}.get(o, ())
    return (ACCEPTED, *extra)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """A rate in percent with two decimals, rounded half up; None without a denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    value: Decimal | None  # percent, two decimals; None when nothing was accepted
    text: str


def success_rate(successful: int, accepted: int) -> Rate:
    """The success rate with its formula and rounding spelled out."""
    value = percent(successful, accepted)
    if value is None:
        text = _("%(formula)s = %(num)s / 0 (nothing accepted: no rate)") % {
            "formula": RATE_FORMULA,
            "num": successful,
        }
        return Rate(successful, 0, None, text)
    text = _("%(formula)s = %(num)s / %(den)s = %(value)s%% (%(rounding)s)") % {
        "formula": RATE_FORMULA,
        "num": successful,
        "den": accepted,
        "value": value,
        "rounding": RATE_ROUNDING,
    }
    return Rate(successful, accepted, value, text)
