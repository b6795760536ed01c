"""Naming a brand or a card the way an admin types it: by id, or a brand by its exact name."""

from __future__ import annotations

from core.access.actor import Actor
from core.access.policy import require_admin
from core.catalog.models import Brand, Product
from core.errors import NotFound, ValidationFailed


class BrandNotFound(NotFound):
    code = "catalog.brand_not_found"


class AmbiguousBrand(ValidationFailed):
    code = "catalog.brand_ambiguous"


class NoSuchProduct(NotFound):
    code = "catalog.no_such_product"


def _id(text: str) -> int | None:
    digits = text.removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None


async def find_brand(*, actor: Actor, ref: str) -> Brand:
    """A brand by id ("7", "#7") or exact name (any letter case). A name several brands share (one per
    country) is refused with their ids."""
    require_admin(actor)
    text = (ref or "").strip()
    if not text:
        raise BrandNotFound("no brand named", ref=text)
    brand_id = _id(text)
    if brand_id is not None:
        brand = await Brand.get_or_none(id=brand_id)
        if brand is not None:
            return brand
    matches = await Brand.filter(name__iexact=text).order_by("id").limit(10)
    if not matches:
        raise BrandNotFound(f"no brand {text!r}", ref=text)
    if len(matches) > 1:
        raise AmbiguousBrand(f"{len(matches)} brands are named {text!r}: name one by id", ref=text,
                             ids=[b.id for b in matches])
    return matches[0]


async def find_product(*, actor: Actor, ref: str) -> Product:
    """A card by its (Bamboo) product id, gone or not."""
    require_admin(actor)
    text = (ref or "").strip()
    product_id = _id(text)
    product = await Product.get_or_none(id=product_id).prefetch_related("brand") if product_id is not None else None
    if product is None:
        raise NoSuchProduct(f"no product {text!r}", ref=text)
    return product
