"""`GET /v1/wallet` and `/v1/wallet/transactions` (JSON pages and the CSV download)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from core.access import api_keys
from core.db import atomic
from core.ledger import service as ledger
from core.orders import service as orders
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product, next_ref

pytestmark = pytest.mark.usefixtures("db", "redis")


async def _key(party, *, livemode: bool = True) -> dict:
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="test")
    return {"Authorization": f"Bearer {created.secret}"}


async def _funded_partner_with_an_order():
    """100.00 topped up, +5.00 goodwill, then an order of 2 × 10 USD at 0.947 (18.94 held)."""
    partner = await make_party(PartyKind.PARTNER, funds=100_00)
    await make_product(1, face="10", brand_name="Amazon")
    async with atomic():
        await pricing.set_discount(rate="0.0530", actor=ADMIN, party_id=partner.id)
        await ledger.adjust(actor=ADMIN, party_id=partner.id, amount=5_00, reason="goodwill",
                            idempotency_key=next_ref())
    async with atomic():
        created = await orders.create_order(actor=ADMIN, party_id=partner.id, product_id=1,
                                            face_value=Decimal("10"), quantity=2, reference="po-1")
    return partner, created.order


async def test_the_wallet_in_money_objects(client):
    partner, _ = await _funded_partner_with_an_order()
    response = await client.get("/v1/wallet", headers=await _key(partner))
    assert response.status_code == 200, response.text
    usd = lambda amount: {"amount": amount, "currency": "USD"}  # noqa: E731
    assert response.json() == {"balance": usd("105.00"), "held": usd("18.94"), "available": usd("86.06"),
                               "credit_limit": usd("0.00"), "currency": "USD", "livemode": True}


async def test_statement_lines_newest_first_say_what_each_was_for(client):
    partner, order = await _funded_partner_with_an_order()
    response = await client.get("/v1/wallet/transactions", headers=await _key(partner))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    hold, adjustment, topup = body["data"]
    assert {k: hold[k] for k in ("kind", "amount", "balance_after", "order_id")} == {
        "kind": "order_hold", "amount": {"amount": "-18.94", "currency": "USD"},
        "balance_after": {"amount": "86.06", "currency": "USD"}, "order_id": str(order.id)}
    assert hold["description"] == f"Order: order {str(order.id)[:8]}: 2 × Amazon 10 10 USD"
    assert {k: adjustment[k] for k in ("kind", "amount", "balance_after", "order_id", "description")} == {
        "kind": "adjustment", "amount": {"amount": "5.00", "currency": "USD"},
        "balance_after": {"amount": "105.00", "currency": "USD"}, "order_id": None,
        "description": "Adjustment: goodwill"}
    assert {k: topup[k] for k in ("kind", "amount", "balance_after", "order_id", "description")} == {
        "kind": "topup", "amount": {"amount": "100.00", "currency": "USD"},
        "balance_after": {"amount": "100.00", "currency": "USD"}, "order_id": None, "description": "Top-up"}
    assert len({line["id"] for line in body["data"]}) == 3 and all(isinstance(line["id"], int) for line in body["data"])
    for line in body["data"]:
        assert line["created_at"].endswith("Z")
        datetime.fromisoformat(line["created_at"])
    assert hold["created_at"] >= adjustment["created_at"] >= topup["created_at"]


async def test_cursor_pages_walk_the_statement_exactly_once(client):
    partner = await make_party(PartyKind.PARTNER)
    async with atomic():
        for i in range(1, 24):
            await ledger.topup(actor=ADMIN, party_id=partner.id, amount=i, reference=next_ref())
    headers = await _key(partner)
    seen, cursor = [], None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/wallet/transactions", params=params, headers=headers)).json()
        assert len(body["data"]) <= 5
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [line["amount"]["amount"] for line in seen] == [f"0.{i:02d}" for i in range(23, 0, -1)]
    assert len({line["id"] for line in seen}) == 23
    # Each balance reads on from the older line below it.
    for newer, older in zip(seen, seen[1:], strict=False):
        assert Decimal(newer["balance_after"]["amount"]) == Decimal(older["balance_after"]["amount"]) + \
            Decimal(newer["amount"]["amount"])


async def test_bad_cursor_limit_and_format_are_refused(client):
    headers = await _key(await make_party(PartyKind.PARTNER, funds=1_00))
    for params, code in (({"cursor": "%%%"}, "cursor.invalid"), ({"cursor": "WyJ4Il0"}, "cursor.invalid"),
                         ({"cursor": "WzBd"}, "cursor.invalid"),  # [0]: no line is before seq 0
                         ({"limit": 0}, "validation_failed"), ({"limit": 101}, "validation_failed"),
                         ({"format": "xml"}, "validation_failed")):
        response = await client.get("/v1/wallet/transactions", params=params, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, code), params


async def test_the_statement_streams_as_csv(client):
    partner, order = await _funded_partner_with_an_order()
    headers = await _key(partner)
    async with client.stream("GET", "/v1/wallet/transactions", params={"format": "csv"}, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"steller-statement-{partner.id}-" in disposition
        assert disposition.endswith('.csv"')
        chunks = [chunk async for chunk in response.aiter_bytes()]
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8"))))
    assert [(r["kind"], r["amount"], r["balance_after"], r["currency"]) for r in rows] == [  # oldest first
        ("topup", "100.00", "100.00", "USD"), ("adjustment", "5.00", "105.00", "USD"),
        ("order_hold", "-18.94", "86.06", "USD")]
    assert rows[2]["reference"] == f"order:{order.id}" and rows[1]["memo"] == "goodwill"


async def test_no_key_no_wallet(client):
    for path in ("/v1/wallet", "/v1/wallet/transactions", "/v1/wallet/transactions?format=csv"):
        response = await client.get(path)
        assert (response.status_code, response.json()["code"]) == (401, "auth.missing"), path


async def test_the_openapi_document_describes_the_wallet(client):
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/wallet", "/v1/wallet/transactions"):
        operation = spec["paths"][path]["get"]
        assert operation["summary"] and {"401", "403", "429"} <= operation["responses"].keys()
    assert "text/csv" in spec["paths"]["/v1/wallet/transactions"]["get"]["responses"]["200"]["content"]
    assert spec["components"]["schemas"]["Transaction"].get("examples")


async def test_a_test_key_sees_a_wallet_marked_not_live(client):
    partner = await make_party(PartyKind.PARTNER, funds=1_00)
    response = await client.get("/v1/wallet", headers=await _key(partner, livemode=False))
    assert response.status_code == 200, response.text
    assert response.json()["livemode"] is False  # its figures are the sandbox's (covered with the sandbox)
    live = await client.get("/v1/wallet", headers=await _key(partner))
    assert live.json()["livemode"] is True and live.json()["balance"]["amount"] == "1.00"


async def test_a_refund_line_names_its_order_too(client):
    from core.orders import resolve

    partner, order = await _funded_partner_with_an_order()
    async with atomic():
        await resolve.fail_order(actor=ADMIN, order_id=order.id, reason="vendor refused")
    lines = (await client.get("/v1/wallet/transactions", headers=await _key(partner))).json()["data"]
    refund = next(line for line in lines if line["kind"] == "order_release")
    assert refund["order_id"] == str(order.id) and refund["amount"]["amount"] == "18.94"
    assert [line["order_id"] for line in lines if line["kind"] == "order_hold"] == [str(order.id)]
