"""The simulator's catalog: a deterministic, seeded set of brands and products.

``generate_catalog(seed, products)`` always returns the same catalog for the same arguments
(dates included: they derive from a fixed base, never from the clock). It contains a few fixed
test brands with documented ids (see README.md) plus generated brands, so that the total number of
products is exactly ``products`` (at least the fixed ones + 30).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable

from simulator.jsonutil import fmt_date

# --- reference data ----------------------------------------------------------------------------

CATEGORIES: list[tuple[int, str]] = [
    (1, "Entertainment"), (2, "Gaming"), (3, "Prepaid Cards"), (4, "Fashion & Accessories"),
    (5, "Tools & Home Improvement"), (6, "Airlines & Hotels"), (7, "Beauty Wellness & Spa"),
    (9, "eCommerce"), (10, "Dining & Restaurants"), (11, "Kids Fashion & Toys"),
    (12, "Travel & Leisure"), (13, "Home & Garden"), (14, "Learning"), (15, "Sports & Lifestyle"),
    (16, "Electronics"), (17, "Crypto"), (18, "Supermarkets & Hypermarkets"), (19, "Bookstore"),
    (20, "Telecommunication & Internet"), (21, "Department Stores"), (22, "Mobile Application"),
    (23, "Shopping Mall"), (24, "Gas Station"), (25, "Drugstore"), (26, "Pet Shop & Pet Care"),
    (27, "Charity"), (30, "Petroleum"),
]
CATEGORY_NAMES = dict(CATEGORIES)

# code: (name, default currency, alpha3)
COUNTRIES: dict[str, tuple[str, str, str]] = {
    "US": ("United States", "USD", "USA"),
    "GB": ("United Kingdom", "GBP", "GBR"),
    "DE": ("Germany", "EUR", "DEU"),
    "FR": ("France", "EUR", "FRA"),
    "IT": ("Italy", "EUR", "ITA"),
    "ES": ("Spain", "EUR", "ESP"),
    "NL": ("Netherlands", "EUR", "NLD"),
    "AE": ("United Arab Emirates", "AED", "ARE"),
    "SA": ("Saudi Arabia", "SAR", "SAU"),
    "BH": ("Bahrain", "BHD", "BHR"),
    "KW": ("Kuwait", "KWD", "KWT"),
    "QA": ("Qatar", "QAR", "QAT"),
    "OM": ("Oman", "OMR", "OMN"),
    "EG": ("Egypt", "EGP", "EGY"),
    "TR": ("Turkey", "TRY", "TUR"),
    "IN": ("India", "INR", "IND"),
    "CA": ("Canada", "CAD", "CAN"),
    "AU": ("Australia", "AUD", "AUS"),
}
_COUNTRY_LABEL = {"AE": "UAE", "GB": "UK", "US": "USA"}

# Fixed denominations per currency family (integers only: no accidental magic values).
_DENOMS_MAJOR = [5, 10, 15, 20, 25, 30, 50, 75, 100, 150, 200, 250, 500]
_DENOMS: dict[str, list[int]] = {
    **{c: _DENOMS_MAJOR for c in ("USD", "EUR", "GBP", "CAD", "AUD")},
    **{c: [25, 50, 75, 100, 150, 200, 250, 300, 500, 1000] for c in ("AED", "SAR", "QAR")},
    **{c: [2, 5, 10, 15, 20, 25, 30, 50, 100] for c in ("BHD", "KWD", "OMR")},
    **{c: [100, 200, 250, 500, 1000, 1500, 2000, 5000] for c in ("EGP", "INR", "TRY")},
}
_RANGES: dict[str, tuple[int, int]] = {
    **{c: (5, 500) for c in ("USD", "EUR", "GBP", "CAD", "AUD")},
    **{c: (25, 2000) for c in ("AED", "SAR", "QAR")},
    **{c: (2, 200) for c in ("BHD", "KWD", "OMR")},
    **{c: (100, 10000) for c in ("EGP", "INR", "TRY")},
}

# Real-world-looking brand stems with a main category.
_BRAND_STEMS: list[tuple[str, int]] = [
    ("Amazon", 9), ("iTunes", 1), ("Google Play", 22), ("Steam", 2), ("PlayStation", 2),
    ("Xbox", 2), ("Nintendo eShop", 2), ("Netflix", 1), ("Spotify", 1), ("Uber", 12),
    ("Careem", 12), ("Noon", 9), ("Talabat", 10), ("IKEA", 13), ("Zara", 4), ("H&M", 4),
    ("Sephora", 7), ("Starbucks", 10), ("Carrefour", 18), ("Lulu Hypermarket", 18),
    ("Airbnb", 6), ("Booking.com", 6), ("Decathlon", 15), ("Nike", 15), ("Adidas", 15),
    ("Apple", 16), ("Sharaf DG", 16), ("Virgin Megastore", 1), ("Roblox", 2), ("PUBG Mobile", 2),
    ("Free Fire", 2), ("Razer Gold", 2), ("Binance", 17), ("Paysafecard", 3), ("Visa Prepaid", 3),
    ("Mastercard Prepaid", 3), ("Deliveroo", 10), ("McDonald's", 10), ("Boots", 25),
    ("Petco", 26), ("Kindle", 19), ("Coursera", 14), ("Udemy", 14), ("Etisalat", 20),
    ("Vodafone", 20), ("Shell", 24), ("ADNOC", 30), ("Marks & Spencer", 21), ("Debenhams", 21),
    ("City Centre Mall", 23), ("Toys R Us", 11), ("The Body Shop", 7), ("Bath & Body Works", 7),
    ("Crate & Barrel", 13), ("Home Centre", 13), ("UNICEF", 27), ("Red Crescent", 27),
    ("Max Fashion", 4), ("Centrepoint", 21), ("Jarir Bookstore", 19), ("Ace Hardware", 5),
]
_SYLLABLES = ["zor", "vex", "lin", "tra", "mo", "ka", "ri", "sel", "dan", "quo", "bri", "fen",
              "lux", "nor", "pal", "ter", "vio", "wex", "yan", "zu", "kel", "ora", "pim", "sto"]
_SUFFIXES = ["Store", "Market", "Play", "Gifts", "Club", "Plus", "Outlet", "Express", "Games",
             "Wear", "Foods", "Travel"]

_BASE_DATE = datetime(2024, 1, 1)
_HUNDRED = Decimal(100)

# --- fixed test brands (ids documented in README.md) -------------------------------------------

TEST_BRAND_UAE_ID = 2118  # "Test Brand UAE", TBRAND-AE, AED 1/10/20
TEST_BRAND_BAHRAIN_ID = 2119  # "Test Brand Bahrain", TBRAND1-AE, BHD, TemporaryInactive
TEST_BRAND_GERMANY_ID = 2120  # EUR 10/25 (FX tests)
TEST_BRAND_UK_ID = 2121  # GBP 10/25
STEAM_BAHRAIN_ID = 4396  # "Steam Bahrain", USD, product 439685 "Steam 10 USD BH"
MAGIC_BRAND_ID = 9001  # "Magic Test Card": range 1-1000 USD + fixed 5.01 … 5.05
SOLD_OUT_BRAND_ID = 9002  # out of stock (count 0) and low stock (count 5)
PRICE_GLITCH_BRAND_ID = 9003  # ClientPriceInvalid

STEAM_10_USD_BH = 439685
MAGIC_RANGE_PRODUCT = 900001
MAGIC_FIXED_PRODUCTS = {"01": 900101, "02": 900102, "03": 900103, "04": 900104, "05": 900105}
OUT_OF_STOCK_PRODUCT = 900201
LOW_STOCK_PRODUCT = 900202
PRICE_INVALID_PRODUCT = 900301


@dataclass
class Product:
    id: int
    brand_id: int
    name: str
    min_face: Decimal
    max_face: Decimal
    count: int | None
    discount: Decimal  # percent, e.g. Decimal("5.2995")
    modified: datetime
    price_invalid: bool = False

    @property
    def is_fixed(self) -> bool:
        return self.min_face == self.max_face

    def unit_price(self, face: Decimal) -> Decimal:
        """The client's price for one card of ``face``, in the brand currency (exact)."""
        if self.price_invalid:
            return Decimal(0)
        return _clean(face * (_HUNDRED - self.discount) / _HUNDRED)

    def accepts(self, face: Decimal) -> bool:
        """Fixed: exactly the face value. Range: inside [min, max], at most 2 decimals."""
        if self.is_fixed:
            return face == self.min_face
        if face != face.quantize(Decimal("0.01")):
            return False
        return self.min_face <= face <= self.max_face


