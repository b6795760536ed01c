"""Bamboo calls log method, endpoint, status and latency, and never a secret."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from structlog.testing import capture_logs

from core.vendors.bamboo import VendorAuthError, VendorError, VendorUnavailable

REQUEST_ID = "71ac2817-e51a-438a-bb7b-5ffdda23603c"
SECRET = "s3cr3t-Client-Value-991"
CARD_CODE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PIN = "918273"
CALLBACK_SECRET = "callback-Secret-4455"


def leaky_bamboo(request: httpx.Request) -> httpx.Response:
    """A vendor that echoes everything it can, to prove we do not pass it on."""
    echo = f"secret={SECRET} code={CARD_CODE} pin={PIN}"
    if request.url.path.endswith("/accounts"):
        return httpx.Response(401, json={"error": echo})
    if request.url.path.endswith("/categories"):
        return httpx.Response(500, text=echo)
    if request.url.path.endswith("/catalog"):
        raise httpx.ReadTimeout(echo, request=request)
    if request.url.path.endswith("/notification"):
        return httpx.Response(400, json={"message": echo, "secretKey": CALLBACK_SECRET})
    order = {
        "requestId": REQUEST_ID,
        "status": "Succeeded",
        "items": [{"productId": 1, "productFaceValue": 10, "quantity": 1,
                   "cards": [{"cardCode": CARD_CODE, "pin": PIN, "serialNumber": "s"}]}],
    }
    return httpx.Response(200, text=json.dumps(order))


async def test_failed_and_successful_calls_log_no_secret(make_client):
    client = make_client(leaky_bamboo, client_secret=SECRET)
    basic = base64.b64encode(f"test-client:{SECRET}".encode()).decode()

    with capture_logs() as entries:
        with pytest.raises(VendorAuthError) as auth_error:
            await client.get_accounts()
        with pytest.raises(VendorUnavailable):
            await client.get_categories()
        with pytest.raises(VendorUnavailable):
            await client.get_catalog_page()
        with pytest.raises(VendorError):
            await client.set_notification_config(notification_url="https://x.test", secret_key=CALLBACK_SECRET)
        order = await client.get_order(REQUEST_ID)

    assert order.items[0].cards[0].card_code.get_secret_value() == CARD_CODE
    # The log lines exist and carry what an operator needs...
    failures = [e for e in entries if e["event"] == "bamboo.request.failed"]
    assert {e["endpoint"] for e in failures} == {"accounts", "categories", "catalog", "notification"}
    assert {e.get("status") for e in failures} >= {401, 500, 400}
    assert all("latency_ms" in e and "method" in e for e in failures)
    [success] = [e for e in entries if e["event"] == "bamboo.request"]
    assert success["endpoint"] == "get_order" and success["status"] == 200
    # ...and, before any redaction step, nothing secret.
    rendered = repr(entries)
    for secret in (SECRET, basic, CARD_CODE, PIN, CALLBACK_SECRET):
        assert secret not in rendered
    assert SECRET not in str(auth_error.value) and basic not in str(auth_error.value)
