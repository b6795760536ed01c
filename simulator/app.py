"""The FastAPI app: Bamboo's routes (normalized paths, see middleware.py) and the /_sim admin API."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from simulator import catalog as cat
from simulator import rates
from simulator.config import SimulatorConfig
from simulator.jsonutil import JSONResponse, loads, parse_date
from simulator.middleware import ENDPOINTS, SimulatorMiddleware
from simulator.state import OrderLine, SimError, Simulator, clean


def _sim(request: Request) -> Simulator:
    return request.app.state.sim


def _query(request: Request) -> dict[str, str]:
    """Query parameters with lower-case names; empty values count as absent."""
    return {k.lower(): v for k, v in request.query_params.multi_items() if v.strip() != ""}


def _int_param(params: dict[str, str], name: str, default: int | None = None,
               *, minimum: int | None = None) -> int | None:
    if name not in params:
        return default
    try:
        value = int(params[name])
    except ValueError:
        raise SimError(f"The value '{params[name]}' is not valid for {name}.") from None
    if minimum is not None and value < minimum:
        raise SimError(f"The value '{params[name]}' is not valid for {name}.")
    return value


def _date_param(params: dict[str, str], name: str, *, end_of_day: bool = False):
    if name not in params:
        return None
    try:
        return parse_date(params[name], end_of_day=end_of_day)
    except ValueError:
        raise SimError(f"The value '{params[name]}' is not valid for {name}.") from None


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except ValueError:
        raise SimError("InvalidRequest", extra={"detail": "body is not valid JSON"}) from None


def _lower_keys(value: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _parse_lines(raw: Any, *, by_sku: bool) -> tuple[list[OrderLine], SimError | None]:
    if raw is None:
        return [], None
    if not isinstance(raw, list):
        return [], SimError("InvalidRequest", extra={"detail": "Products must be an array"})
    lines: list[OrderLine] = []
    for entry in raw:
        d = _lower_keys(entry)
        try:
            quantity = d.get("quantity")
            if isinstance(quantity, Decimal) and quantity == quantity.to_integral_value():
                quantity = int(quantity)
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                raise ValueError("Quantity must be a positive integer")
            value = d.get("value")
            value = Decimal(0) if value is None else Decimal(str(value))
            if not value.is_finite():
                raise ValueError("Value must be a number")
            if by_sku:
                sku = d.get("sku")
                if not isinstance(sku, str) or not sku.strip():
                    raise ValueError("Sku is required")
                lines.append(OrderLine(None, quantity, value, sku=sku))
            else:
                pid = d.get("productid")
                if isinstance(pid, str) and pid.strip().isdigit():
                    pid = int(pid)
                if isinstance(pid, Decimal) and pid == pid.to_integral_value():
                    pid = int(pid)
                if not isinstance(pid, int) or isinstance(pid, bool):
                    raise ValueError("ProductId must be an integer")
                lines.append(OrderLine(pid, quantity, value))
        except (ValueError, InvalidOperation) as exc:
            return [], SimError("InvalidRequest", extra={"detail": str(exc)})
    return lines, None


def _vendor_router() -> APIRouter:
    r = APIRouter()

    @r.get("/api/integration/v1/catalog")
    async def catalog_v1(request: Request) -> Response:
        sim = _sim(request)
        brands = sim.catalog.listed_brands()
        return JSONResponse({"brands": [cat.brand_catalog_json(b, b.products) for b in brands]})

    @r.get("/api/integration/v2/catalog")
    async def catalog_v2(request: Request) -> Response:
        sim = _sim(request)
        p = _query(request)
        page_size = _int_param(p, "pagesize", 100, minimum=1)
        page_index = _int_param(p, "pageindex", 0, minimum=0)
        currency = p.get("currencycode", "").upper() or None
        country = p.get("countrycode", "").upper() or None
        name = p.get("name", "").lower() or None
        modified = _date_param(p, "modifieddate")
        product_id = _int_param(p, "productid")
        brand_id = _int_param(p, "brandid")
        target = p.get("targetcurrency", "").upper() or None
        if target and target not in rates.USD_RATES:
            raise SimError(f"The value '{target}' is not valid for TargetCurrency.")
        matches = []
        for brand in sim.catalog.listed_brands():
            if currency and brand.currency != currency:
                continue
            if country and brand.country != country:
                continue
            if name and name not in brand.name.lower():
                continue
            if brand_id is not None and brand.id != brand_id:
                continue
            products = brand.products
            if product_id is not None:
                products = [x for x in products if x.id == product_id]
            if modified is not None:
                products = [x for x in products if x.modified > modified]
            if products:
                matches.append((brand, products))
        start = page_index * page_size
        items = []
        for brand, products in matches[start:start + page_size]:
            rate = rates.rate(brand.currency, target) if target else None
            items.append(cat.brand_catalog_json(brand, products, target, rate))
        return JSONResponse(
            {"pageIndex": page_index, "pageSize": page_size, "count": len(matches), "items": items}
        )

    @r.get("/api/integration/v2/brands")
    async def brands_v2(request: Request) -> Response:
        sim = _sim(request)
        p = _query(request)
        page_size = _int_param(p, "pagesize", 100, minimum=1)
        page_index = _int_param(p, "pageindex", 0, minimum=0)
        currency = p.get("currencycode", "").upper() or None
        country = p.get("countrycode", "").upper() or None
        name = p.get("name", "").lower() or None
        sku = p.get("sku", "").lower() or None
        category = _int_param(p, "categoryid")
        modified = _date_param(p, "modifieddate")
        matches = [
            b for b in sim.catalog.listed_brands()
            if (not currency or b.currency == currency)
            and (not country or b.country == country)
            and (not name or name in b.name.lower())
            and (not sku or b.sku.lower() == sku)
            and (category is None or category in b.categories)
            and (modified is None or b.modified > modified)
        ]
        start = page_index * page_size
        return JSONResponse({
            "pageIndex": page_index,
            "pageSize": page_size,
            "count": len(matches),
            "items": [cat.brand_v2_json(b) for b in matches[start:start + page_size]],
        })

    @r.get("/api/integration/v2/categories")
    async def categories(request: Request) -> Response:
        return JSONResponse([{"id": i, "name": n, "description": ""} for i, n in cat.CATEGORIES])

    @r.get("/api/integration/v2/catalog-countries")
    async def catalog_countries(request: Request) -> Response:
        sim = _sim(request)
        out = []
        for code in sim.catalog.countries():
            name, currency, alpha3 = cat.COUNTRIES.get(code, (code, "USD", code))
            out.append({"code": code, "name": name, "defaultCurrencyCode": currency, "alpha3Code": alpha3})
        return JSONResponse(out)

    @r.get("/api/integration/v2/getstock/{sku}/{face}")
    async def getstock(request: Request, sku: str, face: str) -> Response:
        sim = _sim(request)
        try:
            value = Decimal(face)
        except InvalidOperation:
            raise SimError("InvalidDenomination") from None
        line = OrderLine(None, 1, value, sku=sku)
        product = sim.resolve(line)
        brand = sim.catalog.brand_of(product)
        return JSONResponse({
            "faceValue": clean(value),
            "quantity": product.count or 0,
            "isStocked": product.count is not None,
            "price": product.unit_price(value),
            "currencyCode": brand.currency,
        })

    @r.get("/api/integration/v1/accounts")
    async def accounts(request: Request) -> Response:
        return JSONResponse(_sim(request).accounts_json())

    @r.get("/api/integration/v1/exchange-rates")
    async def exchange_rates(request: Request) -> Response:
        p = _query(request)
        base = p.get("basecurrency", "USD").upper()
        currency = p.get("currency", "").upper() or None
        for code in (base, currency):
            if code and code not in rates.USD_RATES:
                raise SimError(f"Currency {code} is not supported.")
        pairs = [(currency, rates.rate(base, currency))] if currency else rates.table(base)
        return JSONResponse({
            "baseCurrencyCode": base,
            "rates": [{"currencyCode": c, "value": v} for c, v in pairs],
        })

    async def _place(request: Request, version: str) -> Any:
        sim = _sim(request)
        data = await _json_body(request)
        if not isinstance(data, dict):
            raise SimError("InvalidRequest", extra={"detail": "body must be a JSON object"})
        d = _lower_keys(data)
        lines, line_error = _parse_lines(d.get("products"), by_sku=(version == "v2"))
        order = sim.place(
            d.get("requestid"), d.get("accountid"), lines, api_version=version, line_error=line_error
        )
        if order.magic == "hang" and sim.timeout_hang_seconds > 0:
            # The order is recorded; the caller times out and never learns the outcome.
            await asyncio.sleep(sim.timeout_hang_seconds)
        return order

    @r.post("/api/integration/v1/orders/checkout")
    async def place_order(request: Request) -> Response:
        order = await _place(request, "v1")
        return JSONResponse(order.request_id)  # a bare JSON string, as Bamboo does

    @r.post("/api/integration/v2/orders/checkout")
    async def place_order_v2(request: Request) -> Response:
        order = await _place(request, "v2")
        return JSONResponse(_sim(request).place_v2_json(order))

    @r.get("/api/integration/v1/orders/checkout/{request_id}")
    @r.get("/api/integration/v1/orders/{request_id}")
    async def get_order(request: Request, request_id: str) -> Response:
        sim = _sim(request)
        return JSONResponse(sim.order_json(sim.find_order(request_id)))

    @r.get("/api/integration/v1/orders")
    async def orders_report(request: Request) -> Response:
        p = _query(request)
        start = _date_param(p, "startdate")
        end = _date_param(p, "enddate", end_of_day=True)
        return JSONResponse(_sim(request).report(start, end))

    @r.get("/api/integration/v1/transactions")
    async def transactions(request: Request) -> Response:
        p = _query(request)
        start = _date_param(p, "startdate")
        end = _date_param(p, "enddate", end_of_day=True)
        return JSONResponse(_sim(request).transactions_json(start, end))

    @r.get("/api/integration/v1/notification")
    async def notification_get(request: Request) -> Response:
        return JSONResponse(dict(_sim(request).notification))

    @r.post("/api/integration/v1/notification")
    async def notification_set(request: Request) -> Response:
        data = await _json_body(request)
        if not isinstance(data, dict):
            raise SimError("InvalidRequest", extra={"detail": "body must be a JSON object"})
        return JSONResponse(_sim(request).set_notification(data))

    return r


def _admin_router() -> APIRouter:
    r = APIRouter(prefix="/_sim")

    async def body(request: Request) -> dict[str, Any]:
        data = await _json_body(request)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise SimError("body must be a JSON object")
        return data

    @r.get("/stats")
    async def stats(request: Request) -> Response:
        return JSONResponse(_sim(request).stats_json())

    @r.post("/stats/reset")
    async def stats_reset(request: Request) -> Response:
        _sim(request).stats.reset_counters()
        return JSONResponse({"ok": True})

    @r.get("/config")
    async def get_config(request: Request) -> Response:
        sim = _sim(request)
        return JSONResponse({
            "knobs": sim.knobs(),
            "faults": sim.faults.describe(),
            "rate_limits": {"enabled": sim.rate_limits_enabled, **sim.limiter.describe()},
            "notification": dict(sim.notification),
            "endpoints": ENDPOINTS,
        })

    @r.post("/config")
    async def set_config(request: Request) -> Response:
        sim = _sim(request)
        sim.set_knobs(await body(request))
        return JSONResponse(sim.knobs())

    @r.post("/order-delay")
    async def order_delay(request: Request) -> Response:
        sim = _sim(request)
        spec = await body(request)
        sim.set_knobs({"order_delay": spec.get("seconds", spec.get("order_delay"))})
        return JSONResponse(sim.knobs())

    @r.get("/faults")
    async def get_faults(request: Request) -> Response:
        return JSONResponse(_sim(request).faults.describe())

    @r.post("/faults")
    async def set_faults(request: Request) -> Response:
        sim = _sim(request)
        sim.faults.update(await body(request))
        return JSONResponse(sim.faults.describe())

    @r.post("/rate-limits")
    async def set_rate_limits(request: Request) -> Response:
        sim = _sim(request)
        spec = await body(request)
        if "enabled" in spec:
            sim.rate_limits_enabled = bool(spec["enabled"])
        if "per_product" in spec or "perProductEnabled" in spec:
            sim.per_product_limit = bool(spec.get("per_product", spec.get("perProductEnabled")))
        sim.limiter.configure(spec)
        if spec.get("clear"):
            sim.limiter.clear()
        return JSONResponse({
            "enabled": sim.rate_limits_enabled,
            "per_product": sim.per_product_limit,
            **sim.limiter.describe(),
        })

    @r.post("/reset")
    async def reset(request: Request) -> Response:
        sim = _sim(request)
        spec = await body(request)
        sim.reset(seed=spec.get("seed"), products=spec.get("products"))
        return JSONResponse({"ok": True, **sim.knobs()})

    @r.post("/accounts/{account_id}")
    async def upsert_account(request: Request, account_id: int) -> Response:
        sim = _sim(request)
        return JSONResponse(sim.upsert_account(account_id, await body(request)).json())

    @r.post("/accounts/{account_id}/balance")
    async def set_balance(request: Request, account_id: int) -> Response:
        sim = _sim(request)
        spec = await body(request)
        if account_id not in sim.accounts:
            raise KeyError(account_id)
        return JSONResponse(sim.upsert_account(account_id, {"balance": spec["balance"]}).json())

    @r.get("/orders")
    async def list_orders(request: Request) -> Response:
        sim = _sim(request)
        return JSONResponse([
            {
                "requestId": o.request_id, "orderId": o.order_id, "status": sim.status_of(o),
                "outcome": o.outcome, "magic": o.magic, "total": clean(o.total),
                "currency": o.currency, "totalCards": o.total_cards,
            }
            for o in sim.orders.values()
        ])

    @r.get("/orders/{request_id}")
    async def admin_order(request: Request, request_id: str) -> Response:
        sim = _sim(request)
        order = sim.find_order(request_id)
        return JSONResponse({
            **sim.order_json(order),
            "outcome": order.outcome,
            "magic": order.magic,
            "placement": sim.stats.placements.get(order.key),
        })

    @r.post("/orders/{request_id}/complete")
    async def complete_order(request: Request, request_id: str) -> Response:
        sim = _sim(request)
        order = sim.find_order(request_id)
        sim.finalize(order)
        return JSONResponse(sim.order_json(order))

    @r.get("/catalog/summary")
    async def catalog_summary(request: Request) -> Response:
        sim = _sim(request)
        c = sim.catalog
        return JSONResponse({
            "brands": len(c.listed_brands()),
            "products": c.product_count,
            "pages_of_100": -(-len(c.listed_brands()) // 100),
            "countries": c.countries(),
            "currencies": sorted(c.currencies()),
            "test_products": {
                "test_brand_uae": [2118001, 2118010, 2118020],
                "test_brand_bahrain_inactive": [2119010, 2119020],
                "test_brand_germany_eur": [2120010, 2120025],
                "test_brand_uk_gbp": [2121010, 2121025],
                "steam_bahrain": [cat.STEAM_10_USD_BH, 439686, 439687],
                "magic_range": cat.MAGIC_RANGE_PRODUCT,
                "magic_fixed": cat.MAGIC_FIXED_PRODUCTS,
                "out_of_stock": cat.OUT_OF_STOCK_PRODUCT,
                "low_stock": cat.LOW_STOCK_PRODUCT,
                "price_invalid": cat.PRICE_INVALID_PRODUCT,
            },
        })

    @r.post("/catalog/products")
    async def add_product(request: Request) -> Response:
        sim = _sim(request)
        spec = await body(request)
        with sim._lock:
            product = sim.catalog.add_product(int(spec["brandId"]), spec)
            brand = sim.catalog.brand_of(product)
        return JSONResponse(cat.product_json(brand, product))

    @r.post("/catalog/products/{product_id}/touch")
    async def touch_product(request: Request, product_id: int) -> Response:
        sim = _sim(request)
        spec = await body(request)
        with sim._lock:
            product = sim.catalog.touch_product(product_id, spec)
            brand = sim.catalog.brand_of(product)
        return JSONResponse(cat.product_json(brand, product))

    @r.delete("/catalog/products/{product_id}")
    async def remove_product(request: Request, product_id: int) -> Response:
        sim = _sim(request)
        with sim._lock:
            product = sim.catalog.remove_product(product_id)
        return JSONResponse({"removed": product.id})

    @r.post("/catalog/brands/{brand_id}/status")
    async def brand_status(request: Request, brand_id: int) -> Response:
        sim = _sim(request)
        spec = await body(request)
        with sim._lock:
            brand = sim.catalog.set_brand_status(brand_id, str(spec.get("status", "")))
        return JSONResponse(cat.brand_v2_json(brand))

    return r


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """Build a simulator app. Without a config: credentials from core.config, defaults otherwise."""
    config = config if config is not None else SimulatorConfig.from_settings()
    sim = Simulator(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.aclose()

    app = FastAPI(
        title="Bamboo simulator", docs_url=None, redoc_url=None, openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sim = sim

    @app.exception_handler(SimError)
    async def sim_error(request: Request, exc: SimError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    # Admin conveniences: unknown ids → 404, bad values → 400. On vendor routes these are bugs.
    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError) -> Response:
        if not request.url.path.startswith("/_sim"):
            raise exc
        return JSONResponse({"message": f"not found: {exc.args[0] if exc.args else ''}"}, status_code=404)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        if not request.url.path.startswith("/_sim"):
            raise exc
        return JSONResponse({"message": str(exc)}, status_code=400)

    app.include_router(_vendor_router())
    app.include_router(_admin_router())
    app.add_middleware(SimulatorMiddleware, sim=sim)
    return app