@dataclass
class Brand:
    id: int
    name: str
    sku: str
    country: str
    currency: str
    status: str  # "Live" | "TemporaryInactive"
    categories: list[int]
    modified: datetime
    description: str | None = None
    disclaimer: str | None = None
    redemption: str | None = None
    terms: str | None = None
    products: list[Product] = field(default_factory=list)

    @property
    def internal_id(self) -> str:
        return str(self.id)

    @property
    def logo_url(self) -> str:
        return f"https://bamboo-assets.s3.amazonaws.com/app-images/brand-images/{self.id}/card-picture"

    @property
    def orderable(self) -> bool:
        return self.status == "Live"


def utcnow() -> datetime:
    """Naive UTC now (the simulator's dates carry no timezone, like Bamboo's)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _clean(value: Decimal) -> Decimal:
    """Drop trailing zeros without ever switching to exponent notation."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class Catalog:
    def __init__(self, brands: Iterable[Brand]):
        self.brands: dict[int, Brand] = {}
        self.products: dict[int, Product] = {}
        self._by_sku: dict[str, Brand] = {}
        self._sorted: list[Brand] | None = None
        self._clock = datetime(2000, 1, 1)
        for brand in brands:
            self._add_brand(brand)

    def _add_brand(self, brand: Brand) -> None:
        self.brands[brand.id] = brand
        self._by_sku[brand.sku.lower()] = brand
        for product in brand.products:
            self.products[product.id] = product
        self._sorted = None

    # -- lookups
    def listed_brands(self) -> list[Brand]:
        """Brands with at least one product, by id (the paging order)."""
        if self._sorted is None:
            self._sorted = [b for _, b in sorted(self.brands.items()) if b.products]
        return self._sorted

    def brand_by_sku(self, sku: str) -> Brand | None:
        return self._by_sku.get(sku.strip().lower())

    def brand_of(self, product: Product) -> Brand:
        return self.brands[product.brand_id]

    @property
    def product_count(self) -> int:
        return len(self.products)

    def currencies(self) -> set[str]:
        return {b.currency for b in self.brands.values()}

    def countries(self) -> list[str]:
        return sorted({b.country for b in self.listed_brands()})

    # -- admin changes (each bumps modifiedDate to "now", strictly increasing)
    def _now(self) -> datetime:
        now = utcnow()
        if now <= self._clock:
            now = self._clock + timedelta(microseconds=1)
        self._clock = now
        return now

    def touch_product(self, product_id: int, changes: dict[str, Any]) -> Product:
        product = self.products[product_id]
        brand = self.brands[product.brand_id]
        if "discount" in changes:
            product.discount = Decimal(str(changes["discount"]))
        if "faceValue" in changes:
            product.min_face = product.max_face = Decimal(str(changes["faceValue"]))
        if "minFaceValue" in changes:
            product.min_face = Decimal(str(changes["minFaceValue"]))
        if "maxFaceValue" in changes:
            product.max_face = Decimal(str(changes["maxFaceValue"]))
        if "count" in changes:
            product.count = None if changes["count"] is None else int(changes["count"])
        if "name" in changes:
            product.name = str(changes["name"])
        if "priceInvalid" in changes:
            product.price_invalid = bool(changes["priceInvalid"])
        if product.min_face > product.max_face:
            raise ValueError("minFaceValue above maxFaceValue")
        product.modified = brand.modified = self._now()
        return product

    def remove_product(self, product_id: int) -> Product:
        product = self.products.pop(product_id)
        brand = self.brands[product.brand_id]
        brand.products = [p for p in brand.products if p.id != product_id]
        brand.modified = self._now()
        self._sorted = None
        return product

    def add_product(self, brand_id: int, spec: dict[str, Any]) -> Product:
        brand = self.brands[brand_id]
        if "faceValue" in spec:
            lo = hi = Decimal(str(spec["faceValue"]))
        else:
            lo, hi = Decimal(str(spec["minFaceValue"])), Decimal(str(spec["maxFaceValue"]))
        if lo > hi or lo <= 0:
            raise ValueError("bad face values")
        new_id = int(spec.get("id") or max(self.products, default=500000) + 1)
        if new_id in self.products:
            raise ValueError(f"product {new_id} exists")
        discount = Decimal(str(spec.get("discount", brand.products[0].discount if brand.products else "5")))
        face_label = _fmt_face(lo) if lo == hi else f"{_fmt_face(lo)}-{_fmt_face(hi)}"
        name = spec.get("name") or f"{brand.name} {face_label} {brand.currency}"
        now = self._now()
        product = Product(
            id=new_id, brand_id=brand_id, name=name, min_face=lo, max_face=hi,
            count=spec.get("count"), discount=discount, modified=now,
        )
        brand.products.append(product)
        brand.modified = now
        self.products[new_id] = product
        self._sorted = None
        return product

    def set_brand_status(self, brand_id: int, status: str) -> Brand:
        if status not in ("Live", "TemporaryInactive"):
            raise ValueError("status must be Live or TemporaryInactive")
        brand = self.brands[brand_id]
        brand.status = status
        now = self._now()
        brand.modified = now
        for product in brand.products:
            product.modified = now
        return brand


