"""Login lock-out with one limit per account and another per address (django-axes handler).

axes counts failures in the database (shared by every process) for each lock-out parameter
(AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]: the account over all addresses, and the
address over all accounts) and compares the largest count with one limit. An office behind one
address should not be locked out by a few typos of different people, so the per-address count is
scaled: it reaches AXES_FAILURE_LIMIT when it reaches LOGIN_FAILURE_LIMIT_PER_ADDRESS.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def _limit(parameter: Any) -> int:
    if parameter == "ip_address":
        return max(1, int(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS))
    return max(1, int(settings.AXES_FAILURE_LIMIT))


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        base = max(1, int(settings.AXES_FAILURE_LIMIT))
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            # Scaled to the common limit, rounding down: locked when failures >= own limit.
            worst = max(worst, failures * base // _limit(parameter))
        return worst
