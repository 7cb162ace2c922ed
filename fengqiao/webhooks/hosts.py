"""Where webhooks may go: never to private, loopback, link-local, multicast or reserved addresses.

A subscriber chooses the URL, so without this check the platform would POST into its own network
for them (server-side request forgery). The host is checked twice:

- when a subscription is created (`check_url`): an IP literal (in any spelling `inet_aton` reads,
  e.g. `2130706433`), `localhost` and a name that resolves to a refused address are refused; a
  name that does not resolve yet is accepted, because the delivery check follows;
- at every delivery (`delivery_addresses`): the name is resolved again, every address must be
  allowed, and the connection goes to exactly those addresses (no second lookup a DNS rebinding
  could answer differently).

`WEBHOOK_ALLOW_PRIVATE_HOSTS` (default false) switches both checks off, for installations whose
receivers sit in the same private network (and for tests that deliver to 127.0.0.1).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}


class HostRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not be sent to."""


def private_hosts_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused_address(ip: IPAddress) -> bool:
    """Whether webhooks may not go to this address."""
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast  # 224.0.0.0/4 counts as "global" in ipaddress
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return True
    embedded = _embedded_ipv4(ip)
    return embedded is not None and refused_address(embedded)


def resolve(host: str, port: int, *, numeric_only: bool = False) -> list[str]:
    """The addresses of `host` (socket.gaierror when it has none). Tests replace this."""
    flags = socket.AI_NUMERICHOST if numeric_only else 0
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP, flags=flags)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _is_localhost(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def _refused_message(host: str, address: str) -> str:
    return _(
        "The host %(host)s is, or resolves to, a private, loopback, link-local, multicast or "
        "reserved address (%(address)s); webhooks cannot be sent there."
    ) % {"host": host, "address": address}


def _check_addresses(host: str, addresses: list[str]) -> None:
    for address in addresses:
        # getaddrinfo may append a zone to link-local IPv6 addresses ("fe80::1%eth0").
        if refused_address(ipaddress.ip_address(address.split("%", 1)[0])):
            raise HostRefused(_refused_message(host, address))


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)


def check_url(url: str) -> None:
    """At subscription time: HostRefused when the URL's host is refused (see the docstring)."""
    if private_hosts_allowed():
        return
    host, port = _host_and_port(url)
    if _is_localhost(host):
        raise HostRefused(_refused_message(host, "127.0.0.1"))
    try:
        addresses = resolve(host, port, numeric_only=True)
    except (OSError, UnicodeError):
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            return  # not resolvable now: checked again at every delivery
    _check_addresses(host, addresses)


def delivery_addresses(url: str) -> tuple[str, int, list[str]]:
    """At delivery time: host, port and the addresses to connect to, all checked.

    HostRefused when any address is refused; OSError when the name does not resolve.
    """
    host, port = _host_and_port(url)
    if not host:
        raise HostRefused(_("The URL has no host."))
    try:
        addresses = resolve(host, port)
    except UnicodeError as exc:
        raise OSError(f"Bad host name: {exc}") from None
    if not addresses:
        raise OSError(f"No address for {host}")
    if not private_hosts_allowed():
        if _is_localhost(host):
            raise HostRefused(_refused_message(host, addresses[0]))
        _check_addresses(host, addresses)
    return host, port, addresses
