"""Every way a Bamboo call can fail becomes a typed error that says what to do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from core.vendors.bamboo import (
    OrderAlreadyExists,
    OrderNotFound,
    SharedRateLimiter,
    VendorAuthError,
    VendorError,
    VendorOutcomeUnknown,
    VendorRateLimited,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
)
from core.vendors.bamboo.client import retry_after_seconds, wait_from_message
from core.vendors.bamboo.errors import REASON_MESSAGES, UNRECOGNIZED_REASON, reason_code_for

REQUEST_ID = "97018cf7-98f5-40fc-a142-711d43a72e17"
LINE = [{"ProductId": 439685, "Quantity": 1, "Value": 10}]
RATE_MESSAGE = "Too many requests. Please wait for 3406 seconds for the next request"


async def place(client):
    return await client.place_order(request_id=REQUEST_ID, account_id=555, products=LINE)


def raising(exc_type: type[Exception]):
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return respond


# ------------------------------------------------------------------ 400 shapes


async def test_order_already_exists_is_a_rejection_that_says_poll(make_client, json_response):
    client = make_client(lambda r: json_response(400, {"message": "OrderAlreadyExists"}))

    with pytest.raises(OrderAlreadyExists) as caught:
        await place(client)

    error = caught.value
    assert isinstance(error, VendorRejected) and error.code == "OrderAlreadyExists"
    assert error.status_code == 400 and not error.retryable
    assert "poll" in str(error)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"message": "InsufficientBalance"}, "InsufficientBalance"),
        ({"message": REASON_MESSAGES["CardsLimitExceeded"]}, "CardsLimitExceeded"),
        # the long message with different spacing and no final period
        ({"message": "  your account balance is insufficient for this transaction.  Kindly add funds "
                     "to your account and attempt the transaction again"}, "InsufficientBalance"),
        ({"Message": "WrongAccount"}, "WrongAccount"),
        ({"error": "UserNotEnabled"}, "UserNotEnabled"),
        ({"error": "Bad request shape"}, UNRECOGNIZED_REASON),
        ({"message": None, "error": "NoProducts"}, "NoProducts"),
        ('"ProductIsOutOfStock"', "ProductIsOutOfStock"),  # a bare JSON string
        ("InvalidDenomination", "InvalidDenomination"),  # plain text, not JSON
        ({"message": "Product with sku MOCK-ITUNES-25 not found. Ask your administrator to add it to catalog"},
         UNRECOGNIZED_REASON),
        ({"title": "One or more validation errors occurred.", "status": 400,
          "errors": {"RequestId": ["The RequestId field is required."]}}, UNRECOGNIZED_REASON),
        ("", UNRECOGNIZED_REASON),
    ],
)
async def test_400_bodies_become_rejections_with_their_code(make_client, json_response, body, code):
    client = make_client(lambda r: json_response(400, body))

    with pytest.raises(VendorRejected) as caught:
        await place(client)

    assert type(caught.value) is VendorRejected
    assert caught.value.code == code
    assert caught.value.message  # always some text for people


def test_every_documented_long_message_maps_back_to_its_code():
    for code, message in REASON_MESSAGES.items():
        assert reason_code_for(message) == code
        assert reason_code_for(code) == code
        assert reason_code_for(code.upper()) == code
    assert reason_code_for("Error: OrderNotFound (ref 12)") == "OrderNotFound"


async def test_get_order_not_found_as_400_code_or_bare_404(make_client, json_response):
    as_400 = make_client(lambda r: json_response(400, {"message": REASON_MESSAGES["OrderNotFound"]}))
    as_404 = make_client(lambda r: httpx.Response(404))

    for client in (as_400, as_404):
        with pytest.raises(OrderNotFound) as caught:
            await client.get_order(REQUEST_ID)
        assert caught.value.code == "OrderNotFound" and isinstance(caught.value, VendorRejected)


async def test_404_elsewhere_points_at_the_base_url(make_client):
    client = make_client(lambda r: httpx.Response(404, text="Not Found"))

    with pytest.raises(VendorResponseInvalid, match="BAMBOO_BASE_URL"):
        await client.get_categories()


async def test_redirect_is_not_followed(make_client):
    client = make_client(lambda r: httpx.Response(301, headers={"Location": "https://elsewhere.test/"}))

    with pytest.raises(VendorResponseInvalid) as caught:
        await client.get_accounts()
    assert caught.value.status_code == 301


# ------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, ""), (403, {"error": "Forbidden"}), (403, {"message": "IP not whitelisted"})],
)
async def test_auth_problems_are_vendor_auth_errors(make_client, json_response, status, body):
    client = make_client(lambda r: json_response(status, body))

    with pytest.raises(VendorAuthError) as caught:
        await place(client)

    error = caught.value
    assert error.status_code == status and not error.retryable
    assert isinstance(error, VendorUnavailable) and not error.request_sent  # nothing was placed
    assert "BAMBOO_CLIENT_SECRET" in str(error)


# ------------------------------------------------------------------ 429


async def test_429_wait_from_retry_after_seconds_and_shared_block(make_client, json_response):
    limiter = SharedRateLimiter.in_memory()
    client = make_client(
        lambda r: json_response(429, {"message": RATE_MESSAGE}, headers={"Retry-After": "7"}),
        rate_limiter=limiter,
    )

    with pytest.raises(VendorRateLimited) as caught:
        await client.get_categories()

    assert caught.value.wait_seconds == 7 and caught.value.imposed_by_vendor
    assert caught.value.retryable and caught.value.endpoint == "categories"
    state = (await limiter.state())["categories"]
    assert 6 < state.blocked_for_seconds <= 7  # every later acquire on this endpoint backs off
    assert state.last_vendor_block_seconds == 7


async def test_429_wait_from_retry_after_http_date(make_client, json_response):
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    client = make_client(lambda r: json_response(429, "", headers={"Retry-After": when}))

    with pytest.raises(VendorRateLimited) as caught:
        await client.get_accounts()

    assert 25 <= caught.value.wait_seconds <= 30


@pytest.mark.parametrize("body", [{"message": RATE_MESSAGE}, RATE_MESSAGE, {"error": "Please wait 3406 second"}])
async def test_429_wait_from_the_message(make_client, json_response, body):
    client = make_client(lambda r: json_response(429, body))

    with pytest.raises(VendorRateLimited) as caught:
        await client.get_categories()

    assert caught.value.wait_seconds == 3406


@pytest.mark.parametrize(("call", "default"), [("get_transactions", 3600), ("get_categories", 1), ("get_order", 60)])
async def test_429_without_hint_waits_one_window_of_the_endpoint(make_client, json_response, call, default):
    client = make_client(lambda r: json_response(429, {"message": "Too many requests"}))
    args = {"get_transactions": ("2024-01-01", "2024-01-02"), "get_categories": (), "get_order": (REQUEST_ID,)}[call]

    with pytest.raises(VendorRateLimited) as caught:
        await getattr(client, call)(*args)

    assert caught.value.wait_seconds == default


def test_retry_after_parsing_edge_cases():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("Thu, 01 Jan 2026 12:01:00 GMT", now=now) == 60
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0  # in the past
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert wait_from_message("Too many requests. Please wait for 3406 seconds.") == 3406
    assert wait_from_message("please WAIT 1 second") == 1
    assert wait_from_message("slow down") is None


# ------------------------------------------------------------------ 5xx and transport failures


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_unavailable_and_retryable(make_client, json_response, status):
    client = make_client(lambda r: json_response(status, "oops"))

    with pytest.raises(VendorUnavailable) as caught:
        await place(client)

    assert type(caught.value) is VendorUnavailable and caught.value.retryable
    assert caught.value.status_code == status and caught.value.request_sent
    assert "same RequestId" in str(caught.value)


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_never_sent_is_unavailable_even_for_place_order(make_client, exc_type):
    client = make_client(raising(exc_type))

    with pytest.raises(VendorUnavailable) as caught:
        await place(client)

    assert type(caught.value) is VendorUnavailable and not caught.value.request_sent


@pytest.mark.parametrize(
    "exc_type", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError]
)
async def test_dropped_after_sending_place_order_is_outcome_unknown(make_client, exc_type):
    client = make_client(raising(exc_type))

    with pytest.raises(VendorOutcomeUnknown) as caught:
        await place(client)

    assert not caught.value.retryable and "never place" in str(caught.value)


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.RemoteProtocolError])
async def test_dropped_after_sending_a_get_is_unavailable(make_client, exc_type):
    client = make_client(raising(exc_type))

    with pytest.raises(VendorUnavailable) as caught:
        await client.get_order(REQUEST_ID)

    assert caught.value.request_sent and caught.value.retryable


# ------------------------------------------------------------------ unreadable answers


async def test_non_json_answer_is_invalid(make_client):
    client = make_client(lambda r: httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(VendorResponseInvalid):
        await client.get_accounts()


async def test_invalid_order_payload_does_not_leak_card_codes(make_client, json_response):
    code = "deadbeefdeadbeefdeadbeefdeadbeef"
    client = make_client(lambda r: json_response(200, {
        "requestId": REQUEST_ID, "status": "Succeeded",
        "items": [{"productId": "not-a-number", "productFaceValue": 10, "quantity": 1,
                   "cards": [{"cardCode": code, "pin": {"odd": code}}]}],
    }))

    with pytest.raises(VendorResponseInvalid) as caught:
        await client.get_order(REQUEST_ID)

    assert "items.0.product_id" in str(caught.value) or "items.0.productId" in str(caught.value)
    assert code not in str(caught.value) and code not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_every_error_is_a_vendor_error_with_an_action():
    for cls in (VendorRejected, OrderAlreadyExists, OrderNotFound, VendorRateLimited, VendorUnavailable,
                VendorAuthError, VendorOutcomeUnknown, VendorResponseInvalid):
        assert issubclass(cls, VendorError) and cls.action
