"""`steller api` on its own (one replica of a scaled-out deployment) reaches the database from every
request, not only from `steller up` where the whole process shares one startup."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from core.db import apply_migrations, close_db, drop_database
from tests.support.processes import start_ready, stop
from tests.support.vendor import free_port

ALONE_DB = os.environ.get("TEST_API_ALONE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_api_alone_test")
ALONE_REDIS = os.environ.get("TEST_API_ALONE_REDIS_URL", "redis://127.0.0.1:6379/7")
ROOT = Path(__file__).resolve().parents[2]


async def test_steller_api_alone_serves_requests_that_use_the_database():
    await drop_database(ALONE_DB)
    await apply_migrations(ALONE_DB)
    await close_db()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAMBOO_", "TELEGRAM_"))}
    env.update(DATABASE_URL=ALONE_DB, REDIS_URL=ALONE_REDIS, API_PORT=str(port), LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    base_url = f"http://127.0.0.1:{port}"
    proc = await start_ready("api", env=env, base_url=base_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            signed = await http.post("/v1/signup", json={"company_name": "Alone", "email": "alone@api.example"})
            assert signed.status_code == 201, signed.text
            me = await http.get("/v1/me", headers={"Authorization": f"Bearer {signed.json()['test_key']}"})
            assert me.status_code == 200 and me.json()["name"] == "Alone"
            # Behind a trusted proxy (loopback, the default FORWARDED_ALLOW_IPS) X-Forwarded-For is
            # the client's address, and the allowlist is checked against it.
            key = {"Authorization": f"Bearer {signed.json()['test_key']}"}
            office, elsewhere = {"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "198.51.100.1"}
            put = await http.put("/v1/settings/ip-allowlist", json={"cidrs": ["203.0.113.0/24"]},
                                 headers={**key, **office})
            assert put.status_code == 200, put.text
            assert (await http.get("/v1/me", headers={**key, **office})).status_code == 200
            refused = await http.get("/v1/me", headers={**key, **elsewhere})
            assert (refused.status_code, refused.json()["code"]) == (403, "auth.ip_not_allowed")
            assert (await http.get("/v1/me", headers=key)).status_code == 403  # the proxy itself is not listed
    finally:
        try:
            assert stop(proc, timeout=30) == 0  # a clean stop
        finally:
            await drop_database(ALONE_DB)
