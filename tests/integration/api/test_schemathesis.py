"""R6: schemathesis against the app's own `/openapi.json`, every operation, with valid keys.

The app runs in-process (`create_app(manage_db=False)` behind `httpx.ASGITransport`) on the test's
event loop, where Tortoise's connections live. Schemathesis generates the cases from the document
the app serves; Hypothesis runs in a worker thread and hands each request to that loop. Every
response is checked with schemathesis' own checks:

- `not_a_server_error`: no 5xx, for valid (positive) and invalid (negative) inputs alike;
- `status_code_conformance`, `content_type_conformance`, `response_schema_conformance`: the answer
  is one the document lists, with its media type and a body its schema accepts.

Each operation runs with a live key and with a test key (parametrized) of a funded partner that has
a priced catalog and an order of each kind (pending and completed with cards), so paths with ids
hit real rows half of the time (`order_id`, `product_id`), not only 404s. The account's state is
kept usable between cases: an IP allowlist a case set is cleared, a revoked key comes back.

A run is bounded (`EXAMPLES` positive + `NEGATIVE_EXAMPLES` negative cases per operation and key)
and collects every failure before asserting, so one run lists all the broken operations with a
request that shows it.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from core.db import atomic
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")

# Cases per operation and key mode; R6_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("R6_EXAMPLES", "15"))  # valid inputs
NEGATIVE_EXAMPLES = max(1, EXAMPLES // 2)  # invalid inputs
PRODUCTS = (101, 102, 103)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def unlimited(monkeypatch):
    """Rate limits out of the way: every generated request reaches the handler (read by create_app)."""
    monkeypatch.setenv("API_RATE_LIMIT_PER_SECOND", "100000")
    monkeypatch.setenv("API_RATE_LIMIT_BURST", "100000")
    monkeypatch.setenv("SIGNUP_RATE_LIMIT_PER_HOUR", "100000")


@pytest.fixture
async def client(unlimited):
    app = create_app(manage_db=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", timeout=30) as c:
        yield c


async def _seed(client: httpx.AsyncClient, *, livemode: bool) -> dict:
    """A partner with a priced catalog, money, a live and a test key, and orders through the API."""
    from core.access import api_keys
    from core.orders import resolve
    from core.orders.settle import DeliveredCard

    for pid in PRODUCTS:
        await make_product(pid, face=("1", "100"), vendor_discount="0.10", brand_name=f"Brand {pid}")
    partner = await make_party(PartyKind.PARTNER, funds=1_000_00, name="Fuzz Gifts")
    async with atomic():
        await pricing.set_discount(rate="0.0300", party_kind=PartyKind.PARTNER, actor=ADMIN)
        key = await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=livemode, name="fuzz")
        # A second key of the same mode: what DELETE /v1/api-keys/{id} may revoke without `force`.
        spare = await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=livemode, name="spare")
    headers = {"Authorization": f"Bearer {key.secret}"}
    orders = []
    for n in range(2):
        made = await client.post("/v1/orders", headers=headers,
                                 json={"product_id": PRODUCTS[0], "face_value": "10.00", "quantity": 1,
                                       "reference": f"seed-{n}"})
        assert made.status_code == 202, made.text
        orders.append(made.json()["id"])
    async with atomic():  # one order completed with a card, so /cards answers 200 too
        await resolve.complete_order(actor=ADMIN, order_id=orders[1], reason="seed", cards=[
            DeliveredCard(vendor_card_id="c1", code="SEED-CODE-1", pin="1234", serial="SN-1",
                          expires_at=datetime.now(UTC) + timedelta(days=365))])
    return {"partner": partner, "secret": key.secret, "key_ids": [key.key.id, spare.key.id], "orders": orders,
            "products": list(PRODUCTS)}


async def _restore(seed: dict) -> None:
    """Undo what a case may have changed that would lock the key out of the next cases."""
    from tortoise.connection import get_connection

    conn = get_connection("default")
    await conn.execute_query("UPDATE party SET ip_allowlist = NULL WHERE id = $1", [seed["partner"].id])
    await conn.execute_query("UPDATE api_key SET revoked_at = NULL WHERE id = ANY($1::bigint[])",
                             [seed["key_ids"]])


def _request_kwargs(case, secret: str) -> dict:
    kwargs = case.as_transport_kwargs(base_url="http://api", headers={"Authorization": f"Bearer {secret}"})
    out = {k: kwargs[k] for k in ("method", "url", "headers", "params") if kwargs.get(k) is not None}
    if kwargs.get("cookies"):  # the document declares no cookie: none is expected
        out["headers"] = {**out.get("headers", {}),
                          "Cookie": "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())}
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        if isinstance(data, (bytes, str)):
            out["content"] = data
        else:
            out["data"] = data
    out["headers"] = {str(k): str(v) for k, v in (out.get("headers") or {}).items()}
    return out


# Bugs this test found and that are not fixed yet would be listed here, each with a test of its own,
# so that a failure of exactly that kind does not hide a new one. None today: the four it found
# (a non-UTF-8 body, an undocumented 409, integers beyond bigint, NUL in text) are fixed and tested below.
def _known_bug(check: str, kwargs: dict, response: httpx.Response) -> str | None:
    return None


def _problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _first_line(exc: BaseException) -> str:
    """The failed check's title (`Undocumented status code`, `Server error`, …)."""
    inner = getattr(exc, "exceptions", None)
    if inner:
        exc = inner[0]
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _describe(kwargs: dict, response: httpx.Response) -> str:
    body = kwargs.get("json", kwargs.get("content", kwargs.get("data")))
    text = response.text if len(response.text) < 600 else response.text[:600] + "…"
    headers = {k: v for k, v in kwargs.get("headers", {}).items() if k.lower() != "authorization"}
    return (f"{kwargs['method']} {kwargs['url']} params={kwargs.get('params')} headers={headers} "
            f"body={json.dumps(body, default=str)[:400] if body is not None else None} → {response.status_code} "
            f"{response.headers.get('content-type')} {text}")


