"""Tamper evidence of the case history, and the nightly check of every chain.

Each case's history is one hash chain (fengqiao.core.chain): its writers already hold the case
row, so chaining adds no lock. `verify_chains_task` runs `fengqiao audit verify` on the
scheduler (AUDIT_VERIFY_SECONDS, nightly) and alerts the administrators, security officers and
auditors through the platform's notifications when a chain is broken.
"""

import logging
from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Role
from fengqiao.cases import notifications
from fengqiao.core import chain

log = logging.getLogger(__name__)

chain.register(
    chain.ChainSpec(
        "cases.casehistory",
        "case",
        "case_id",
        (*chain.TIMELINE_FIELDS, "case_id", "public", "public_reply"),
        legacy_order=("at", "id"),
    )
)

# Who is told that a chain broke: those who run, secure and audit the platform.
ALERTED_ROLES = (Role.ADMIN, Role.SECURITY_OFFICER, Role.AUDITOR)


def alert(report: chain.Report) -> int:
    """Tell every active administrator, security officer and auditor; returns how many."""
    users = User.objects.filter(
        is_active=True, assignments__active=True, assignments__role__in=ALERTED_ROLES
    ).distinct()
    lines = [str(b) for b in report.breaks[:20]]
    if len(report.breaks) > len(lines):
        lines.append(_("… and %(n)d more") % {"n": len(report.breaks) - len(lines)})
    subject = _("Records were altered: %(n)d broken hash chain(s)") % {"n": len(report.breaks)}
    body = "\n".join(
        [_("`fengqiao audit verify` found rows edited, deleted or inserted out of order:"), *lines]
    )
    told = 0
    for user in users:
        recipient = notifications.Recipient(user.get_full_name(), user.email, user.phone)
        if recipient.reachable:
            notifications.queue(recipient, subject, body)
            told += 1
    return told


@task()
def verify_chains_task() -> dict[str, Any]:
    """Walk every hash chain; on a break, log it and alert the administrators."""
    report = chain.verify()
    told = 0
    if not report.ok:
        for b in report.breaks:
            log.error("hash chain broken: %s", b)
        told = alert(report)
    return {
        "chains": report.chains,
        "rows": report.rows,
        "breaks": len(report.breaks),
        "told": told,
    }
