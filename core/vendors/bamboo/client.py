"""Async client for Bamboo's Integration API (bamboo-api.md), over httpx.

Every call waits for its endpoint's shared rate budget, has a timeout, and either returns a typed
model (money as Decimal) or raises one of the typed errors in `errors.py`. Logs carry method,
endpoint, status and latency only: never credentials, request bodies or get-order responses.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr, TypeAdapter, ValidationError

from core.config import Settings
from core.logging import get_logger
from core.vendors.bamboo.errors import (
    UNRECOGNIZED_REASON,
    NoVendorAccount,
    OrderNotFound,
    VendorAuthError,
    VendorError,
    VendorOutcomeUnknown,
    VendorRateLimited,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
    error_text_from_body,
    reason_code_for,
    rejection_for,
    rejection_from_body,
)
from core.vendors.bamboo.models import (
    Account,
    AccountList,
    CatalogBrand,
    CatalogPage,
    Category,
    ExchangeRates,
    NotificationConfig,
    Order,
    OrderProduct,
    OrderReportLine,
    TransactionsReport,
    decode_json,
    format_bamboo_datetime,
)
from core.vendors.bamboo.ratelimit import (
    DEFAULT_KEY_PREFIX,
    DEFAULT_LIMITS,
    OTHER_ENDPOINTS_LIMIT,
    BambooEndpoint,
    SharedRateLimiter,
    product_endpoint,
)

CATALOG_PATH = "/api/integration/v2.0/catalog"
CATEGORIES_PATH = "/api/integration/v2.0/categories"
ACCOUNTS_PATH = "/api/integration/v1.0/accounts"
EXCHANGE_RATES_PATH = "/api/integration/v1.0/exchange-rates"
PLACE_ORDER_PATH = "/api/integration/v1.0/orders/checkout"
GET_ORDER_PATH = "/api/integration/v1.0/orders/{request_id}"
ORDERS_REPORT_PATH = "/api/Integration/v1/orders"
TRANSACTIONS_PATH = "/api/Integration/v1/transactions"
NOTIFICATION_PATH = "/api/Integration/v1/notification"

CATALOG_PAGE_SIZE = 100
# A server that ignores PageIndex would otherwise page forever.
CATALOG_MAX_PAGES = 10_000
# Floor for any 429 wait, so a "Retry-After: 0" cannot turn into a hot loop.
MIN_RATE_LIMIT_WAIT_SECONDS = 1.0
RATE_LIMIT_MESSAGE = re.compile(r"wait\s+(?:for\s+)?(\d+)\s+seconds?", re.IGNORECASE)

# Raised before a single byte reached Bamboo: nothing can have happened there.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)

T = TypeVar("T")


@lru_cache(maxsize=None)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def wait_from_message(text: str) -> float | None:
    """Seconds from Bamboo's 'Too many requests. Please wait for 3406 seconds ...'."""
    match = RATE_LIMIT_MESSAGE.search(text or "")
    return float(match.group(1)) if match else None


def _request_id_text(request_id: str | uuid.UUID) -> str:
    # Bamboo requires a GUID; validating also keeps the id safe to put in a URL path.
    if isinstance(request_id, uuid.UUID):
        return str(request_id)
    try:
        uuid.UUID(request_id)
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"RequestId must be a GUID, got {request_id!r}") from None
    return request_id


