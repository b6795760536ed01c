"""Pure pieces of the catalog, wallet and rate-limit modules: no database, no Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api import ratelimit
from api.v1 import catalog, wallet
from core.ledger.export import DescribedLine
from core.ledger.service import StatementLine


def _line(kind: str, amount: int, *, reference: str | None = None, memo: str | None = None,
          counterparty: str | None = None) -> DescribedLine:
    line = StatementLine(transfer_id=1, seq=1, kind=kind, amount=amount, balance_after=amount,
                         counterparty_account_id=9, reference=reference, memo=memo,
                         created_at=datetime(2025, 1, 31, 12, tzinfo=UTC))
    return DescribedLine(line=line, counterparty=counterparty)


@pytest.mark.parametrize("item, expected", [
    (_line("topup", 100), "Top-up"),
    (_line("allocation", 500, counterparty="Acme Agency"), "Funds from Acme Agency"),
    (_line("allocation", -500, counterparty="Shop 7"), "Funds to Shop 7"),
    (_line("reclaim", -200, counterparty="Acme Agency", memo="month end"),
     "Funds taken back to Acme Agency: month end"),
    (_line("order_release", 947, reference="hold:12", memo="order 0b6f7c1e: 1 of 2 delivered, refund"),
     "Order refund: order 0b6f7c1e: 1 of 2 delivered, refund"),
    (_line("something_new", 1), "Something new"),
])
def test_each_line_says_what_it_was_for(item, expected):
    assert wallet._description(item) == expected


@pytest.mark.parametrize("reference, expected", [
    ("order:0b6f7c1e-4d2a-4c8e-9a53-2f1d7f0e9b11", "0b6f7c1e-4d2a-4c8e-9a53-2f1d7f0e9b11"),
    ("order:0B6F7C1E4D2A4C8E9A532F1D7F0E9B11", "0b6f7c1e-4d2a-4c8e-9a53-2f1d7f0e9b11"),
    ("order:not-a-uuid-at-all-not-a-uuid-at-all", None),
    ("hold:12", None), ("party:3", None), (None, None), ("", None),
])
def test_order_ids_come_from_order_references_only(reference, expected):
    assert wallet._order_id(reference) == expected


@pytest.mark.parametrize("header, matches", [
    (None, False), ("", False), ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True),
    ('"abcd"', False), ("abc", False),
])
def test_if_none_match_uses_weak_comparison(header, matches):
    assert catalog._matches(header, '"abc"') is matches


def test_the_etag_is_the_hash_of_the_body():
    assert catalog._etag(b"{}") == catalog._etag(b"{}") != catalog._etag(b"{ }")


def _scope(headers: dict[str, str], *, path: str = "/v1/me", method: str = "GET", client=("10.0.0.1", 1)) -> dict:
    return {"type": "http", "path": path, "method": method, "client": client,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def test_the_bucket_is_the_key_the_api_would_read():
    settings = ratelimit.RateLimitSettings(API_RATE_LIMIT_PER_SECOND=2, API_RATE_LIMIT_BURST=9,
                                           SIGNUP_RATE_LIMIT_PER_HOUR=6)
    secret = "sk_live_" + "a" * 43
    by_bearer = ratelimit.bucket_for(_scope({"Authorization": f"Bearer {secret}"}), settings)
    by_lowercase = ratelimit.bucket_for(_scope({"Authorization": f"bearer  {secret} "}), settings)
    by_header = ratelimit.bucket_for(_scope({"X-API-Key": secret}), settings)
    assert by_bearer == by_lowercase == by_header
    assert (by_bearer.rate, by_bearer.capacity) == (2, 9) and secret not in by_bearer.key
    # Bearer wins over X-API-Key, as in api.deps.current_actor; a Basic header is no key.
    both = ratelimit.bucket_for(_scope({"Authorization": f"Bearer {secret}", "X-API-Key": "other"}), settings)
    assert both == by_bearer
    basic = ratelimit.bucket_for(_scope({"Authorization": "Basic abc"}), settings)
    assert ":anon:" in basic.key and "10.0.0.1" not in basic.key
    signup = ratelimit.bucket_for(_scope({}, path="/v1/signup", method="POST"), settings)
    assert (signup.key.endswith("signup:10.0.0.1"), signup.capacity, signup.rate) == (True, 6, 6 / 3600)


def test_the_headers_of_a_decision():
    decision = ratelimit.Decision(allowed=False, limit=5, remaining=0, retry_after_ms=1, reset_ms=4001)
    assert decision.headers() == {"RateLimit-Limit": "5", "RateLimit-Remaining": "0", "RateLimit-Reset": "5"}
    assert decision.retry_after == 1
    assert ratelimit.Decision(False, 5, 0, 2500, 0).retry_after == 3


@pytest.mark.parametrize("path, limited", [
    ("/v1/me", True), ("/v1", True), ("/v1/", True), ("/v10", False), ("/health/live", False),
    ("/metrics", False), ("/docs", False), ("/openapi.json", False),
])
def test_only_v1_is_limited(path, limited):
    assert ratelimit._limited(path) is limited
