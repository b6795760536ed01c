"""Typed Bamboo payloads. Money is Decimal everywhere; card codes and PINs are SecretStr.

Bodies must be decoded with `decode_json` (floats as Decimal) before `model_validate`, so that a
balance like 100828.4848 never passes through a float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_bamboo_datetime(value: Any) -> Any:
    """Bamboo sends '2024-05-16T04:36:35.3673422' (no zone, 7 digits): read it as UTC.

    The 7th fractional digit is dropped (Python keeps microseconds), which makes an incremental
    sync from a stored modifiedDate re-read at most one item rather than miss one.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str):
        return value  # let pydantic report the type error
    match = _DATETIME.match(value.strip())
    if not match:
        raise ValueError(f"not a Bamboo date: {value!r}")
    text = match["date"] + "T" + (match["time"] or "00:00")
    if match["fraction"]:
        text += "." + match["fraction"][:6].ljust(6, "0")
    tz = match["tz"]
    if tz and tz.upper() != "Z":
        text += tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_bamboo_datetime(value: datetime) -> str:
    """The inverse for query parameters: UTC, no zone suffix, as Bamboo writes them."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


BambooDateTime = Annotated[datetime, BeforeValidator(parse_bamboo_datetime)]


def decode_json(text: str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


def _lower_keys_to_aliases(model: type[BaseModel], data: Any) -> Any:
    # Bamboo's casing drifts between docs and endpoints ("pageindex", PascalCase ASP.NET output):
    # accept any casing of a known alias.
    if not isinstance(data, dict):
        return data
    by_lower: dict[str, str] = {}
    for name, field in model.model_fields.items():
        alias = field.alias or name
        by_lower[alias.lower()] = alias
    fixed: dict[str, Any] = {}
    for key, value in data.items():
        alias = by_lower.get(key.lower(), key) if isinstance(key, str) else key
        if alias in fixed and alias != key:
            continue  # the exactly spelled key wins
        fixed[alias] = value
    return fixed


class BambooModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    @model_validator(mode="before")
    @classmethod
    def _any_key_casing(cls, data: Any) -> Any:
        return _lower_keys_to_aliases(cls, data)


# ---------------------------------------------------------------- catalog


class Category(BambooModel):
    id: int
    name: str
    description: str | None = None


class CatalogPrice(BambooModel):
    """The client's cost range for the product's face-value range, in `currency_code`."""

    min: Decimal
    max: Decimal
    currency_code: str


class CatalogProduct(BambooModel):
    id: int
    name: str
    min_face_value: Decimal
    max_face_value: Decimal
    count: int | None = None  # None: unlimited stock; 0: out of stock
    price: CatalogPrice
    modified_date: BambooDateTime | None = None
    is_deleted: bool | None = None
    status: str | None = None

    @property
    def is_fixed_value(self) -> bool:
        return self.min_face_value == self.max_face_value

    @property
    def in_stock(self) -> bool:
        return self.count is None or self.count > 0


class CatalogBrand(BambooModel):
    internal_id: str | None = None
    name: str
    country_code: str | None = None
    currency_code: str | None = None
    description: str | None = None
    disclaimer: str | None = None
    redemption_instructions: str | None = None
    terms: str | None = None
    logo_url: str | None = None
    modified_date: BambooDateTime | None = None
    products: list[CatalogProduct] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)


class CatalogPage(BambooModel):
    """One page of catalog v2. Paging is by brand; `count` is the total number of brands."""

    page_index: int = 0
    page_size: int = 0
    count: int | None = None
    items: list[CatalogBrand] = Field(default_factory=list)

    @property
    def product_count(self) -> int:
        return sum(len(brand.products) for brand in self.items)


# ---------------------------------------------------------------- accounts and rates


class Account(BambooModel):
    id: int
    currency: str
    balance: Decimal
    is_active: bool = True
    sandbox_mode: bool | None = None


class AccountList(BambooModel):
    accounts: list[Account] = Field(default_factory=list)


class ExchangeRate(BambooModel):
    currency_code: str
    value: Decimal


class ExchangeRates(BambooModel):
    base_currency_code: str
    rates: list[ExchangeRate] = Field(default_factory=list)

    def rate_for(self, currency: str) -> Decimal | None:
        wanted = currency.upper()
        return next((rate.value for rate in self.rates if rate.currency_code.upper() == wanted), None)


# ---------------------------------------------------------------- orders


class OrderStatus(StrEnum):
    CREATED = "Created"
    PROCESSING = "Processing"
    PENDING = "Pending"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    PARTIAL_FAILED = "PartialFailed"
    CHECKING_OUT = "CheckingOut"  # undocumented, seen in a PHP client
    UNKNOWN = "Unknown"  # anything else Bamboo may invent: keep polling

    @classmethod
    def parse(cls, value: Any) -> "OrderStatus":
        if isinstance(value, cls):
            return value
        wanted = str(value or "").strip().lower()
        return next((status for status in cls if status.value.lower() == wanted), cls.UNKNOWN)

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.PARTIAL_FAILED})
LenientOrderStatus = Annotated[OrderStatus, BeforeValidator(OrderStatus.parse)]


class Card(BambooModel):
    id: int | None = None
    serial_number: str | None = None
    card_code: SecretStr | None = None
    pin: SecretStr | None = None
    expiration_date: BambooDateTime | None = None
    status: str | None = None  # Paused / Sold / Failed / Created / Processing


class OrderItem(BambooModel):
    brand_code: str | None = None
    product_id: int
    product_face_value: Decimal
    quantity: int
    picture_url: str | None = None
    country_code: str | None = None
    currency_code: str | None = None
    status: str | None = None
    cards: list[Card] = Field(default_factory=list)


class Order(BambooModel):
    order_id: int | None = None
    request_id: str
    items: list[OrderItem] = Field(default_factory=list)
    status: LenientOrderStatus
    raw_status: str | None = None  # the status exactly as Bamboo sent it
    created_date: BambooDateTime | None = None
    total: Decimal | None = None  # charged, in the account currency
    error_message: str | None = None
    order_type: str | None = None
    currency: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _keep_raw_status(cls, data: Any) -> Any:
        data = _lower_keys_to_aliases(cls, data)
        if isinstance(data, dict) and "rawStatus" not in data and data.get("status") is not None:
            data = {**data, "rawStatus": str(data["status"])}
        return data

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    def cards(self) -> Iterator[Card]:
        for item in self.items:
            yield from item.cards


class OrderProduct(BambooModel):
    """One line of a place-order request (v1, by product id). `value` is the FACE value."""

    product_id: int = Field(gt=0)
    quantity: int = Field(ge=1)
    value: Decimal = Field(gt=0)

    @field_validator("value", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("face value must be a Decimal, int or string, never a float")
        return value


class OrderReportLine(BambooModel):
    client_name: str | None = None
    order_number: str | None = None
    order_date: BambooDateTime | None = None
    client_reference_number: str | None = None  # our RequestId
    channel: str | None = None
    product_name: str | None = None
    denomination: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = None
    sub_total: Decimal | None = None
    total: Decimal | None = None
    account_currency: str | None = None
    status: str | None = None


# ---------------------------------------------------------------- transactions


class MoneyAmount(BambooModel):
    value: Decimal
    currency_code: str | None = None


class ExchangeInfo(BambooModel):
    from_currency: str | None = None
    to_currency: str | None = None
    exchange_rate: Decimal | None = None


class TransactionOrderItem(BambooModel):
    created_date: BambooDateTime | None = None
    product_name: str | None = None
    brand_name: str | None = None
    brand_currency_code: str | None = None
    brand_with_denomination_currency: str | None = None
    denomination: MoneyAmount | None = None
    client_discount_type: str | None = None
    client_discount_value: Decimal | None = None
    client_transaction_fee_type: str | None = None
    client_transaction_fee_value: Decimal | None = None
    client_price: MoneyAmount | None = None
    estimated_price: MoneyAmount | None = None
    quantity: int | None = None
    client_total: Decimal | None = None
    client_exchange_rate: ExchangeInfo | None = None


class Transaction(BambooModel):
    order_id: int | None = None
    request_id: str | None = None
    product_id: int | None = None
    order_number: str | None = None
    order_total: MoneyAmount | None = None
    order_total_for_selected_products: MoneyAmount | None = None
    currency_code: str | None = None
    order_date: BambooDateTime | None = None
    transaction_id: str | None = None
    transaction_type: str | None = None
    comment: str | None = None
    notes: str | None = None
    available_balance: MoneyAmount | None = None
    transaction_amount: MoneyAmount | None = None
    transaction_date: BambooDateTime | None = None
    order_items: list[TransactionOrderItem] = Field(default_factory=list)
    client_name: str | None = None
    order_type: str | None = None

    @field_validator("transaction_id", mode="before")
    @classmethod
    def _strip_id(cls, value: Any) -> Any:
        # Bamboo's examples carry a trailing space ("6677709 ").
        return str(value).strip() if value is not None else None


class TransactionClient(BambooModel):
    client_name: str | None = None
    transactions: list[Transaction] = Field(default_factory=list)


class TransactionsReport(BambooModel):
    start_date: BambooDateTime | None = None
    end_date: BambooDateTime | None = None
    clients: list[TransactionClient] = Field(default_factory=list)

    def transactions(self) -> Iterator[Transaction]:
        for client in self.clients:
            yield from client.transactions


# ---------------------------------------------------------------- notification


class NotificationConfig(BambooModel):
    notification_url: str | None = None
    notification_url_sandbox: str | None = None
    secret_key: SecretStr | None = None
