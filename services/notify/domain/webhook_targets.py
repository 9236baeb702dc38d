"""Where a webhook may point: public http(s) addresses only, unless the deployment allowlists a host or network (pure).

An address is refused when it is loopback, private, link-local, shared (CGNAT), reserved,
multicast or unspecified, including IPv4 addresses hidden inside IPv6 (IPv4-mapped,
IPv4-compatible, 6to4, Teredo, NAT64). The same rule is applied when the subscription is
registered and again to every address the host resolves to just before each send.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = {"http": 80, "https": 443}
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".in-addr.arpa", ".ip6.arpa")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """The webhook target is not allowed; the message is the Chinese reason shown to the caller."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int


@dataclass(frozen=True)
class Allowlist:
    """Hosts (exact names or literal addresses) and networks that may be non-public: local receivers in development and tests."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: list[str]) -> Allowlist:
        hosts, networks = set(), []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (IPv4-compatible, deprecated)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (and the IPv4 inside an IPv6 address must be one too)."""
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse_target(url: str) -> Target:
    """Scheme, host and port of a webhook URL; only http and https with a host and no credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("Webhook 地址格式不正确") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("Webhook 地址只能使用 http 或 https")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Webhook 地址不能包含用户名或密码")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("Webhook 地址缺少主机名")
    return Target(scheme, host.lower(), port or SCHEMES[scheme])


def refusal(host: str, addresses: list[IPAddress], allowlist: Allowlist) -> str | None:
    """Why a host with these (resolved or literal) addresses may not be called, or None when it may."""
    if allowlist.allows_host(host):
        return None
    literal = literal_address(host)
    if literal is None and (host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES)):
        return f"Webhook 地址不能指向本机或内部网络（{host}）"
    for address in ([literal] if literal is not None else []) + list(addresses):
        if not is_public(address) and not allowlist.allows_address(address):
            return f"Webhook 地址不能指向本机、内网或保留地址（{address}）"
    return None


def check_literal(url: str, allowlist: Allowlist) -> Target:
    """The target of a URL, refused when its host is itself a non-public address or a local name (no lookup)."""
    target = parse_target(url)
    reason = refusal(target.host, [], allowlist)
    if reason:
        raise TargetRefused(reason)
    return target
