"""Two-factor login (django-otp): a TOTP device per account, plus recovery codes (a static-token
device), and the one place that changes them.

An account holding a role listed in TWO_FACTOR_REQUIRED_ROLES must enrol; others may when
TWO_FACTOR_OPTIONAL is on. A lost phone is handled by a recovery code (each works once) or by an
administrator who may edit the account (Perm.STAFF_EDIT over it), who resets its devices; the
owner then enrols again at the next login. Every change is written to the audit trail.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts.access import access_for
from fengqiao.accounts.models import User
from fengqiao.accounts.roles import Perm
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry

TOTP_NAME = "totp"
RECOVERY_NAME = "recovery"


class TwoFactorError(Exception):
    """A code that did not match, or a step out of order; the message is for the user."""


def required(user: Any) -> bool:
    """Whether this account must log in with a second factor (its roles decide)."""
    roles = tuple(settings.TWO_FACTOR_REQUIRED_ROLES)
    return bool(roles) and access_for(user).has_role(*roles)


def offered(user: Any) -> bool:
    return required(user) or bool(settings.TWO_FACTOR_OPTIONAL)


def enrolled(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def _lock(user: Any) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


# What the audit trail records of an account's second factor ("two_factor": ["", what]).
AUDIT_KEY = gettext_lazy("Two-factor login")
AUDIT_EVENTS = {
    "enrolled": pgettext_lazy("two-factor", "set up"),
    "recovery codes renewed": pgettext_lazy("two-factor", "recovery codes renewed"),
    "recovery code used": pgettext_lazy("two-factor", "recovery code used"),
    "turned off": pgettext_lazy("two-factor", "turned off"),
    "reset": pgettext_lazy("two-factor", "reset by an administrator"),
}


def _record(actor: Any, user: Any, what: str) -> None:
    audit.record(actor, AuditEntry.Action.UPDATE, user, {"two_factor": ["", what]})


def start_enrolment(user: Any) -> TOTPDevice:
    """A new, unconfirmed TOTP device for the user to scan (earlier unconfirmed ones dropped)."""
    if not offered(user):
        raise PermissionDenied(_("Two-factor login is not offered to this account."))
    with transaction.atomic():
        _lock(user)
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def confirm_enrolment(user: Any, device_id: int, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the scanned device with a code it shows; returns it and new recovery codes
    (shown once). Any earlier device of the account is replaced."""
    with transaction.atomic():
        _lock(user)
        device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()
        if device is None:
            raise TwoFactorError(_("The set-up has expired; start again."))
        if not device.verify_token(code.strip()):
            raise TwoFactorError(_("The code is wrong or has expired; enter the current one."))
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        _record(user, user, "enrolled")
    return device, codes


def regenerate_recovery_codes(user: Any) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        _lock(user)
        if not enrolled(user):
            raise TwoFactorError(_("Two-factor login is not set up for this account."))
        codes = _new_recovery_codes(user)
        _record(user, user, "recovery codes renewed")
    return codes


def verify(user: Any, code: str) -> Any:
    """The device that accepts this code (TOTP or a recovery code, used up), or None.
    django-otp throttles repeated failures per device."""
    code = "".join(code.split())
    if not code or len(code) > 32:
        return None
    with transaction.atomic():
        device = match_token(user, code)
        if device is not None and isinstance(device, StaticDevice):
            _record(user, user, "recovery code used")
    return device


def turn_off(user: Any) -> None:
    """The owner turns two-factor login off (only where it is optional for them)."""
    if required(user):
        raise PermissionDenied(_("Two-factor login is required for your roles."))
    with transaction.atomic():
        _lock(user)
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _record(user, user, "turned off")


def may_reset(actor: Any, target: Any) -> bool:
    if not getattr(actor, "is_authenticated", False) or actor.pk == target.pk:
        return False
    return access_for(actor).users(Perm.STAFF_EDIT).filter(pk=target.pk).exists()


def reset(target: Any, *, actor: Any) -> None:
    """An administrator removes an account's devices (a lost phone); it enrols again."""
    if not may_reset(actor, target):
        raise PermissionDenied(_("You may not reset two-factor login of this account."))
    with transaction.atomic():
        _lock(target)
        TOTPDevice.objects.filter(user=target).delete()
        StaticDevice.objects.filter(user=target).delete()
        _record(actor, target, "reset")
