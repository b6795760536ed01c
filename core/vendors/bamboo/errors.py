"""Typed Bamboo failures. Each class says, in `action`, what the caller must do next."""

from __future__ import annotations

import json
import re
from typing import Any

# Bamboo's documented 400 reasons (bamboo-api.md §4) with their long messages. The sandbox was
# seen sending the bare code in `message`; the long form is mapped back to the code.
REASON_MESSAGES: dict[str, str] = {
    "WrongAccount": "The account ID being used is incorrect. Please ensure you are using the valid "
    "account ID as indicated in the API response.",
    "InsufficientBalance": "Your account balance is insufficient for this transaction. Kindly add "
    "funds to your account and attempt the transaction again.",
    "InvalidProductIds": "The product IDs you are providing are invalid. Please use valid IDs from "
    "your catalog.",
    "InvalidProduct": "This product cannot be ordered. Please try again with a different product.",
    "InvalidDenomination": "The denomination value you are providing is invalid. Please pass a value "
    "that matches the minimum or maximum product value.",
    "NoProducts": "The request must contain products to buy.",
    "OrderAlreadyExists": "This order already exists. Please try again with a new requestId.",
    "ClientCatalogNotExist": "The catalogue you are using does not exist.",
    "OrderNotFound": "The order you are trying to get is not found.",
    "CardsLimitExceeded": "There is a limit on the number of cards you can purchase for this product "
    "in a single call. The maximum limit is 500 cards.",
    "ProductIsOutOfStock": "The product is out of stock.",
    "ClientPriceInvalid": "If the client price is not valid, contact your account manager.",
    "UserNotEnabled": "This user is not enabled yet.",
}
# A 400 whose text matches no documented reason.
UNRECOGNIZED_REASON = "Unrecognized"

# Keys an error body was seen (or may plausibly be) carrying its text under, in order of trust.
_TEXT_KEYS = ("message", "Message", "error", "Error", "errorMessage", "title", "detail")
_MAX_TEXT = 500


class VendorError(Exception):
    """Something went wrong talking to the vendor."""

    action = "inspect the error; the vendor call did not complete normally"
    retryable = False

    def __init__(
        self, message: str, *, endpoint: str | None = None, status_code: int | None = None
    ) -> None:
        self.message = message
        self.endpoint = endpoint
        self.status_code = status_code
        super().__init__(message)

    def __str__(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{self.message}{where} — {self.action}"


class VendorRejected(VendorError):
    """Bamboo refused the request with a reason code (a 400): it will not succeed as sent."""

    action = "do not retry as is: fail the order and give the money back"

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        endpoint: str | None = None,
        status_code: int | None = 400,
    ) -> None:
        self.code = code
        super().__init__(message or code, endpoint=endpoint, status_code=status_code)

    def __str__(self) -> str:
        return f"{self.code}: {super().__str__()}"


class OrderAlreadyExists(VendorRejected):
    """The RequestId is already known to Bamboo: an earlier attempt of ours reached it."""

    action = "do not place again: poll get_order with the same RequestId"


class OrderNotFound(VendorRejected):
    """Bamboo has no order with this RequestId."""

    action = "the order was never placed (or under other credentials): it is safe to decide afresh"


class VendorRateLimited(VendorError):
    """Bamboo's per-endpoint budget is spent (a 429, or our shared limiter said so first)."""

    action = "wait `wait_seconds`, then retry the same call"
    retryable = True

    def __init__(
        self,
        wait_seconds: float,
        *,
        endpoint: str | None = None,
        imposed_by_vendor: bool = True,
        message: str | None = None,
    ) -> None:
        self.wait_seconds = float(wait_seconds)
        self.imposed_by_vendor = imposed_by_vendor
        source = "Bamboo answered 429" if imposed_by_vendor else "shared rate budget spent"
        super().__init__(
            message or f"{source}; wait {self.wait_seconds:.1f} s",
            endpoint=endpoint,
            status_code=429 if imposed_by_vendor else None,
        )


