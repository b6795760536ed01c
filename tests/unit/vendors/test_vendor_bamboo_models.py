"""Bamboo payload parsing: exact money, zone-less 7-digit dates, tolerant casing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from core.vendors.bamboo import Account, CatalogPage, OrderProduct
from core.vendors.bamboo.models import decode_json, format_bamboo_datetime, parse_bamboo_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-16T04:36:35.3673422", datetime(2024, 5, 16, 4, 36, 35, 367342, tzinfo=timezone.utc)),
        ("2020-09-23T15:01:01.00000", datetime(2020, 9, 23, 15, 1, 1, tzinfo=timezone.utc)),
        ("2024-05-15T00:00:00", datetime(2024, 5, 15, tzinfo=timezone.utc)),
        ("2024-05-15T04:29", datetime(2024, 5, 15, 4, 29, tzinfo=timezone.utc)),
        ("2022-10-01", datetime(2022, 10, 1, tzinfo=timezone.utc)),
        ("0001-01-01T00:00:00", datetime(1, 1, 1, tzinfo=timezone.utc)),
        ("2024-05-16 04:36:35.1", datetime(2024, 5, 16, 4, 36, 35, 100000, tzinfo=timezone.utc)),
        ("2024-05-16T04:36:35.3673422Z", datetime(2024, 5, 16, 4, 36, 35, 367342, tzinfo=timezone.utc)),
        ("2024-05-16T08:36:35+04:00", datetime(2024, 5, 16, 4, 36, 35, tzinfo=timezone.utc)),
        ("2024-05-16T08:36:35+0400", datetime(2024, 5, 16, 4, 36, 35, tzinfo=timezone.utc)),
        ("", None),
        (None, None),
    ],
)
def test_bamboo_dates_are_read_as_utc(text, expected):
    parsed = parse_bamboo_datetime(text)

    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


def test_garbage_dates_are_refused():
    with pytest.raises(ValueError):
        parse_bamboo_datetime("yesterday")
    with pytest.raises(ValidationError):
        CatalogPage.model_validate({"items": [{"name": "b", "modifiedDate": "16/05/2024"}]})


def test_query_dates_are_written_like_bamboo_writes_them():
    assert format_bamboo_datetime(datetime(2024, 5, 16, 4, 36, 35, 367342, tzinfo=timezone.utc)) == "2024-05-16T04:36:35.367342"
    assert format_bamboo_datetime(datetime(2024, 5, 16, 4, 36, 35)) == "2024-05-16T04:36:35"


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=8, allow_nan=False))
def test_balances_survive_json_exactly(amount):
    text = '{"id": 1, "currency": "USD", "balance": %s, "isActive": true}' % format(amount, "f")

    account = Account.model_validate(decode_json(text))

    assert account.balance == amount and isinstance(account.balance, Decimal)


def test_keys_in_any_casing_are_accepted():
    page = CatalogPage.model_validate(decode_json('{"pageindex": 3, "PageSize": 100, "Count": 301, "items": []}'))

    assert (page.page_index, page.page_size, page.count) == (3, 100, 301)


def test_order_lines_refuse_floats_and_nonsense():
    assert OrderProduct(product_id=1, quantity=2, value="10.25").value == Decimal("10.25")
    with pytest.raises(ValidationError):
        OrderProduct(product_id=1, quantity=1, value=10.25)
    with pytest.raises(ValidationError):
        OrderProduct(product_id=1, quantity=0, value=Decimal(10))
    with pytest.raises(ValidationError):
        OrderProduct(product_id=1, quantity=1, value=Decimal(0))
