import pytest
from core.db import atomic
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party
pytestmark = pytest.mark.usefixtures("db")

async def test_show(harness):
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=7001)
        await parties.apply_as_agent(telegram_user_id=555, display_name="Applicant")
    a = await make_party(PartyKind.AGENT, name="Top Agent", funds=40_00)
    s = await make_party(PartyKind.SUBAGENT, parent=a, name="Sub")
    await make_member(a, telegram_user_id=7101)
    for lang in ("en", "ar"):
        for cmd in ("/admin", f"/party {s.id}", "/tree", "/pending", f"/credit {a.id} 10 R-1", f"/adjust {a.id} -5 fix", f"/creditlimit {a.id} 100", f"/freeze {a.id}", "/payout", "/agent_invite partner 3"):
            await harness.send(7001, cmd, language_code=lang)
            print("=====", lang, cmd); print(harness.last_text(7001)); print(harness.buttons(7001))