class VendorUnavailable(VendorError):
    """Bamboo could not be reached or failed (5xx, connect error/timeout)."""

    action = "retry later; a place-order retry must reuse the same RequestId"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status_code: int | None = None,
        request_sent: bool = False,
    ) -> None:
        # True for a 5xx: Bamboo saw the request (safe to retry only because RequestId is idempotent).
        self.request_sent = request_sent
        super().__init__(message, endpoint=endpoint, status_code=status_code)


class VendorAuthError(VendorUnavailable):
    """401/403: our credentials, IP whitelist or account access are wrong. Nothing was done."""

    action = "alert an operator: check BAMBOO_CLIENT_ID / BAMBOO_CLIENT_SECRET and the IP whitelist"
    retryable = False


class VendorOutcomeUnknown(VendorError):
    """The place-order request was sent but no answer came back: Bamboo may have the order."""

    action = "poll get_order with the same RequestId; never place this order again"


class VendorResponseInvalid(VendorError):
    """Bamboo answered something we cannot read (unexpected status, shape or JSON)."""

    action = "alert an operator: the vendor contract may have changed"


class NoVendorAccount(VendorError):
    """No Bamboo account can pay in the requested currency."""

    action = "set BAMBOO_ACCOUNT_ID or open an active account in that currency at Bamboo"


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".!").strip().lower()


_CODE_BY_NORMALIZED = {code.lower(): code for code in REASON_MESSAGES}
_CODE_BY_MESSAGE = {_normalize(message): code for code, message in REASON_MESSAGES.items()}
_CODE_WORD = re.compile(r"\b(" + "|".join(REASON_MESSAGES) + r")\b", re.IGNORECASE)


def reason_code_for(text: str) -> str:
    """The documented reason code that `text` is (bare code, long message, or code inside text)."""
    normalized = _normalize(text)
    if normalized in _CODE_BY_NORMALIZED:
        return _CODE_BY_NORMALIZED[normalized]
    if normalized in _CODE_BY_MESSAGE:
        return _CODE_BY_MESSAGE[normalized]
    for message, code in _CODE_BY_MESSAGE.items():
        if normalized.startswith(message):
            return code
    match = _CODE_WORD.search(text)
    if match:
        return _CODE_BY_NORMALIZED[match.group(1).lower()]
    return UNRECOGNIZED_REASON


def _text_from(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in _TEXT_KEYS + ("code", "Code"):
            text = _text_from(value.get(key))
            if text:
                return text
        # ASP.NET validation problem: {"errors": {"Field": ["why", ...]}}
        errors = value.get("errors")
        if isinstance(errors, dict):
            parts = [f"{k}: {'; '.join(map(str, v if isinstance(v, list) else [v]))}" for k, v in errors.items()]
            if parts:
                return " | ".join(parts)
    if isinstance(value, list) and value:
        return _text_from(value[0])
    return None


def error_text_from_body(body: str) -> str:
    """The human text of an error body, whatever envelope Bamboo used (truncated)."""
    text: str | None = None
    try:
        text = _text_from(json.loads(body))
    except ValueError:
        pass
    if text is None:
        text = body.strip()
    return text[:_MAX_TEXT]


def rejection_for(
    code: str, message: str | None = None, *, endpoint: str | None = None, status_code: int = 400
) -> VendorRejected:
    """The most specific VendorRejected for a reason code."""
    cls = {"OrderAlreadyExists": OrderAlreadyExists, "OrderNotFound": OrderNotFound}.get(
        code, VendorRejected
    )
    return cls(code, message, endpoint=endpoint, status_code=status_code)


def rejection_from_body(
    body: str, *, endpoint: str | None = None, status_code: int = 400
) -> VendorRejected:
    text = error_text_from_body(body) or f"HTTP {status_code} without a reason"
    return rejection_for(reason_code_for(text), text, endpoint=endpoint, status_code=status_code)
