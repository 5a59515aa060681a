"""Which URLs a fetch may go to: hosts on an allow-list, and only public addresses.

A ``FetchGuard`` is asked twice per hop: ``check_url`` before a request (scheme, host on the
allow-list, an IP literal's address) and ``check_addresses`` on what DNS answered for a name
(``crawl.transports`` resolves through it, so the connection goes to an address that was
checked, never to a second DNS answer). Redirects are hops like any other.

Refused: every address that is not globally routable (loopback, RFC 1918 private, CGNAT shared
space, link-local, IPv6 unique-local, multicast, reserved, unspecified, documentation), the same
inside IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms, and the cloud metadata endpoints, some of
which are public addresses (Azure's 168.63.129.16). ``permitted`` names addresses or networks that
are allowed although not public, for tests and local use (the sample catalog on 127.0.0.1); the
metadata endpoints stay refused even then. On Fly.io, `.internal` names resolve to 6PN addresses
in fdaa::/16, which is unique-local: refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FETCH_SCHEMES = frozenset({"http", "https"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure wire server (a public address)
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ValueError):
    """A URL or address the guard refuses; the message names it and says why."""


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public address to fetch from, or None when it is."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_refusal(embedded)
            return f"{inner} (as {embedded} inside an IPv6 address)" if inner else None
    for test, what in (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
    ):
        if test:
            return what
    if not address.is_global:  # CGNAT 100.64/10, benchmarking, documentation ranges, ...
        return "not a globally routable address"
    return None


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1"); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def normalized_host(host: str) -> str:
    """Lowercase, no trailing dot, brackets off; an IP literal in its canonical form (yarl writes
    ::ffff:127.0.0.1 as ::ffff:7f00:1)."""
    host = host.strip().rstrip(".").lower().removeprefix("[").removesuffix("]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True)
class FetchGuard:
    """`allowed_hosts`: the host names (or IP literals) a fetch may name, compared without port,
    case or a trailing dot; None allows any host (the addresses are still checked).
    `permitted`: networks allowed although not public (tests, local use)."""

    allowed_hosts: frozenset[str] | None = None
    permitted: tuple[IPNetwork, ...] = ()

    def __post_init__(self) -> None:
        if self.allowed_hosts is not None:
            object.__setattr__(self, "allowed_hosts", frozenset(map(normalized_host, self.allowed_hosts)))

    def check_address(self, address: IPAddress, host: str) -> None:
        reason = address_refusal(address)
        if reason is None:
            return
        if address not in METADATA_ADDRESSES and any(address in network for network in self.permitted):
            return
        shown = host if host == str(address) else f"{host} ({address})"
        raise AddressRefused(f"{shown} is {reason}; refused")

    def check_addresses(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The addresses of `host` that may be connected to, in DNS order; AddressRefused when none."""
        allowed, refusals = [], []
        for text in addresses:
            try:
                self.check_address(ipaddress.ip_address(text.split("%", 1)[0]), host)
                allowed.append(text)
            except AddressRefused as exc:
                refusals.append(str(exc))
        if not allowed:
            raise AddressRefused("; ".join(refusals) or f"{host} resolved to no address")
        return allowed

    def check_url(self, url: str) -> None:
        """Scheme, host on the allow-list, and (for an IP literal) its address; AddressRefused if not."""
        parts = urlsplit(url)
        if parts.scheme not in FETCH_SCHEMES:
            raise AddressRefused(f"{url!r}: scheme {parts.scheme!r} is not fetched (only http and https)")
        host = normalized_host(parts.hostname or "")
        if not host:
            raise AddressRefused(f"{url!r} names no host")
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            raise AddressRefused(f"host {host!r} is not on the allow-list ({', '.join(sorted(self.allowed_hosts))})")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return  # a name: checked when it resolves
        self.check_address(address, host)
