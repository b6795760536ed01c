"""Simulator: auth, routing, catalog (v1, v2 paging/filters), brands, categories, countries, rates."""

from __future__ import annotations

import re
from decimal import Decimal

from simulator.catalog import FIXED_PRODUCT_COUNT, generate_catalog
from simulator.jsonutil import dumps, parse_date
from simulator.rates import rate


async def test_missing_or_wrong_credentials_get_401(bamboo):
    async with bamboo.client(auth=None) as anon:
        r = await anon.get(f"{bamboo.V1}/accounts")
        assert r.status_code == 401
        assert r.headers["www-authenticate"].lower().startswith("basic")
        r = await anon.get(f"{bamboo.V1}/accounts", auth=("sim-client", "wrong"))
        assert r.status_code == 401
        r = await anon.get(f"{bamboo.V1}/accounts", auth=("someone", "sim-secret"))
        assert r.status_code == 401
        r = await anon.get(f"{bamboo.V1}/accounts", headers={"Authorization": "Bearer sim-secret"})
        assert r.status_code == 401
        r = await anon.get(f"{bamboo.V1}/accounts", auth=bamboo.AUTH)
        assert r.status_code == 200
        stats = await bamboo.stats(anon)
        assert stats["auth_failures"]["accounts"] == 4


async def test_configured_credentials_are_the_ones_accepted(bamboo):
    cfg = bamboo.config(client_id="acme", client_secret="s3cret")
    async with bamboo.client(cfg, auth=("acme", "s3cret")) as c:
        assert (await c.get(f"{bamboo.V1}/accounts")).status_code == 200
        assert (await c.get(f"{bamboo.V1}/accounts", auth=bamboo.AUTH)).status_code == 401


async def test_routes_are_case_insensitive_and_accept_both_version_spellings(client, bamboo):
    paths = [
        "/api/integration/v1.0/accounts",
        "/api/integration/v1/accounts",
        "/API/Integration/V1.0/Accounts",
        "/api/Integration/v1/accounts/",
    ]
    bodies = []
    for path in paths:
        r = await client.get(path)
        assert r.status_code == 200, path
        bodies.append(r.json())
    assert all(b == bodies[0] for b in bodies)
    for path in ("/api/integration/v2.0/catalog", "/api/Integration/V2/CATALOG",
                 "/api/integration/v2.0/Categories", "/api/integration/v2/catalog-countries"):
        r = await client.get(path)
        assert r.status_code == 200, path
    assert r.headers["api-supported-versions"] == "1.0, 2.0"
    assert (await client.get("/api/integration/v1.0/nothing-here")).status_code == 404


async def test_catalog_v2_pages_by_brand_with_total_count(bamboo):
    async with bamboo.client(products=400) as c:
        first = bamboo.json(await c.get(f"{bamboo.V2}/catalog", params={"PageSize": 25, "PageIndex": 0}))
        total_brands = first["count"]
        assert first["pageIndex"] == 0 and first["pageSize"] == 25
        assert len(first["items"]) == 25
        seen, products, index = [], 0, 0
        while True:
            page = bamboo.json(await c.get(f"{bamboo.V2}/catalog", params={"PageSize": 25, "PageIndex": index}))
            assert page["count"] == total_brands
            seen += [item["internalId"] for item in page["items"]]
            products += sum(len(item["products"]) for item in page["items"])
            if len(page["items"]) < 25:
                break
            index += 1
        assert len(seen) == len(set(seen)) == total_brands
        assert products == 400
        # Default page size is 100, and query names are case-insensitive.
        default = bamboo.json(await c.get(f"{bamboo.V2}/catalog"))
        assert default["pageSize"] == 100 and len(default["items"]) == min(100, total_brands)
        lower = bamboo.json(await c.get(f"{bamboo.V2}/catalog?pagesize=5&pageindex=1"))
        assert [i["internalId"] for i in lower["items"]] == seen[5:10]


