"""The client's address: REMOTE_ADDR, or X-Forwarded-For when the request came through one of
the reverse proxies listed in TRUSTED_PROXIES (addresses or CIDR networks).

X-Forwarded-For is read from the right: each trusted proxy appended the address it saw, so the
first address from the right that is not a trusted proxy is the client. A header sent by anyone
else is ignored (it is trivially forged).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    ip = _parse(address)
    if ip is None:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if not remote or not is_trusted_proxy(remote):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if _parse(hop) is None:
            break  # garbage in the header: trust nothing left of it
        if not is_trusted_proxy(hop):
            return hop
    return remote
