"""The bare baseline of TARGETS.md S1–S3: FastAPI + asyncpg doing only the irreducible work, on the
same database schema as the real API (the same tables, indexes and triggers).

`POST /v1/orders` (S1, S2), in this order:
  1. key lookup: the keyed hash of the presented key (`core.crypto.api_key_hash_candidates`, as the API
     stores it), one SELECT joining the key to its party;
  2. one transaction: lock the party's wallet and holds accounts (`SELECT … FOR UPDATE`), insert the
     ledger operation (the transfer's foreign key needs it), insert the transfer (wallet → holds),
     update both accounts' cached balance and entry count (one UPDATE), insert the order;
  3. after the commit, enqueue `place_order:<id>` with arq (the deterministic job id the API uses);
  4. answer 202 with a small JSON body.
No idempotency, audit, rate limit, quote or product check, no HMAC of the transfer (a constant digest):
only what any implementation of "hold the money and queue the order" has to do. The price is the
face value × quantity less 5 %.

`GET /v1/catalog` (S3): the same key lookup, the first page of products (with their brands) in id
order, the partner kind's discount, priced in Python (face × (1 − rate) for the range's minimum).

Run: `python bench/baseline_app.py --port N` with DATABASE_URL / REDIS_URL in the environment
(the bench scripts start it). One process, uvicorn with uvloop and httptools, as `steller api` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg
from fastapi import FastAPI, Header, HTTPException, Response
from pydantic import BaseModel

KEY_SQL = """
SELECT k.party_id, k.mode, p.status, p.currency, p.kind
  FROM api_key k JOIN party p ON p.id = k.party_id
 WHERE k.key_hash = ANY($1::text[]) AND k.revoked_at IS NULL
"""
LOCK_SQL = """
SELECT id, kind, balance, entry_count FROM ledger_account
 WHERE party_id = $1 AND livemode = $2 AND kind IN ('wallet', 'holds') ORDER BY id FOR UPDATE
"""
OPERATION_SQL = """
INSERT INTO ledger_operation (kind, idempotency_key, fingerprint, reference, actor, memo, created_at)
VALUES ('order_hold', $1, 'baseline', $2, 'baseline', NULL, $3) RETURNING id
"""
TRANSFER_SQL = """
INSERT INTO ledger_transfer (operation_id, kind, debit_account_id, credit_account_id, amount, currency, debit_seq,
                             credit_seq, debit_balance_after, credit_balance_after, reference, created_at, digest)
VALUES ($1, 'order_hold', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'baseline')
"""
ACCOUNTS_SQL = """
UPDATE ledger_account a SET balance = u.balance, entry_count = u.entry_count
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, balance, entry_count) WHERE a.id = u.id
"""
ORDER_SQL = """
INSERT INTO "order" (id, party_id, actor, product_id, face_value, card_currency, quantity, currency, unit_price, total,
                     quote, reference, request_fingerprint, vendor_request_id, status, attempts, deferrals, polls,
                     cards_delivered, livemode, created_at, updated_at)
VALUES ($1, $2, 'baseline', $3, $4, $5, $6, $5, $7, $8, '{}', $9, 'baseline', $10, 'pending', 0, 0, 0, 0, $11, $12, $12)
"""
CATALOG_SQL = """
SELECT p.id, p.name, p.country, p.currency, p.min_face, p.max_face, b.id AS brand_id, b.name AS brand_name
  FROM catalog_product p JOIN catalog_brand b ON b.id = p.brand_id
 WHERE p.gone_at IS NULL ORDER BY p.id LIMIT $1
"""
DISCOUNT_SQL = """
SELECT rate FROM pricing_discount
 WHERE party_kind = $1 AND party_id IS NULL AND brand_id IS NULL AND product_id IS NULL