def _fmt_face(value: Decimal) -> str:
    return format(_clean(value), "f")


# --- JSON shapes -------------------------------------------------------------------------------


def product_json(
    brand: Brand, product: Product, target: str | None = None, rate: Decimal | None = None
) -> dict[str, Any]:
    lo, hi = product.unit_price(product.min_face), product.unit_price(product.max_face)
    currency = brand.currency
    if target and rate is not None:
        lo, hi, currency = _clean(lo * rate), _clean(hi * rate), target
    return {
        "id": product.id,
        "name": product.name,
        "minFaceValue": product.min_face,
        "maxFaceValue": product.max_face,
        "count": product.count,
        "price": {"min": lo, "max": hi, "currencyCode": currency},
        "modifiedDate": fmt_date(product.modified),
        # Not in the official model; [MISC] types list an optional products[].status. It carries
        # the brand status so a catalog-only sync can see TemporaryInactive brands.
        "status": brand.status,
    }


def brand_catalog_json(
    brand: Brand,
    products: list[Product],
    target: str | None = None,
    rate: Decimal | None = None,
) -> dict[str, Any]:
    return {
        "internalId": brand.internal_id,
        "name": brand.name,
        "countryCode": brand.country,
        "currencyCode": brand.currency,
        "description": brand.description,
        "disclaimer": brand.disclaimer,
        "redemptionInstructions": brand.redemption,
        "terms": brand.terms,
        "logoUrl": brand.logo_url,
        "modifiedDate": fmt_date(brand.modified),
        "products": [product_json(brand, p, target, rate) for p in products],
        "categories": [
            {"id": cid, "name": CATEGORY_NAMES.get(cid, ""), "description": ""}
            for cid in brand.categories
        ],
    }