@pytest.mark.parametrize("livemode", [True, False], ids=["live_key", "test_key"])
async def test_every_operation_answers_without_5xx_and_as_documented(client, livemode):
    seed = await _seed(client, livemode=livemode)
    secret = seed["secret"]
    schema = schemathesis.openapi.from_dict((await client.get("/openapi.json")).json())
    loop = asyncio.get_running_loop()
    failures: dict[tuple[str, str], str] = {}  # (operation, check) → the first request that broke it
    known_bugs: Counter = Counter()  # known bugs met (not failures of this run)
    counts: dict[str, int] = {}
    statuses: dict[str, Counter] = {}

    async def send(kwargs: dict) -> httpx.Response:
        try:
            return await client.request(**kwargs)
        finally:
            await _restore(seed)

    def run_operation(operation, mode: GenerationMode, examples: int) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), known=st.booleans())
        def one(case, known: bool) -> None:
            if known and mode is GenerationMode.POSITIVE:  # half the time: ids of real rows
                for name, choices in (("order_id", seed["orders"]), ("product_id", seed["products"])):
                    if case.path_parameters and name in case.path_parameters:
                        case.path_parameters[name] = choices[len(str(case.path_parameters[name])) % len(choices)]
            kwargs = _request_kwargs(case, secret)
            response = asyncio.run_coroutine_threadsafe(send(kwargs), loop).result(timeout=60)
            counts[label] = counts.get(label, 0) + 1
            statuses.setdefault(label, Counter())[response.status_code] += 1
            for check in CHECKS:
                if (label, check.__name__) in failures:
                    continue
                try:
                    case.validate_response(response, checks=[check])
                except FailureGroup as exc:  # one check failed
                    bug = _known_bug(check.__name__, kwargs, response)
                    if bug is not None:
                        known_bugs[bug] += 1
                        continue
                    first = _first_line(exc)
                    failures[(label, check.__name__)] = f"{first}\n      {_describe(kwargs, response)}"

        one()

    def run_all() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()
            run_operation(operation, GenerationMode.POSITIVE, EXAMPLES)
            run_operation(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)

    await asyncio.to_thread(run_all)

    print("\n".join(f"{op}: {dict(sorted(c.items()))}" for op, c in sorted(statuses.items())))
    print("known bugs met:", dict(known_bugs))
    operations = {f"{m.upper()} {p}" for p, ops in schema.raw_schema["paths"].items() for m in ops}
    assert set(counts) == operations, f"operations never exercised: {sorted(operations - set(counts))}"
    # The keys were valid: every authenticated operation answered something other than 401 at least once,
    # and the reads of the caller's own things answered 200.
    unauthenticated = {op for op in operations if op.endswith("/v1/signup")}
    locked_out = sorted(op for op in operations - unauthenticated if set(statuses[op]) <= {401})
    assert not locked_out, f"never got past authentication: {locked_out}"
    for op in ("GET /v1/me", "GET /v1/wallet", "GET /v1/catalog", "GET /v1/orders", "GET /v1/api-keys",
               "GET /v1/orders/{order_id}", "GET /v1/orders/{order_id}/cards"):
        assert statuses[op][200] > 0, f"{op} never answered 200: {dict(statuses[op])}"
    report = "\n".join(f"  {op} [{check}]: {detail}" for (op, check), detail in sorted(failures.items()))
    assert not failures, f"{len(failures)} failure(s) over {sum(counts.values())} requests:\n{report}"


