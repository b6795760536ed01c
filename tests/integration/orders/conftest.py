from __future__ import annotations

from core.access.actor import Actor
import pytest

from core.catalog import cardlists
from core.db import atomic
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import make_party, make_product
from tests.support.vendor import MAGIC_RANGE_PRODUCT, running_simulator, sim_admin, vendor_client

# The network fixture's catalog says Bamboo sells the magic card at 10 % off face; the settlement
# books what Bamboo really charges, so the simulator is set to charge exactly that.
VENDOR_DISCOUNT_PERCENT = "10"


@pytest.fixture
async def simulator():
    async with running_simulator() as (base_url, app):
        await sim_admin(base_url, f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch",
                        {"discount": VENDOR_DISCOUNT_PERCENT})
        yield base_url, app


@pytest.fixture
async def vendor(simulator):
    client = vendor_client(simulator[0])
    yield client
    await client.aclose()


@pytest.fixture
async def network(db):
    """An agent (5 %) with a sub-agent (3 %), both funded, selling the simulator's magic card."""
    product = await make_product(MAGIC_RANGE_PRODUCT, face=("1", "1000"), vendor_discount="0.10",
                                 brand_name="Magic Test Card")
    agent = await make_party(PartyKind.AGENT, funds=10_000_00, name="Agent")
    sub = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub")
    async with atomic():
        from core.ledger import service as ledger

        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=1_000_00, actor=Actor.admin(label="test"),
                              idempotency_key="seed-sub")
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.AGENT, actor=Actor.admin(label="test"))
        await pricing.set_discount(rate="0.0300", party_kind=PartyKind.SUBAGENT, actor=Actor.admin(label="test"))
        card_list = await cardlists.default_agent_list(actor=Actor.admin(label="test"))
        await cardlists.put_item(card_list=card_list, product_id=product.id, actor=Actor.admin(label="test"),
                                 min_face="1", max_face="1000")
    return {"agent": agent, "sub": sub, "product": product}