def brand_v2_json(brand: Brand) -> dict[str, Any]:
    face_values = []
    seen = set()
    for p in brand.products:
        key = (p.min_face, p.max_face)
        if key not in seen:
            seen.add(key)
            face_values.append({"min": p.min_face, "max": p.max_face})
    return {
        "id": brand.id,
        "name": brand.name,
        "sku": brand.sku,
        "countryCode": brand.country,
        "currencyCode": brand.currency,
        "description": brand.description,
        "disclaimer": brand.disclaimer,
        "redemptionInstructions": brand.redemption,
        "terms": brand.terms,
        "status": brand.status,
        "logoUrl": brand.logo_url,
        "modifiedDate": fmt_date(brand.modified),
        "faceValues": face_values,
        "categories": list(brand.categories),
    }


# --- generation --------------------------------------------------------------------------------


def _texts(name: str) -> dict[str, str | None]:
    return {
        "description": f"{name} digital gift card, delivered instantly by e-mail.",
        "disclaimer": None,
        "redemption": f"Redeem the code at checkout on the {name} website or app.",
        "terms": f"{name} gift cards are non-refundable and cannot be exchanged for cash.",
    }


def _fixed_brands() -> list[Brand]:
    D = Decimal

    def product(pid, bid, name, face, *, hi=None, count=None, discount="5", day=0, price_invalid=False):
        lo = D(str(face))
        return Product(
            id=pid, brand_id=bid, name=name, min_face=lo, max_face=D(str(hi)) if hi else lo,
            count=count, discount=D(discount),
            modified=datetime(2024, 7, 3, 6, 27, 0, 133176) + timedelta(days=day, seconds=pid % 997),
            price_invalid=price_invalid,
        )

    def brand(bid, name, sku, country, currency, cats, products, status="Live", day=0):
        return Brand(
            id=bid, name=name, sku=sku, country=country, currency=currency, status=status,
            categories=cats, products=products,
            modified=max(p.modified for p in products) + timedelta(seconds=1 + day),
            **_texts(name),
        )

    b = TEST_BRAND_UAE_ID
    uae = brand(b, "Test Brand UAE", "TBRAND-AE", "AE", "AED", [6], [
        product(2118001, b, "Test Brand UAE 1 AED", 1, discount="2"),
        product(2118010, b, "Test Brand UAE 10 AED", 10, discount="2"),
        product(2118020, b, "Test Brand UAE 20 AED", 20, discount="2"),
    ])
    b = TEST_BRAND_BAHRAIN_ID
    bahrain = brand(b, "Test Brand Bahrain", "TBRAND1-AE", "BH", "BHD", [6], [
        product(2119010, b, "Test Brand Bahrain 10 BHD", 10),
        product(2119020, b, "Test Brand Bahrain 20 BHD", 20),
    ], status="TemporaryInactive")
    b = TEST_BRAND_GERMANY_ID
    germany = brand(b, "Test Brand Germany", "TBRAND-DE", "DE", "EUR", [9], [
        product(2120010, b, "Test Brand Germany 10 EUR", 10, discount="5"),
        product(2120025, b, "Test Brand Germany 25 EUR", 25, discount="5"),
    ])
    b = TEST_BRAND_UK_ID
    uk = brand(b, "Test Brand UK", "TBRAND-GB", "GB", "GBP", [9], [
        product(2121010, b, "Test Brand UK 10 GBP", 10, discount="4"),
        product(2121025, b, "Test Brand UK 25 GBP", 25, discount="4"),
    ])
    b = STEAM_BAHRAIN_ID
    steam = brand(b, "Steam Bahrain", "STEAM-BH", "BH", "USD", [2], [
        product(439685, b, "Steam 10 USD BH", 10, discount="5.2995"),
        product(439686, b, "Steam 20 USD BH", 20, discount="5.2995"),
        product(439687, b, "Steam 50 USD BH", 50, discount="5.2995"),
    ])
    b = MAGIC_BRAND_ID
    magic = brand(b, "Magic Test Card", "MAGIC-US", "US", "USD", [3], [
        product(MAGIC_RANGE_PRODUCT, b, "Magic Test Card 1-1000 USD", 1, hi=1000),
        *[
            product(pid, b, f"Magic Test Card 5.{suffix} USD", f"5.{suffix}")
            for suffix, pid in MAGIC_FIXED_PRODUCTS.items()
        ],
    ])
    b = SOLD_OUT_BRAND_ID
    sold_out = brand(b, "Sold Out Test Card", "SOLDOUT-US", "US", "USD", [3], [
        product(OUT_OF_STOCK_PRODUCT, b, "Sold Out Test Card 10 USD", 10, count=0),
        product(LOW_STOCK_PRODUCT, b, "Sold Out Test Card 25 USD", 25, count=5),
    ])
    b = PRICE_GLITCH_BRAND_ID
    glitch = brand(b, "Price Glitch Test Card", "PRICEGLITCH-US", "US", "USD", [3], [
        product(PRICE_INVALID_PRODUCT, b, "Price Glitch Test Card 10 USD", 10, price_invalid=True),
    ])
    return [uae, bahrain, germany, uk, steam, magic, sold_out, glitch]