def _json_literal(value: Any) -> str:
    """JSON text with Decimals written as exact numbers (json.dumps would need a float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("money must be Decimal, never float")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_json_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_literal(v) for v in value) + "]"
    return json.dumps(value)


def _query_date(value: date | datetime | str) -> str:
    if isinstance(value, datetime):
        return format_bamboo_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _validation_summary(exc: ValidationError) -> str:
    # Field paths and reasons only: the inputs may be card codes.
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    parts = [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


class BambooClient:
    """Bamboo Integration API. Use `async with BambooClient.from_settings(...) as bamboo:`."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        account_id: int | None = None,
        timeout_seconds: float = 20.0,
        connect_timeout_seconds: float | None = None,
        rate_limiter: SharedRateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        secret = (
            client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        )
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        # Without a limiter nothing is throttled (unit tests); from_settings always gives one.
        self.rate_limiter = rate_limiter
        self.timeout = httpx.Timeout(
            timeout_seconds,
            connect=min(timeout_seconds, connect_timeout_seconds or 10.0),
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(client_id, secret),
            timeout=self.timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "steller-bamboo-client/1"},
            follow_redirects=False,
        )
        self._accounts_by_currency: dict[str, int] = {}
        self._accounts_lock = asyncio.Lock()
        self._log = get_logger(__name__).bind(vendor="bamboo")

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        redis: Any | None = None,
        rate_limiter: SharedRateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> "BambooClient":
        """A client for this deployment. `redis` (redis.asyncio) shares the rate budget across
        processes; without it the budget is this process's only."""
        # Settings' validator fills these (simulator defaults); a bare model_construct may not.
        if not (settings.bamboo_base_url and settings.bamboo_client_id and settings.bamboo_client_secret):
            raise ValueError("Bamboo settings incomplete: BAMBOO_BASE_URL/CLIENT_ID/CLIENT_SECRET")
        if rate_limiter is None:
            # Bamboo's limits are per credentials, so the budget is keyed by client id.
            rate_limiter = SharedRateLimiter(
                redis, key_prefix=f"{DEFAULT_KEY_PREFIX}{settings.bamboo_client_id}:"
            )
        return cls(
            base_url=settings.bamboo_base_url,
            client_id=settings.bamboo_client_id,
            client_secret=settings.bamboo_client_secret,
            account_id=settings.bamboo_account_id,
            timeout_seconds=settings.bamboo_timeout_seconds,
            rate_limiter=rate_limiter,
            transport=transport,
        )

    async def __aenter__(self) -> "BambooClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ catalog

    async def get_catalog_page(
        self,
        *,
        page_index: int = 0,
        page_size: int = CATALOG_PAGE_SIZE,
        modified_date: datetime | date | str | None = None,
        brand_id: int | None = None,
        country_code: str | None = None,
        currency_code: str | None = None,
        name: str | None = None,
        product_id: int | None = None,
    ) -> CatalogPage:
        """One page of catalog v2 (brands with their products). `modified_date`: only products
        modified after it (incremental sync); a str is passed through verbatim."""
        params = {
            "PageIndex": page_index,
            "PageSize": page_size,
            "ModifiedDate": _query_date(modified_date) if modified_date is not None else None,
            "BrandId": brand_id,
            "CountryCode": country_code,
            "CurrencyCode": currency_code,
            "Name": name,
            "ProductId": product_id,
        }
        response = await self._call(
            "GET",
            CATALOG_PATH,
            endpoint=BambooEndpoint.CATALOG,
            params={k: v for k, v in params.items() if v is not None},
        )
        return self._parse(response, CatalogPage, BambooEndpoint.CATALOG)

    async def iter_catalog_pages(
        self,
        *,
        page_size: int = CATALOG_PAGE_SIZE,
        max_pages: int = CATALOG_MAX_PAGES,
        **filters: Any,
    ) -> AsyncIterator[CatalogPage]:
        """Every non-empty page, PageIndex 0, 1, ... until a short or empty page, or until
        `count` (total brands) says there is no more. Filters as in `get_catalog_page`."""
        for page_index in range(max_pages):
            page = await self.get_catalog_page(page_index=page_index, page_size=page_size, **filters)
            if not page.items:
                return
            yield page
            # A server that caps the page size below ours reports its own size: trust it.
            effective_size = page.page_size if 0 < page.page_size < page_size else page_size
            if len(page.items) < effective_size:
                return
            if page.count is not None and (page_index + 1) * effective_size >= page.count:
                return
        raise VendorResponseInvalid(
            f"catalog still not exhausted after {max_pages} pages", endpoint=BambooEndpoint.CATALOG
        )

    async def iter_catalog_brands(self, **kwargs: Any) -> AsyncIterator[CatalogBrand]:
        async for page in self.iter_catalog_pages(**kwargs):
            for brand in page.items:
                yield brand

    async def get_categories(self) -> list[Category]:
        response = await self._call("GET", CATEGORIES_PATH, endpoint=BambooEndpoint.CATEGORIES)
        return self._parse(response, list[Category], BambooEndpoint.CATEGORIES)

    # ------------------------------------------------------------------ accounts, rates

    async def get_accounts(self) -> list[Account]:
        response = await self._call("GET", ACCOUNTS_PATH, endpoint=BambooEndpoint.ACCOUNTS)
        return self._parse(response, AccountList, BambooEndpoint.ACCOUNTS).accounts

    async def resolve_account_id(self, currency: str, *, refresh: bool = False) -> int:
        """BAMBOO_ACCOUNT_ID if configured, else the active account in `currency` (cached)."""
        if self.account_id is not None:
            return self.account_id
        wanted = currency.upper()
        if not refresh and wanted in self._accounts_by_currency:
            return self._accounts_by_currency[wanted]
        # One lookup at a time: twenty place jobs starting together make one accounts call, not twenty
        # (the endpoint allows one a second).
        async with self._accounts_lock:
            if refresh or wanted not in self._accounts_by_currency:
                await self._load_account(wanted)
        return self._accounts_by_currency[wanted]

    async def _load_account(self, wanted: str) -> None:
        accounts = await self.get_accounts()
        matches = sorted(
            (a for a in accounts if a.is_active and a.currency.upper() == wanted),
            key=lambda a: a.id,
        )
        if not matches:
            raise NoVendorAccount(f"no active Bamboo account in {wanted}")
        if len(matches) > 1:
            self._log.warning(
                "bamboo.account.ambiguous", currency=wanted, chosen=matches[0].id,
                candidates=[a.id for a in matches],
            )
        self._accounts_by_currency[wanted] = matches[0].id

    async def get_exchange_rates(
        self, *, base_currency: str | None = None, currency: str | None = None
    ) -> ExchangeRates:
        """No arguments: all rates from USD; `base_currency`: all from it; both: one pair."""
        params = {"baseCurrency": base_currency, "currency": currency}
        response = await self._call(
            "GET",
            EXCHANGE_RATES_PATH,
            endpoint=BambooEndpoint.EXCHANGE_RATES,
            params={k: v for k, v in params.items() if v is not None},
        )
        return self._parse(response, ExchangeRates, BambooEndpoint.EXCHANGE_RATES)

    # ------------------------------------------------------------------ orders

    async def place_order(
        self,
        *,
        request_id: str | uuid.UUID,
        account_id: int,
        products: Sequence[OrderProduct | Mapping[str, Any]],
    ) -> str:
        """Place an order (v1, by product id); returns the id Bamboo answers (a bare string).

        Raises OrderAlreadyExists if this RequestId reached Bamboo before (go on polling),
        VendorOutcomeUnknown if the request went out and no answer came back (poll, never place
        again), VendorRejected for any other reason code (the order failed).
        """
        request_id_text = _request_id_text(request_id)
        lines = [p if isinstance(p, OrderProduct) else OrderProduct.model_validate(p) for p in products]
        if not lines:
            raise ValueError("an order needs at least one product")
        body = _json_literal(
            {
                "RequestId": request_id_text,
                "AccountId": account_id,
                "Products": [
                    {"ProductId": line.product_id, "Quantity": line.quantity, "Value": line.value}
                    for line in lines
                ],
            }
        )
        if self.rate_limiter is not None:
            for product_id in sorted({line.product_id for line in lines}):
                await self.rate_limiter.acquire(product_endpoint(product_id))
        response = await self._call(
            "POST",
            PLACE_ORDER_PATH,
            endpoint=BambooEndpoint.PLACE_ORDER,
            content=body,
            outcome_unknown_on_drop=True,
        )
        return self._placed_order_id(response, request_id_text)

    async def get_order(self, request_id: str | uuid.UUID) -> Order:
        """The order and, once Succeeded/PartialFailed, its cards. OrderNotFound if unknown."""
        request_id_text = _request_id_text(request_id)
        response = await self._call(
            "GET",
            GET_ORDER_PATH.format(request_id=quote(request_id_text, safe="")),
            endpoint=BambooEndpoint.GET_ORDER,
            order_lookup=True,
        )
        return self._parse(response, Order, BambooEndpoint.GET_ORDER)

    async def get_orders_report(
        self, start_date: date | datetime | str, end_date: date | datetime | str
    ) -> list[OrderReportLine]:
        response = await self._call(
            "GET",
            ORDERS_REPORT_PATH,
            endpoint=BambooEndpoint.ORDERS_REPORT,
            params={"startDate": _query_date(start_date), "endDate": _query_date(end_date)},
        )
        return self._parse(response, list[OrderReportLine], BambooEndpoint.ORDERS_REPORT)

    async def get_transactions(
        self, start_date: date | datetime | str, end_date: date | datetime | str
    ) -> TransactionsReport:
        """Bamboo allows 4 calls an hour: prefer wide date ranges to frequent calls."""
        response = await self._call(
            "GET",
            TRANSACTIONS_PATH,
            endpoint=BambooEndpoint.TRANSACTIONS,
            params={"startDate": _query_date(start_date), "endDate": _query_date(end_date)},
        )
        return self._parse(response, TransactionsReport, BambooEndpoint.TRANSACTIONS)

    # ------------------------------------------------------------------ notification

    async def get_notification_config(self) -> NotificationConfig:
        response = await self._call("GET", NOTIFICATION_PATH, endpoint=BambooEndpoint.NOTIFICATION)
        return self._parse(response, NotificationConfig, BambooEndpoint.NOTIFICATION)

    async def set_notification_config(
        self,
        *,
        notification_url: str,
        notification_url_sandbox: str | None = None,
        secret_key: str | SecretStr | None = None,
    ) -> NotificationConfig:
        """Set the order-completed callback; an empty `notification_url` disables it."""
        body: dict[str, Any] = {"notificationUrl": notification_url}
        if notification_url_sandbox is not None:
            body["notificationUrlSandbox"] = notification_url_sandbox
        if secret_key is not None:
            body["secretKey"] = (
                secret_key.get_secret_value() if isinstance(secret_key, SecretStr) else secret_key
            )
        response = await self._call(
            "POST", NOTIFICATION_PATH, endpoint=BambooEndpoint.NOTIFICATION, content=_json_literal(body)
        )
        return self._parse(response, NotificationConfig, BambooEndpoint.NOTIFICATION)

    # ------------------------------------------------------------------ transport

    async def _call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        content: str | None = None,
        outcome_unknown_on_drop: bool = False,
        order_lookup: bool = False,
    ) -> httpx.Response:
        """Send one request within the endpoint's budget; a 2xx response or a typed error.

        `outcome_unknown_on_drop`: the call is not idempotent (place order), so a connection lost
        after sending means VendorOutcomeUnknown rather than VendorUnavailable.
        """
        endpoint = str(endpoint)
        if self.rate_limiter is not None:
            await self.rate_limiter.acquire(endpoint)
        headers = {"Content-Type": "application/json"} if content is not None else None
        log = self._log.bind(method=method, endpoint=endpoint)
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, path, params=params, content=content, headers=headers, timeout=self.timeout
            )
        except _NEVER_SENT as exc:
            log.warning("bamboo.request.failed", error=type(exc).__name__, latency_ms=_ms(started))
            raise VendorUnavailable(
                f"Bamboo not reachable ({type(exc).__name__})", endpoint=endpoint
            ) from exc
        except httpx.TransportError as exc:
            # Timeouts while writing/reading, dropped connections: the request may have arrived.
            log.warning("bamboo.request.failed", error=type(exc).__name__, latency_ms=_ms(started))
            if outcome_unknown_on_drop:
                raise VendorOutcomeUnknown(
                    f"no answer after sending ({type(exc).__name__})", endpoint=endpoint
                ) from exc
            raise VendorUnavailable(
                f"Bamboo did not answer ({type(exc).__name__})", endpoint=endpoint, request_sent=True
            ) from exc
        except asyncio.CancelledError:
            if outcome_unknown_on_drop:
                log.warning("bamboo.request.cancelled", outcome="unknown: poll before placing again")
            raise
        latency_ms = _ms(started)
        if response.is_success:
            log.info("bamboo.request", status=response.status_code, latency_ms=latency_ms)
            return response
        error = await self._error_for(response, endpoint, order_lookup=order_lookup)
        reason = {"reason": error.code} if isinstance(error, VendorRejected) else {}
        log.warning(
            "bamboo.request.failed",
            status=response.status_code,
            latency_ms=latency_ms,
            error=type(error).__name__,
            **reason,
        )
        raise error

    async def _error_for(
        self, response: httpx.Response, endpoint: str, *, order_lookup: bool
    ) -> VendorError:
        status = response.status_code
        text = response.text
        if status == 429:
            wait = (
                retry_after_seconds(response.headers.get("Retry-After"))
                or wait_from_message(error_text_from_body(text))
                or wait_from_message(text)
                or self._default_rate_limit_wait(endpoint)
            )
            wait = max(wait, MIN_RATE_LIMIT_WAIT_SECONDS)
            if self.rate_limiter is not None:
                await self.rate_limiter.block(endpoint, wait)
            return VendorRateLimited(wait, endpoint=endpoint)
        if status in (401, 403):
            hint = "credentials refused" if status == 401 else "access forbidden (IP whitelist? account?)"
            return VendorAuthError(f"Bamboo {status}: {hint}", endpoint=endpoint, status_code=status)
        if status >= 500:
            return VendorUnavailable(
                f"Bamboo failed with {status}", endpoint=endpoint, status_code=status, request_sent=True
            )
        if status == 408:
            return VendorUnavailable("Bamboo timed out reading the request", endpoint=endpoint, status_code=status)
        if status == 404:
            reason_text = error_text_from_body(text)
            code = reason_code_for(reason_text) if reason_text else UNRECOGNIZED_REASON
            if order_lookup and code in (UNRECOGNIZED_REASON, "OrderNotFound"):
                return OrderNotFound("OrderNotFound", reason_text or None, endpoint=endpoint, status_code=404)
            if code != UNRECOGNIZED_REASON:
                return rejection_for(code, reason_text, endpoint=endpoint, status_code=404)
            return VendorResponseInvalid(
                f"Bamboo 404 on {response.request.url.path}: check BAMBOO_BASE_URL",
                endpoint=endpoint,
                status_code=404,
            )
        if 400 <= status < 500:
            return rejection_from_body(text, endpoint=endpoint, status_code=status)
        return VendorResponseInvalid(f"unexpected HTTP {status}", endpoint=endpoint, status_code=status)

    def _default_rate_limit_wait(self, endpoint: str) -> float:
        # No hint from Bamboo: one full window of the endpoint's limit is surely clear again.
        if self.rate_limiter is not None:
            return self.rate_limiter.limit_for(endpoint).period_seconds
        return DEFAULT_LIMITS.get(endpoint.split(":", 1)[0], OTHER_ENDPOINTS_LIMIT).period_seconds

    def _parse(self, response: httpx.Response, tp: type[T] | Any, endpoint: str) -> T:
        try:
            data = decode_json(response.text)
        except ValueError:
            raise VendorResponseInvalid(
                f"Bamboo answered non-JSON (HTTP {response.status_code})", endpoint=str(endpoint)
            ) from None
        try:
            return _adapter(tp).validate_python(data)
        except ValidationError as exc:
            # `from None`: the ValidationError repr would carry the inputs (card codes) into logs.
            raise VendorResponseInvalid(
                f"unexpected Bamboo payload: {_validation_summary(exc)}", endpoint=str(endpoint)
            ) from None

    def _placed_order_id(self, response: httpx.Response, request_id: str) -> str:
        """The 200 body is a bare JSON string; tolerate an object or nothing (the order exists)."""
        try:
            data = decode_json(response.text) if response.text.strip() else None
        except ValueError:
            data = response.text.strip() or None
        if isinstance(data, dict):
            data = next((data[k] for k in data if k.lower() == "requestid"), None)
        if not isinstance(data, str) or not data:
            self._log.warning(
                "bamboo.place_order.unexpected_body", endpoint=BambooEndpoint.PLACE_ORDER,
                kind=type(data).__name__,
            )
            return request_id
        if data.lower() != request_id.lower():
            self._log.info("bamboo.place_order.id_differs", endpoint=BambooEndpoint.PLACE_ORDER)
        return data


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)

