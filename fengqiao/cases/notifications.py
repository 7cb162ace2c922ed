"""Outbound notifications through one interface: `send(recipient, subject, body)`.

Channels: e-mail (Django's mail backend) is built in; SMS is an interface a provider plugs
into by naming a subclass of `SmsChannel` in settings.SMS_CHANNEL (dotted path). Services
never send inside a transaction: they call `queue()`, which enqueues the django-tasks task
`deliver_notification` for the current transaction (it runs only if the transaction commits).
"""

import abc
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from fengqiao.core.background import enqueue_with_transaction


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    email: str = ""
    phone: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Recipient":
        return cls(**{k: data.get(k, "") for k in ("name", "email", "phone")})

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


class Channel(Protocol):
    name: str

    def can_reach(self, recipient: Recipient) -> bool: ...

    def send(self, recipient: Recipient, subject: str, body: str) -> None: ...


class EmailChannel:
    name = "email"

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, recipient: Recipient, subject: str, body: str) -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])


class SmsChannel(abc.ABC):
    """Base class for an SMS provider: subclass it, implement `send_sms(phone, text)` and name the
    subclass in the SMS_CHANNEL setting. No provider ships with the platform (each county has its
    own contract)."""

    name = "sms"

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    def send(self, recipient: Recipient, subject: str, body: str) -> None:
        self.send_sms(recipient.phone, f"{subject}: {body}" if subject else body)

    @abc.abstractmethod
    def send_sms(self, phone: str, text: str) -> None: ...


def channels() -> list[Channel]:
    found: list[Channel] = [EmailChannel()]
    sms = settings.SMS_CHANNEL
    if sms:
        found.append(import_string(sms)())
    return found


def send(recipient: Recipient, subject: str, body: str) -> list[str]:
    """Deliver now through every channel that can reach the recipient; the channels used."""
    used = []
    for channel in channels():
        if channel.can_reach(recipient):
            channel.send(recipient, subject, body)
            used.append(channel.name)
    return used


def reaching(recipient: Recipient) -> list[str]:
    """The names of the channels that can reach the recipient."""
    return [channel.name for channel in channels() if channel.can_reach(recipient)]


def send_each(
    recipient: Recipient, subject: str, body: str, only: list[str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Deliver through every channel that reaches the recipient (or only those named), each on
    its own: the channels that sent, and the error of each that failed."""
    sent: list[str] = []
    failed: dict[str, str] = {}
    for channel in channels():
        if (only is not None and channel.name not in only) or not channel.can_reach(recipient):
            continue
        try:
            channel.send(recipient, subject, body)
        except Exception as exc:  # any provider error is retried (fengqiao.ops.retry)
            failed[channel.name] = f"{type(exc).__name__}: {exc}"
        else:
            sent.append(channel.name)
    return sent, failed


def queue(recipient: Recipient, subject: str, body: str) -> None:
    """Send in the background after the current transaction commits (nothing if it rolls back)."""
    if not recipient.reachable:
        return
    from fengqiao.cases.tasks import deliver_notification

    enqueue_with_transaction(deliver_notification, asdict(recipient), str(subject), str(body))
