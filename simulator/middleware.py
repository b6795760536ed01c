"""The ASGI layer in front of the routes: path normalization, the down switch, Basic auth, rate
limits, latency and error injection, and per-endpoint counters.

Order for a vendor path: down (503) → auth (401) → rate limit (429) → latency → injected error →
route. Admin paths (``/_sim/...``) skip all of it (an optional admin token aside).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import time
from typing import Any

from starlette._utils import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.jsonutil import dumps
from simulator.ratelimit import message as rate_limit_message, whole_seconds
from simulator.state import Simulator

ADMIN_PREFIX = "/_sim"
SUPPORTED_VERSIONS = b"1.0, 2.0"

_VERSION = re.compile(r"/v(\d+)(?:\.\d+)?(?=/|$)")
_SLASHES = re.compile(r"/{2,}")

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), name)
    for method, pattern, name in [
        ("GET", r"/api/integration/v1/catalog", "catalog_v1"),
        ("GET", r"/api/integration/v2/catalog", "catalog_v2"),
        ("GET", r"/api/integration/v2/brands", "brands"),
        ("GET", r"/api/integration/v2/categories", "categories"),
        ("GET", r"/api/integration/v2/catalog-countries", "catalog_countries"),
        ("GET", r"/api/integration/v2/getstock/[^/]+/[^/]+", "getstock"),
        ("GET", r"/api/integration/v1/accounts", "accounts"),
        ("GET", r"/api/integration/v1/exchange-rates", "exchange_rates"),
        ("POST", r"/api/integration/v1/orders/checkout", "place_order"),
        ("POST", r"/api/integration/v2/orders/checkout", "place_order_v2"),
        ("GET", r"/api/integration/v1/orders/checkout/[^/]+", "get_order"),
        ("GET", r"/api/integration/v1/orders/[^/]+", "get_order"),
        ("GET", r"/api/integration/v1/orders", "orders_report"),
        ("GET", r"/api/integration/v1/transactions", "transactions"),
        ("GET", r"/api/integration/v1/notification", "notification_get"),
        ("POST", r"/api/integration/v1/notification", "notification_set"),
    ]
]
ENDPOINTS = sorted({name for _, _, name in _ROUTES})


def normalize_path(path: str) -> str:
    """Lower case, ``v1.0`` → ``v1`` (any ``vN.M`` → ``vN``), no doubled or trailing slash."""
    normalized = _SLASHES.sub("/", path.lower())
    normalized = _VERSION.sub(r"/v\1", normalized)
    if len(normalized) > 1:
        normalized = normalized.rstrip("/")
    return normalized or "/"


def classify(method: str, normalized_path: str) -> str | None:
    for route_method, pattern, name in _ROUTES:
        if route_method == method and pattern.match(normalized_path):
            return name
    return None


async def _respond(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
            *(headers or []),
        ],
    })
    await send({"type": "http.response.body", "body": payload})


class SimulatorMiddleware:
    def __init__(self, app: ASGIApp, sim: Simulator):
        self.app = app
        self.sim = sim

    def _authorized(self, scope: Scope) -> bool:
        header = None
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if not header:
            return False
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic" or not token:
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        cfg = self.sim.config
        return bool(sep) and (
            secrets.compare_digest(user.encode(), cfg.client_id.encode())
            & secrets.compare_digest(password.encode(), cfg.client_secret.encode())
        )

    def _admin_allowed(self, scope: Scope) -> bool:
        token = self.sim.config.admin_token
        if not token:
            return True
        for name, value in scope.get("headers") or []:
            if name == b"x-sim-admin-token":
                return secrets.compare_digest(value, token.encode())
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        route_path = get_route_path(scope)
        if route_path.lower().startswith(ADMIN_PREFIX):
            if not self._admin_allowed(scope):
                await _respond(send, 401, {"message": "admin token required"})
                return
            await self.app(scope, receive, send)
            return

        arrival = time.monotonic()
        normalized = normalize_path(route_path)
        endpoint = classify(scope["method"], normalized) or "unmatched"
        sim.stats.requests[endpoint] += 1

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                sim.stats.response(endpoint, message["status"])
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"api-supported-versions", SUPPORTED_VERSIONS)],
                }
            await send(message)

        faults = sim.faults
        if faults.down:
            sim.stats.down_rejections += 1
            await _respond(send_wrapper, 503, {"message": "Service Unavailable"})
            return
        if not self._authorized(scope):
            sim.stats.auth_failures[endpoint] += 1
            await _respond(
                send_wrapper, 401, {"message": "Unauthorized"},
                [(b"www-authenticate", b'Basic realm="Bamboo"')],
            )
            return
        if endpoint != "unmatched":
            if sim.rate_limits_enabled:
                wait = sim.limiter.hit(endpoint, arrival)
                if wait > 0:
                    seconds = whole_seconds(wait)
                    await _respond(
                        send_wrapper, 429, {"message": rate_limit_message(seconds)},
                        [(b"retry-after", str(seconds).encode())],
                    )
                    return
            delay = faults.delay_seconds(endpoint)
            if delay > 0:
                await asyncio.sleep(delay)
            injected = faults.pick_error(endpoint)
            if injected is not None:
                sim.stats.fault(endpoint, injected)
                if injected == 429:
                    seconds = faults.storm_retry_after
                    await _respond(
                        send_wrapper, 429, {"message": rate_limit_message(seconds)},
                        [(b"retry-after", str(seconds).encode())],
                    )
                else:
                    text = "Service Unavailable" if injected == 503 else "An error has occurred."
                    await _respond(send_wrapper, injected, {"message": text})
                return

        root = scope.get("root_path", "")
        full = (root + normalized) if root and scope["path"].startswith(root) else normalized
        inner = dict(scope)
        inner["path"] = full
        inner["raw_path"] = full.encode()
        await self.app(inner, receive, send_wrapper)
