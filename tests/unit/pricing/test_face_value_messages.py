"""Refusals name face values as people write them: `10000`, never `1E+4`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.catalog.models import Product
from core.pricing.errors import InvalidFaceValue
from core.pricing.service import check_face_value


def test_out_of_range_face_is_named_in_plain_digits():
    product = Product(id=1, name="Card", currency="USD", min_face=Decimal("1"), max_face=Decimal("100"))
    with pytest.raises(InvalidFaceValue) as refused:
        check_face_value(product, Decimal("1E+4"))
    assert "10000 USD" in refused.value.message and "E+" not in refused.value.message
    with pytest.raises(InvalidFaceValue) as refused:
        check_face_value(product, Decimal("2.555"))
    assert "2.555 is not a valid USD amount" in refused.value.message
