"""Idempotency-Key on creating POSTs: the first answer replayed, a changed body refused, one effect
under concurrent duplicates, refusals not kept, keys per party and mode, 24 h lifetime."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request

from api import problems
from api.idempotency import Created, run_idempotent
from core.audit import service as audit
from core.audit.models import AuditEntry
from core.db import atomic
from core.errors import Conflict
from core.idempotency import service as idempotency
from core.idempotency.models import IdempotencyKey
from core.ledger import service as ledger
from core.orders.models import Order
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party
from tests.integration.api.test_orders_api import FUNDS, api_key, auth, moved, order_body, shop  # noqa: F401

pytestmark = pytest.mark.usefixtures("db", "redis")


def keyed(shop, key: str) -> dict:
    return auth(shop["key"], **{"Idempotency-Key": key})


async def test_the_same_key_and_body_replays_the_first_answer_and_orders_once(client, shop):
    first = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, "k-1"))
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    after_first = await moved(shop["partner"])
    # The same JSON with other spacing and key order is the same request.
    same = json.dumps(dict(reversed(list(order_body().items()))), indent=2)
    again = await client.post("/v1/orders", content=same,
                              headers={**keyed(shop, "k-1"), "Content-Type": "application/json"})
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await moved(shop["partner"]) == after_first and after_first[2:] == (1, 1)


async def test_the_same_key_with_another_body_is_a_mismatch_and_moves_nothing(client, shop):
    first = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, "k-2"))
    assert first.status_code == 202
    after_first = await moved(shop["partner"])
    for changed in (order_body(quantity=3), order_body(reference="other"), order_body(face_value="10.0")):
        response = await client.post("/v1/orders", json=changed, headers=keyed(shop, "k-2"))
        assert (response.status_code, response.json()["code"]) == (409, "idempotency.mismatch")
    assert await moved(shop["partner"]) == after_first


async def test_twenty_concurrent_duplicates_make_one_order_one_hold_and_twenty_identical_answers(client, shop):
    async def post():
        return await client.post("/v1/orders", json=order_body(), headers=keyed(shop, "burst"))

    answers = await asyncio.gather(*(post() for _ in range(20)))
    assert [a.status_code for a in answers] == [202] * 20
    assert len({a.text for a in answers}) == 1  # byte for byte the same order
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 19
    order = await Order.get(party_id=shop["partner"].id)
    assert str(order.id) == answers[0].json()["id"]
    assert await moved(shop["partner"]) == (FUNDS - order.total, order.total, 1, 1)
    assert await IdempotencyKey.filter(key="burst").count() == 1


async def test_the_same_reference_sent_concurrently_without_a_key_makes_one_order(client, shop):
    async def post():
        return await client.post("/v1/orders", json=order_body(reference="po-race"), headers=auth(shop["key"]))

    answers = await asyncio.gather(*(post() for _ in range(20)))
    assert [a.status_code for a in answers] == [202] * 20
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await moved(shop["partner"]))[2:] == (1, 1)


async def test_a_key_and_a_reference_are_both_honoured(client, shop):
    first = await client.post("/v1/orders", json=order_body(reference="po-both"), headers=keyed(shop, "a"))
    # Another key, the same reference: the reference replays the order.
    by_reference = await client.post("/v1/orders", json=order_body(reference="po-both"), headers=keyed(shop, "b"))
    assert by_reference.status_code == 202 and by_reference.json()["id"] == first.json()["id"]
    # The first key with another reference: the key refuses it.
    by_key = await client.post("/v1/orders", json=order_body(reference="po-new"), headers=keyed(shop, "a"))
    assert (by_key.status_code, by_key.json()["code"]) == (409, "idempotency.mismatch")
    # The second key is bound to its body too, even though its answer was a replay.
    other = await client.post("/v1/orders", json=order_body(reference="po-new"), headers=keyed(shop, "b"))
    assert (other.status_code, other.json()["code"]) == (409, "idempotency.mismatch")
    assert (await moved(shop["partner"]))[2:] == (1, 1)


async def test_a_refused_request_is_not_kept_so_the_same_key_succeeds_after_a_top_up(client, shop):
    big = order_body(face_value="100.00", quantity=2)  # 194.00 with 100.00 in the wallet
    refused = await client.post("/v1/orders", json=big, headers=keyed(shop, "retry-me"))
    assert (refused.status_code, refused.json()["code"]) == (402, "order.insufficient_funds")
    assert await IdempotencyKey.filter(key="retry-me").count() == 0
    assert await moved(shop["partner"]) == (FUNDS, 0, 0, 0)
    async with atomic():
        await ledger.topup(party_id=shop["partner"].id, amount=100_00, reference="more", actor=ADMIN)
    accepted = await client.post("/v1/orders", json=big, headers=keyed(shop, "retry-me"))
    assert accepted.status_code == 202 and accepted.json()["total"]["amount"] == "194.00"
    assert await IdempotencyKey.filter(key="retry-me").count() == 1


async def test_keys_belong_to_one_party_and_one_mode(client, shop):
    other = await make_party(PartyKind.PARTNER, funds=FUNDS)
    other_key = await api_key(other)
    mine = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, "shared-key"))
    theirs = await client.post("/v1/orders", json=order_body(), headers=auth(other_key, **{"Idempotency-Key": "shared-key"}))
    assert mine.status_code == theirs.status_code == 202 and mine.json()["id"] != theirs.json()["id"]
    assert (await moved(other))[2:] == (1, 1)
    # A test key's scope is another one: the live key's answer is never replayed to it.
    live_scope = idempotency.party_scope(party_id=shop["partner"].id, livemode=True)
    test_scope = idempotency.party_scope(party_id=shop["partner"].id, livemode=False)
    stored = await IdempotencyKey.get(scope=live_scope, key="shared-key")

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with atomic():
            live = await idempotency.claim(scope=live_scope, key="shared-key", request_hash=stored.request_hash)
            test = await idempotency.claim(scope=test_scope, key="shared-key", request_hash=stored.request_hash)
            assert live.replay is not None and live.replay.body == mine.text
            assert test.replay is None and test.record_id is not None
            raise Undo


async def test_an_expired_key_is_forgotten_and_new_claims_purge_old_rows(client, shop):
    first = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, "old"))
    stale = datetime.now(UTC) - timedelta(seconds=1)
    async with atomic():
        for n in range(3):
            await IdempotencyKey.create(scope="party:0:live", key=f"litter-{n}", request_hash="h",
                                        status_code=201, response_body="{}", expires_at=stale)
    await IdempotencyKey.filter(key="old").update(expires_at=stale)
    # 24 h later the key means nothing: another body under it is a new order, not a mismatch.
    reused = await client.post("/v1/orders", json=order_body(quantity=1), headers=keyed(shop, "old"))
    assert reused.status_code == 202 and reused.json()["id"] != first.json()["id"]
    assert await IdempotencyKey.filter(key__startswith="litter-").count() == 0
    assert await IdempotencyKey.filter(key="old").count() == 1
    assert (await IdempotencyKey.get(key="old")).expires_at > datetime.now(UTC) + timedelta(hours=23)
    assert await idempotency.purge_expired() == 0
    await IdempotencyKey.filter(key="old").update(expires_at=stale)
    assert await idempotency.purge_expired() == 1


@pytest.mark.parametrize("bad", ["x" * 201, "", "tab\there"])
async def test_a_malformed_key_is_refused_before_anything_happens(client, shop, bad):
    response = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, bad))
    assert response.status_code == 422 and response.json()["code"] in ("validation_failed", "idempotency.invalid_key")
    assert await moved(shop["partner"]) == (FUNDS, 0, 0, 0)


async def test_a_key_of_exactly_200_printable_characters_is_fine(client, shop):
    key = "~" + "k" * 198 + " "
    first = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, key))
    again = await client.post("/v1/orders", json=order_body(), headers=keyed(shop, key))
    assert first.status_code == again.status_code == 202 and first.json() == again.json()


# --- The glue without an actor (how signup will use it) -------------------------------------


class Refused(Conflict):
    code = "thing.refused"


@pytest.fixture
async def bare_app(db):
    """A creating endpoint keyed by a scope string: its effect is an audit row; it can be told to refuse."""
    app = FastAPI()
    problems.install(app)
    calls = {"n": 0}

    @app.post("/things")
    async def make_thing(request: Request):
        body = await request.json()

        async def create() -> Created:
            calls["n"] += 1
            entry = await audit.record(actor=ADMIN, action="thing.create", object_type="thing", after=body)
            await asyncio.sleep(0.05)  # let duplicates pile up on the key
            if body.get("refuse"):
                raise Refused("no")
            return Created(201, {"id": entry.id, "name": body["name"]})

        return await run_idempotent(request, scope=f"signup:ip:{request.client.host}", create=create)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 1234)),
                                 base_url="http://api") as c:
        yield c, calls


async def test_the_store_and_the_effect_commit_together_or_not_at_all(bare_app):
    c, calls = bare_app
    refused = await c.post("/things", json={"name": "a", "refuse": True}, headers={"Idempotency-Key": "s-1"})
    assert (refused.status_code, refused.json()["code"]) == (409, "thing.refused")
    assert await AuditEntry.filter(action="thing.create").count() == 0  # effect rolled back…
    assert await IdempotencyKey.all().count() == 0  # …with its claim

    answers = await asyncio.gather(*(c.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "s-1"})
                                     for _ in range(10)))
    assert [a.status_code for a in answers] == [201] * 10 and len({a.text for a in answers}) == 1
    assert await AuditEntry.filter(action="thing.create").count() == 1
    assert calls["n"] == 2  # the refused try and one success: duplicates waited and replayed
    stored = await IdempotencyKey.get(key="s-1")
    assert stored.scope == "signup:ip:203.0.113.9" and stored.status_code == 201
    assert stored.response_body == answers[0].text
    mismatch = await c.post("/things", json={"name": "b"}, headers={"Idempotency-Key": "s-1"})
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "idempotency.mismatch")
    unkeyed = [await c.post("/things", json={"name": "a"}) for _ in range(2)]
    assert unkeyed[0].json()["id"] != unkeyed[1].json()["id"]  # no key: no replay
