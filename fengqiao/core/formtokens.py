"""One-time form tokens: a form that creates something (a case) carries a hidden token; the
first successful submit consumes it in the same transaction that creates the thing, and a
repeated submit (a double click, a reload, a retry on poor signal) is sent to what the first one
created instead of creating it again.

    token = formtokens.issue(request.user, "intake")        # GET: put it in the form
    with formtokens.use(request.user, "intake", posted) as use:
        if use.done_url:                                     # submitted before
            return redirect(use.done_url)
        case = actions.intake(...)                           # may raise: the token stays unused
        use.consume(url_of(case))

The token row is locked (select_for_update) for the duration: a concurrent second submit waits
for the first to commit and then finds the token used.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.core.models import FormToken

FIELD = "form_token"
# Tokens of forms never submitted are dropped after this long.
KEEP = timedelta(days=2)


class UnknownFormToken(Exception):
    """The form carries no token, or one that is not this user's (expired or forged)."""


def issue(user: Any, purpose: str) -> str:
    token = secrets.token_urlsafe(32)
    FormToken.objects.create(token=token, user=user, purpose=purpose)
    FormToken.objects.filter(user=user, created_at__lt=timezone.now() - KEEP).delete()
    return token


@dataclass
class Use:
    row: FormToken

    @property
    def done_url(self) -> str | None:
        return (self.row.result_url or "/") if self.row.consumed_at is not None else None

    def consume(self, result_url: str) -> None:
        self.row.consumed_at = timezone.now()
        self.row.result_url = result_url[:500]
        self.row.save(update_fields=["consumed_at", "result_url"])


@contextmanager
def use(user: Any, purpose: str, token: str | None) -> Iterator[Use]:
    """Lock the token for this submit; raises UnknownFormToken when there is none."""
    if not token or len(token) > 64:
        raise UnknownFormToken
    with transaction.atomic():
        row = (
            FormToken.objects.select_for_update()
            .filter(token=token, user=user, purpose=purpose)
            .first()
        )
        if row is None:
            raise UnknownFormToken
        yield Use(row)
