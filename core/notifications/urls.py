"""Where a webhook may point: https, to a public address.

A partner's URL must not make our workers call into our own network (SSRF): loopback, private,
shared (CGNAT) and documentation ranges are refused unless private targets are allowed
(Settings.webhooks_may_reach_private: development, test, or WEBHOOK_ALLOW_PRIVATE=true), and so is
plain http. Link-local (cloud metadata at 169.254.169.254), multicast, unspecified and reserved
addresses are refused always. The URL is checked when it is set (its host resolved) and again at
every delivery, where the connection itself checks the addresses it connects to
(core.notifications.transport), so a DNS answer that changed since cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from core.notifications.errors import InvalidWebhookUrl

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Cloud metadata services outside link-local (AWS over IPv6, Alibaba): refused even when private
# targets are allowed, like 169.254.169.254.
_METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64): it is what gets reached."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_refusal(address: str | IPAddress, *, allow_private: bool) -> str | None:
    """Why a webhook may not connect to `address`, or None when it may."""
    ip = _embedded_ipv4(ipaddress.ip_address(address))
    if ip.is_unspecified:
        return "an unspecified address"
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_global:
        return None
    if ip.is_loopback:
        return None if allow_private else "a loopback address"
    if ip.is_reserved:  # 240.0.0.0/4 with the broadcast address, IPv6's unassigned blocks
        return "a reserved address"
    return None if allow_private else "a private address"


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_localhost(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (what a connection could reach), in resolver order."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refuse(reason: str) -> InvalidWebhookUrl:
    return InvalidWebhookUrl(f"the webhook URL {reason}", field="url")


def check_url_shape(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """The checks needing no DNS: scheme, host, port, literal addresses. Returns (url, host, port)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        raise InvalidWebhookUrl(f"the webhook URL must be an https URL of at most {MAX_URL_LENGTH} characters",
                                field="url")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise _refuse("has an invalid port") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise _refuse("must start with https:// and name a host")
    host = parts.hostname
    literal = _literal_ip(host)
    if literal is not None:
        reason = address_refusal(literal, allow_private=allow_private)
        if reason is not None:
            raise _refuse(f"points at {reason}")
    elif _is_localhost(host) and not allow_private:
        raise _refuse("points at a loopback address")
    return url, host, port or (443 if parts.scheme == "https" else 80)


async def validate_webhook_url(url: str, *, allow_private: bool, resolve: Resolver | None = None) -> str:
    """The URL to store, or InvalidWebhookUrl. Resolves the host unless private targets are allowed."""
    url, host, port = check_url_shape(url, allow_private=allow_private)
    if allow_private or _literal_ip(host) is not None:
        return url
    try:
        addresses = await (resolve or resolve_host)(host, port)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise _refuse(f"names a host that does not resolve ({host})") from exc
    if not addresses:
        raise _refuse(f"names a host that does not resolve ({host})")
    for address in addresses:
        reason = address_refusal(address, allow_private=False)
        if reason is not None:
            raise _refuse(f"resolves to {reason}")
    return url
