"""The HTTP client workers deliver webhooks with: it connects only where a webhook may point.

The check lives in the connection itself: for each new connection the host is resolved once, every
address is checked (core.notifications.urls), and the socket is opened to one of exactly those
addresses. TLS still verifies the certificate against the URL's host name (SNI and Host are the
name's), so pinning the address costs nothing, and a DNS answer changed between the check and the
connect (rebinding) cannot reach a private address. No redirects are followed, no proxy from the
environment is used.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from core.config import get_settings
from core.notifications.urls import Resolver, address_refusal, resolve_host

CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 10.0
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class AddressRefused(Exception):
    """The webhook host resolves to an address deliveries may not reach. Not an httpx error on
    purpose: it passes through httpx untouched, so the delivery can say why it did not connect."""

    def __init__(self, host: str, reason: str):
        self.host = host
        self.reason = reason
        super().__init__(f"{host} resolves to {reason}")


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address, then connect to a checked address (never to the name again)."""

    def __init__(self, *, allow_private: bool, resolve: Resolver | None = None,
                 inner: httpcore.AsyncNetworkBackend | None = None):
        self._allow_private = allow_private
        self._resolve = resolve or resolve_host
        self._inner = inner or httpcore.AnyIOBackend()

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        try:
            async with asyncio.timeout(timeout or CONNECT_TIMEOUT_SECONDS):
                addresses = await self._resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        # Every answer must pass: a resolver mixing a public and a private address is refused.
        for address in addresses:
            reason = address_refusal(address, allow_private=self._allow_private)
            if reason is not None:
                raise AddressRefused(host, reason)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                      socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, "a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, error mapping) over a pool that uses the guarded backend."""

    def __init__(self, *, allow_private: bool, resolve: Resolver | None = None,
                 verify: ssl.SSLContext | bool = True, inner: httpcore.AsyncNetworkBackend | None = None,
                 limits: httpx.Limits = LIMITS):
        super().__init__(verify=verify, trust_env=False, limits=limits)
        ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(
            verify=verify, trust_env=False)
        self.backend = GuardedNetworkBackend(allow_private=allow_private, resolve=resolve, inner=inner)
        # httpx builds its pool in __init__ without a way to pass a network backend: replace it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )


def webhook_http_client(*, allow_private: bool | None = None, resolve: Resolver | None = None,
                        verify: ssl.SSLContext | bool = True,
                        inner: httpcore.AsyncNetworkBackend | None = None) -> httpx.AsyncClient:
    """The client for `core.notifications.service.deliver` (the worker makes one at startup)."""
    if allow_private is None:
        allow_private = get_settings().webhooks_may_reach_private()
    transport = GuardedTransport(allow_private=allow_private, resolve=resolve, verify=verify, inner=inner)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                             timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS))
