"""A per-key limit on Open311 POST requests (OPEN311_POST_RATE, e.g. "60/m").

Counted per api_key in fixed windows in Django's cache: set REDIS_URL when several web
processes run, so they share one count. Every POST with a valid key counts, accepted or not, so
a client cannot probe without limit. An empty setting switches the limit off.
"""

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from fengqiao.open311.models import Open311Client

DEFAULT_RATE = "60/m"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(value: str) -> Rate | None:
    """ "60/m", "1000/h", "5/600" (seconds), "10/5m" → Rate; "" → None (no limit)."""
    if not value.strip():
        return None
    match = _RATE.match(value)
    if match is None or (not match.group(2) and not match.group(3)):
        raise ImproperlyConfigured(
            f"OPEN311_POST_RATE={value!r}: use count/period, e.g. 60/m, 1000/h or 5/600."
        )
    count = int(match.group(1))
    seconds = int(match.group(2) or 1) * UNITS[match.group(3) or "s"]
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"OPEN311_POST_RATE={value!r}: count and period must be > 0.")
    return Rate(count, seconds)


def post_rate() -> Rate | None:
    return parse_rate(getattr(settings, "OPEN311_POST_RATE", DEFAULT_RATE))


def hit(client: Open311Client, now: float | None = None) -> int | None:
    """Count one POST of this client. None when allowed, else seconds until the next window."""
    rate = post_rate()
    if rate is None:
        return None
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    # The key hash is unique per key (ids may be reused after a deletion).
    key = f"fengqiao:open311:post:{client.key_hash}:{rate.seconds}:{window}"
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