"""


class NewOrder(BaseModel):
    product_id: int
    face_value: Decimal
    quantity: int
    reference: str | None = None


def create_app(database_url: str, redis_url: str, pool_size: int = 10) -> FastAPI:
    from contextlib import asynccontextmanager

    from arq import create_pool
    from arq.connections import RedisSettings

    from core.crypto import api_key_hash_candidates

    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state["db"] = await asyncpg.create_pool(database_url, min_size=1, max_size=pool_size)
        state["arq"] = await create_pool(RedisSettings.from_dsn(redis_url))
        yield
        await state["arq"].aclose()
        await state["db"].close()

    app = FastAPI(lifespan=lifespan)

    def secret_of(authorization: str | None) -> str:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401)
        return authorization[7:].strip()

    async def key_row(conn, authorization: str | None):
        row = await conn.fetchrow(KEY_SQL, api_key_hash_candidates(secret_of(authorization)))
        if row is None or row["status"] != "active":
            raise HTTPException(401)
        return row

    @app.post("/v1/orders", status_code=202)
    async def create_order(body: NewOrder, authorization: str | None = Header(default=None)) -> Response:
        now = datetime.now(UTC)
        order_id = uuid.uuid4()
        async with state["db"].acquire() as conn:
            key = await key_row(conn, authorization)
            livemode = key["mode"] == "live"
            unit = int(body.face_value * 100 * Decimal("0.95"))
            total = unit * body.quantity
            async with conn.transaction():
                accounts = {r["kind"]: r for r in await conn.fetch(LOCK_SQL, key["party_id"], livemode)}
                wallet, holds = accounts["wallet"], accounts["holds"]
                if wallet["balance"] < total:
                    raise HTTPException(402)
                operation_id = await conn.fetchval(OPERATION_SQL, f"hold:order:{order_id}", f"order:{order_id}", now)
                w_balance, w_count = wallet["balance"] - total, wallet["entry_count"] + 1
                h_balance, h_count = holds["balance"] + total, holds["entry_count"] + 1
                await conn.execute(TRANSFER_SQL, operation_id, wallet["id"], holds["id"], total, key["currency"],
                                   w_count, h_count, w_balance, h_balance, f"order:{order_id}", now)
                await conn.execute(ACCOUNTS_SQL, [wallet["id"], holds["id"]], [w_balance, h_balance],
                                   [w_count, h_count])
                await conn.execute(ORDER_SQL, order_id, key["party_id"], body.product_id, body.face_value,
                                   key["currency"], body.quantity, unit, total, body.reference or order_id.hex,
                                   uuid.uuid4(), livemode, now)
        await state["arq"].enqueue_job("place_order", str(order_id), _job_id=f"place_order:{order_id}")
        return Response(json.dumps({"id": str(order_id), "status": "pending", "total": f"{total / 100:.2f}"}),
                        status_code=202, media_type="application/json")

    @app.get("/v1/catalog")
    async def catalog(limit: int = 20, authorization: str | None = Header(default=None)) -> Response:
        async with state["db"].acquire() as conn:
            key = await key_row(conn, authorization)
            rows = await conn.fetch(CATALOG_SQL, limit + 1)
            rate = await conn.fetchval(DISCOUNT_SQL, key["kind"]) or Decimal(0)
        keep = 1 - rate
        data = [{"id": r["id"], "name": r["name"], "brand": {"id": r["brand_id"], "name": r["brand_name"]},
                 "country": r["country"], "currency": r["currency"],
                 "face_value": {"min": str(r["min_face"]), "max": str(r["max_face"])},
                 "example_price": {"amount": str((r["min_face"] * keep).quantize(Decimal("0.01"))),
                                   "currency": r["currency"]}} for r in rows[:limit]]
        next_cursor = str(rows[limit - 1]["id"]) if len(rows) > limit else None
        return Response(json.dumps({"data": data, "next_cursor": next_cursor}), media_type="application/json")

    @app.get("/health/ready")
    async def ready() -> dict:
        async with state["db"].acquire() as conn:
            await conn.fetchval("SELECT 1")
        return {"status": "ok"}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1).split("?")[0]
    app = create_app(database_url, os.environ["REDIS_URL"], pool_size=args.pool)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