# --- The bugs the fuzzing found, one reproduction each (strict: fixing one makes its test fail) ----


def _documented(schema: dict, method: str, path: str) -> set[int]:
    return {int(s) for s in schema["paths"][path][method]["responses"] if s.isdigit()}


@pytest.fixture
async def live(client):
    return await _seed(client, livemode=True)


async def test_a_body_that_is_not_utf8_is_a_documented_refusal(client, live):
    schema = (await client.get("/openapi.json")).json()
    auth = {"Authorization": f"Bearer {live['secret']}", "Content-Type": "application/json"}
    for method, path in (("post", "/v1/orders"), ("post", "/v1/signup"), ("put", "/v1/settings/ip-allowlist")):
        response = await client.request(method.upper(), path, content=b"\xd8", headers=auth)
        assert response.status_code in _documented(schema, method, path), (path, response.status_code, response.text)


async def test_create_api_key_documents_the_idempotency_mismatch(client, live):
    headers = {"Authorization": f"Bearer {live['secret']}", "Idempotency-Key": "same-key"}
    first = await client.post("/v1/api-keys", json={"name": "a"}, headers=headers)
    assert first.status_code == 201, first.text
    second = await client.post("/v1/api-keys", json={"name": "b"}, headers=headers)
    assert (second.status_code, second.json()["code"]) == (409, "idempotency.mismatch")
    schema = (await client.get("/openapi.json")).json()
    assert 409 in _documented(schema, "post", "/v1/api-keys")


async def test_ids_beyond_bigint_are_not_server_errors(client, live):
    auth = {"Authorization": f"Bearer {live['secret']}"}
    huge = "65738795902023385808371712"
    for method, path in (("GET", f"/v1/catalog/{huge}"), ("GET", f"/v1/catalog/{huge}/quote?face_value=10&quantity=1"),
                         ("DELETE", f"/v1/api-keys/{huge}"), ("GET", f"/v1/catalog?brand=-{huge}"),
                         ("GET", f"/v1/catalog?category={huge}"), ("GET", f"/v1/catalog?cursor={huge}")):
        response = await client.request(method, path, headers=auth)
        assert response.status_code < 500, (method, path, response.status_code)


async def test_a_nul_in_text_is_not_a_server_error(client, live):
    auth = {"Authorization": f"Bearer {live['secret']}"}
    for method, path, params, body in (
            ("GET", "/v1/catalog", {"q": "\x00"}, None), ("GET", "/v1/orders", {"reference": "\x00"}, None),
            ("POST", "/v1/orders", None, {"product_id": PRODUCTS[0], "face_value": "10", "quantity": 1,
                                          "reference": "\x00"}),
            ("POST", "/v1/api-keys", None, {"name": "\x00"})):
        response = await client.request(method, path, params=params, json=body, headers=auth)
        assert response.status_code < 500, (method, path, params, body)


async def test_nul_in_the_other_text_inputs_is_refused_cleanly(client, live):
    """A NUL anywhere else is a clean refusal too."""
    auth = {"Authorization": f"Bearer {live['secret']}"}
    for path, params in (("/v1/catalog", {"country": "\x00"}), ("/v1/catalog", {"currency": "\x00"}),
                         ("/v1/catalog", {"cursor": "\x00"}), ("/v1/orders", {"cursor": "\x00"}),
                         ("/v1/wallet/transactions", {"cursor": "\x00"}), ("/v1/orders/%00", {}),
                         ("/v1/orders/%00/cards", {}), ("/v1/catalog/101/quote", {"face_value": "\x00", "quantity": 1})):
        response = await client.get(path, params=params, headers=auth)
        assert 400 <= response.status_code < 500, (path, params, response.status_code, response.text)
    for path, body in (("/v1/settings/ip-allowlist", {"cidrs": ["\x00"]}),):
        response = await client.put(path, json=body, headers=auth)
        assert response.status_code == 422, (path, response.status_code, response.text)
