"""Per-recipient SMS throttle (SMS_RECIPIENT_RATE, e.g. "10/m"): no resident's phone gets more.

Counted per phone number (hashed) in fixed windows in Django's cache, shared by every worker
when REDIS_URL is set. What is held back is not dropped: the notification task sends it when
the window has passed (fengqiao.cases.tasks.deliver_notification). With fixed windows a phone
gets at most twice the count in any rolling period (20 in a minute at "10/m").
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def sms_rate() -> Rate | None:
    """SMS_RECIPIENT_RATE as a Rate ("10/m", "30/h", "5/600"); empty: no throttle."""
    value = str(settings.SMS_RECIPIENT_RATE)
    if not value.strip():
        return None
    match = _RATE.match(value)
    if match is None or (not match.group(2) and not match.group(3)):
        raise ImproperlyConfigured(f"SMS_RECIPIENT_RATE={value!r}: use count/period, e.g. 10/m")
    rate = Rate(int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3) or "s"])
    if rate.count < 1 or rate.seconds < 1:
        raise ImproperlyConfigured(f"SMS_RECIPIENT_RATE={value!r}: count and period must be > 0")
    return rate


def hold_back(phone: str, now: float | None = None) -> int | None:
    """Count one SMS to `phone`. None when it may go now, else seconds until it may."""
    rate = sms_rate()
    if rate is None or not phone:
        return None
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    digest = hashlib.sha256(phone.encode()).hexdigest()[:32]
    key = f"fengqiao:sms:{digest}:{rate.seconds}:{window}"
    if cache.add(key, 1, rate.seconds + 1):
        used = 1
    else:
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, rate.seconds + 1)
            used = 1
    if used <= rate.count:
        return None
    return max(1, int((window + 1) * rate.seconds - now + 0.999))