FIXED_PRODUCT_COUNT = sum(len(b.products) for b in _fixed_brands())
MIN_GENERATED_BRANDS = 30


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def _brand_names(rng: random.Random, count: int) -> list[tuple[str, str, int]]:
    """(stem, country, main category) combinations, unique, deterministic for the rng."""
    pairs = [(stem, country, cat) for stem, cat in _BRAND_STEMS for country in COUNTRIES]
    rng.shuffle(pairs)
    names = pairs[:count]
    used = {stem for stem, _ in _BRAND_STEMS}
    while len(names) < count:
        parts = rng.randint(2, 3)
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        stem = f"{stem} {rng.choice(_SUFFIXES)}"
        if stem in used:
            continue
        used.add(stem)
        cat = rng.choice(CATEGORIES)[0]
        for country in rng.sample(list(COUNTRIES), k=min(4, count - len(names))):
            names.append((stem, country, cat))
    return names


def generate_catalog(seed: int, products: int) -> Catalog:
    rng = random.Random(f"steller-sim-catalog:{seed}")
    fixed = _fixed_brands()
    total = max(products, FIXED_PRODUCT_COUNT + MIN_GENERATED_BRANDS)
    remaining = total - FIXED_PRODUCT_COUNT
    brand_count = min(remaining, max(MIN_GENERATED_BRANDS, round(remaining / 3.4)))

    names = _brand_names(rng, brand_count)
    # How many products each brand gets: one each, the rest spread at random within capacity.
    plans = []
    for stem, country, cat in names:
        currency = COUNTRIES[country][1] if rng.random() >= 0.15 else "USD"
        plans.append([stem, country, cat, currency, 1])
    open_slots = [i for i in range(len(plans))]
    for _ in range(remaining - brand_count):
        pick = rng.randrange(len(open_slots))
        idx = open_slots[pick]
        plans[idx][4] += 1
        if plans[idx][4] >= len(_DENOMS[plans[idx][3]]) + 1:
            open_slots[pick] = open_slots[-1]
            open_slots.pop()

    brands = list(fixed)
    used_skus = {b.sku for b in fixed}
    brand_id = 10000
    product_id = 500000
    for stem, country, cat, currency, n_products in plans:
        brand_id += rng.randint(1, 9)
        label = _COUNTRY_LABEL.get(country, COUNTRIES[country][0])
        name = f"{stem} {label}"
        sku = f"{_slug(stem)}-{country}"
        if sku in used_skus:
            sku = f"{sku}-{brand_id}"
        used_skus.add(sku)
        discount = Decimal(rng.randint(10000, 90000)) / Decimal(10000)  # 1.0000 … 9.0000 %
        status = "TemporaryInactive" if rng.random() < 0.05 else "Live"
        cats = [cat]
        if rng.random() < 0.3:
            extra = rng.choice(CATEGORIES)[0]
            if extra != cat:
                cats.append(extra)
        brand_base = _BASE_DATE + timedelta(
            seconds=rng.randint(0, 540 * 86400), microseconds=rng.randint(0, 999999)
        )
        roll = rng.random()
        has_range = n_products > len(_DENOMS[currency]) or roll < (0.12 if n_products > 1 else 0.05)
        n_fixed = n_products - (1 if has_range else 0)
        faces = sorted(rng.sample(_DENOMS[currency], k=n_fixed))
        code = country
        prods: list[Product] = []
        specs: list[tuple[Decimal, Decimal, str]] = [
            (Decimal(f), Decimal(f), f"{stem} {f} {currency} {code}") for f in faces
        ]
        if has_range:
            lo, hi = _RANGES[currency]
            specs.append((Decimal(lo), Decimal(hi), f"{stem} {lo}-{hi} {currency} {code}"))
        for lo, hi, pname in specs:
            product_id += rng.randint(1, 37)
            roll = rng.random()
            count = 0 if roll < 0.05 else (rng.randint(1, 500) if roll < 0.15 else None)
            prods.append(
                Product(
                    id=product_id, brand_id=brand_id, name=pname, min_face=lo, max_face=hi,
                    count=count, discount=discount,
                    modified=brand_base + timedelta(seconds=rng.randint(0, 30 * 86400),
                                                    microseconds=rng.randint(0, 999999)),
                )
            )
        brands.append(
            Brand(
                id=brand_id, name=name, sku=sku, country=country, currency=currency,
                status=status, categories=cats, products=prods,
                modified=max(p.modified for p in prods) + timedelta(seconds=rng.randint(1, 3600)),
                **_texts(name),
            )
        )
    return Catalog(brands)