async def test_catalog_item_shape_and_exact_prices(client, bamboo):
    page = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"ProductId": 439685}))
    assert page["count"] == 1
    brand = page["items"][0]
    assert brand["name"] == "Steam Bahrain" and brand["countryCode"] == "BH"
    assert brand["currencyCode"] == "USD"
    assert set(brand) >= {"internalId", "description", "disclaimer", "redemptionInstructions",
                          "terms", "logoUrl", "modifiedDate", "products", "categories"}
    (product,) = brand["products"]
    assert product["name"] == "Steam 10 USD BH"
    assert product["minFaceValue"] == product["maxFaceValue"] == 10
    assert product["count"] is None
    assert product["price"] == {"min": Decimal("9.47005"), "max": Decimal("9.47005"), "currencyCode": "USD"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", product["modifiedDate"])
    raw = (await client.get(f"{bamboo.V2}/catalog", params={"ProductId": 439685})).text
    assert '"min":9.47005' in raw  # printed from Decimal, no float artefacts
    assert dumps({"v": Decimal("9.47"), "w": Decimal("0.1") + Decimal("0.2")}) == '{"v":9.47,"w":0.3}'


async def test_catalog_v2_filters(client, bamboo):
    async def get(**params):
        return bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"PageSize": 1000, **params}))

    everything = await get()
    by_currency = await get(CurrencyCode="AED")
    assert by_currency["count"] > 0
    assert all(i["currencyCode"] == "AED" for i in by_currency["items"])
    assert by_currency["count"] < everything["count"]
    by_country = await get(countryCode="bh")  # names and values case-insensitive
    assert {i["countryCode"] for i in by_country["items"]} == {"BH"}
    assert "Steam Bahrain" in {i["name"] for i in by_country["items"]}
    by_name = await get(Name="test brand")
    assert {i["name"] for i in by_name["items"]} >= {"Test Brand UAE", "Test Brand Germany"}
    by_brand = await get(BrandId=2118)
    assert by_brand["count"] == 1
    assert [p["id"] for p in by_brand["items"][0]["products"]] == [2118001, 2118010, 2118020]
    assert (await get(ProductId=1))["count"] == 0
    in_usd = await get(BrandId=2118, TargetCurrency="USD")
    price = in_usd["items"][0]["products"][1]["price"]
    assert price["currencyCode"] == "USD"
    assert price["min"] == Decimal("9.8") * rate("AED", "USD")  # exact, with the served rate
    bad = await client.get(f"{bamboo.V2}/catalog", params={"PageIndex": -1})
    assert bad.status_code == 400 and "message" in bad.json()


async def test_catalog_includes_documented_test_products_and_variety(client, bamboo):
    v1 = bamboo.json(await client.get(f"{bamboo.V1}/catalog"))
    brands = v1["brands"]
    by_name = {b["name"]: b for b in brands}
    uae = by_name["Test Brand UAE"]
    assert uae["countryCode"] == "AE" and uae["currencyCode"] == "AED" and uae["internalId"] == "2118"
    assert sorted(p["minFaceValue"] for p in uae["products"]) == [1, 10, 20]
    products = [p for b in brands for p in b["products"]]
    assert len(brands) >= 30
    assert len({b["countryCode"] for b in brands}) >= 5
    assert len({b["currencyCode"] for b in brands}) >= 3
    assert any(p["count"] == 0 for p in products)
    assert any(p["count"] is None for p in products)
    assert any(p["minFaceValue"] < p["maxFaceValue"] for p in products)  # ranges
    assert any(p["status"] == "TemporaryInactive" for p in products)
    magic = by_name["Magic Test Card"]
    assert {str(p["minFaceValue"]) for p in magic["products"]} >= {"5.01", "5.02", "5.03", "5.04", "5.05"}
    for p in products:  # vendor price = face × (1 − a few %), never above face
        if p["price"]["min"] > 0:
            assert p["price"]["min"] < p["minFaceValue"]


async def test_brands_v2_status_facevalues_and_filters(client, bamboo):
    data = bamboo.json(await client.get(f"{bamboo.V2}/brands", params={"sku": "TBRAND-AE"}))
    assert data["count"] == 1
    brand = data["items"][0]
    assert brand["id"] == 2118 and brand["name"] == "Test Brand UAE" and brand["status"] == "Live"
    assert brand["faceValues"] == [{"min": 1, "max": 1}, {"min": 10, "max": 10}, {"min": 20, "max": 20}]
    assert brand["categories"] == [6]
    inactive = bamboo.json(await client.get(f"{bamboo.V2}/brands", params={"sku": "TBRAND1-AE"}))
    assert inactive["items"][0]["status"] == "TemporaryInactive"
    gaming = bamboo.json(await client.get(f"{bamboo.V2}/brands", params={"categoryId": 2, "pagesize": 500}))
    assert gaming["count"] >= 1 and all(2 in b["categories"] for b in gaming["items"])


