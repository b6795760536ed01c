"""The OpenAPI document is a usable reference, and a client generated from it works."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.db import atomic
from tests.factories import ADMIN, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")


@pytest.fixture
async def app():
    application = create_app(manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


async def test_every_operation_has_a_summary_its_errors_as_problems_and_its_security(app):
    spec = app.openapi()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    operations = list(_operations(spec))
    assert len(operations) >= 14
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("operationId") and "_v1_" not in operation["operationId"], where
        errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
        assert errors, f"{where} documents no error response"
        for status, response in errors.items():
            assert "application/problem+json" in response.get("content", {}), f"{where} {status}"
        if path == "/v1/signup":
            assert operation.get("security") == [], where
        else:
            assert operation.get("security"), f"{where} has no security scheme"
            assert "401" in errors and "429" in errors, where
        ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        if ok.get("content"):
            schema = next(iter(ok["content"].values()))["schema"]
            assert schema, where
    # Request bodies and response models carry examples.
    schemas = spec["components"]["schemas"]
    for name in ("SignupRequest", "NewOrder", "Order", "Wallet", "Money"):
        matches = [s for key, s in schemas.items() if key == name or key.startswith(name + "-")]
        assert matches, f"no schema {name}: {sorted(schemas)}"
        text = json.dumps(matches[0])
        assert "example" in text, f"{name} has no example"


async def test_a_generated_client_is_made_without_warnings_and_works(app, tmp_path):
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(app.openapi()))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run([str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec_file),
                                "--output-path", str(tmp_path / "client")],
                               capture_output=True, text=True, env=env, timeout=300)
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output

    sys.path.insert(0, str(tmp_path / "client"))
    try:
        package = "steller_partner_api_client"
        client_mod = importlib.import_module(f"{package}.client")
        signup_api = importlib.import_module(f"{package}.api.signup.signup")
        wallet_api = importlib.import_module(f"{package}.api.wallet.get_wallet")
        order_api = importlib.import_module(f"{package}.api.orders.create_order")
        models = importlib.import_module(f"{package}.models")

        await make_product(900_001, face=("1", "1000"), vendor_discount="0.10")
        async with atomic():
            await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=ADMIN)
        transport = httpx.ASGITransport(app=app)
        anonymous = client_mod.Client(base_url="http://api", httpx_args={"transport": transport})
        signed = await signup_api.asyncio(client=anonymous, body=models.SignupRequest(
            company_name="Generated Ltd", email="gen@client.example"))
        assert signed.status == "pending" and signed.test_key.startswith("sk_test_")

        client = client_mod.AuthenticatedClient(base_url="http://api", token=signed.test_key,
                                                httpx_args={"transport": transport})
        wallet = await wallet_api.asyncio(client=client)
        assert (wallet.available.amount, wallet.livemode) == ("1000.00", False)
        placed = await order_api.asyncio_detailed(client=client, idempotency_key="gen-1", body=models.NewOrder(
            product_id=900_001, face_value="10.00", quantity=1))
        assert placed.status_code == 202, placed.content
        assert placed.parsed.status == "pending" and placed.parsed.total.amount == "9.50"
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [m for m in sys.modules if m.startswith("steller_partner_api_client")]:
            del sys.modules[name]