async def test_categories_countries_and_exchange_rates(client, bamboo):
    categories = bamboo.json(await client.get(f"{bamboo.V2}/categories"))
    assert {"id": 1, "name": "Entertainment", "description": ""} in categories
    assert {c["id"] for c in categories} >= {1, 2, 6, 17, 27, 30} and len(categories) == 27
    countries = bamboo.json(await client.get(f"{bamboo.V2}/catalog-countries"))
    bh = next(c for c in countries if c["code"] == "BH")
    assert bh == {"code": "BH", "name": "Bahrain", "defaultCurrencyCode": "BHD", "alpha3Code": "BHR"}

    usd = bamboo.json(await client.get(f"{bamboo.V1}/exchange-rates"))
    assert usd["baseCurrencyCode"] == "USD"
    table = {r["currencyCode"]: r["value"] for r in usd["rates"]}
    assert table["AED"] == Decimal("3.6725") and table["EUR"] == Decimal("0.92")
    pair = bamboo.json(await client.get(f"{bamboo.V1}/exchange-rates?baseCurrency=EUR&currency=USD"))
    assert pair == {"baseCurrencyCode": "EUR", "rates": [{"currencyCode": "USD", "value": Decimal("1.086957")}]}
    aed = bamboo.json(await client.get(f"{bamboo.V1}/exchange-rates?baseCurrency=aed"))
    assert aed["baseCurrencyCode"] == "AED" and len(aed["rates"]) == len(usd["rates"])
    assert (await client.get(f"{bamboo.V1}/exchange-rates?baseCurrency=XXX")).status_code == 400


async def test_modified_date_filter_and_admin_touch_remove_add(client, bamboo):
    everything = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"PageSize": 1000}))
    latest = max(p["modifiedDate"] for i in everything["items"] for p in i["products"])
    nothing = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"ModifiedDate": latest}))
    assert nothing["count"] == 0 and nothing["items"] == []
    # A date in the middle returns only products modified strictly after it.
    dates = sorted(p["modifiedDate"] for i in everything["items"] for p in i["products"])
    middle = dates[len(dates) // 2]
    some = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"ModifiedDate": middle, "PageSize": 1000}))
    got = [p for i in some["items"] for p in i["products"]]
    assert got and all(parse_date(p["modifiedDate"]) > parse_date(middle) for p in got)
    assert len(got) == sum(1 for d in dates if d > middle)

    touched = bamboo.json(await client.post("/_sim/catalog/products/439685/touch", json={"discount": "10"}))
    assert touched["price"]["min"] == 9
    changed = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"ModifiedDate": latest}))
    assert changed["count"] == 1
    assert [p["id"] for p in changed["items"][0]["products"]] == [439685]
    assert changed["items"][0]["products"][0]["price"]["min"] == 9

    added = bamboo.json(await client.post("/_sim/catalog/products", json={"brandId": 2118, "faceValue": 50}))
    assert added["minFaceValue"] == 50
    assert (await client.delete("/_sim/catalog/products/439686")).status_code == 200
    after = bamboo.json(await client.get(f"{bamboo.V2}/catalog", params={"PageSize": 1000}))
    ids = {p["id"] for i in after["items"] for p in i["products"]}
    assert 439686 not in ids and added["id"] in ids
    assert (await client.delete("/_sim/catalog/products/439686")).status_code == 404
    status = await client.post("/_sim/catalog/brands/2118/status", json={"status": "TemporaryInactive"})
    assert status.json()["status"] == "TemporaryInactive"


async def test_same_seed_same_catalog_other_seed_differs():
    a, b, c = generate_catalog(7, 500), generate_catalog(7, 500), generate_catalog(8, 500)

    def snapshot(catalog):
        return [
            (br.id, br.name, br.sku, br.country, br.currency, br.status, br.modified,
             [(p.id, p.name, p.min_face, p.max_face, p.count, p.discount, p.modified) for p in br.products])
            for br in catalog.listed_brands()
        ]

    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


async def test_same_seed_same_catalog_over_http(bamboo):
    pages = []
    for _ in range(2):
        async with bamboo.client(seed=123, products=150) as c:
            pages.append((await c.get(f"{bamboo.V1}/catalog")).content)
    assert pages[0] == pages[1]


async def test_size_knob_controls_products_and_pages(bamboo):
    big = generate_catalog(42, 9000)
    assert big.product_count == 9000
    assert 20 <= -(-len(big.listed_brands()) // 100) <= 35  # ~27 pages of 100 brands
    small = generate_catalog(42, 10)
    assert small.product_count == FIXED_PRODUCT_COUNT + 30  # floor: test brands + 30 brands
    async with bamboo.client(products=1000) as c:
        page = bamboo.json(await c.get(f"{bamboo.V2}/catalog", params={"PageSize": 100, "PageIndex": 0}))
        summary = bamboo.json(await c.get("/_sim/catalog/summary"))
        assert summary["products"] == 1000
        assert page["count"] == summary["brands"] > 100
        resized = bamboo.json(await c.post("/_sim/reset", json={"products": 300}))
        assert resized["products"] == 300
        assert bamboo.json(await c.get("/_sim/catalog/summary"))["products"] == 300


async def test_unknown_route_and_method_are_not_served(client):
    r = await client.get("/api/integration/v1.0/orders/checkout")  # GET with "checkout" as id
    assert r.status_code == 400 and r.json() == {"message": "OrderNotFound"}
    r = await client.delete("/api/integration/v1.0/accounts")
    assert r.status_code == 405
