"""`GET /v1/me`: the calling party."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import current_actor
from api.v1.common import problem_responses
from core.access.actor import Actor
from core.parties.models import Party

router = APIRouter(prefix="/v1", tags=["account"])


class Me(BaseModel):
    id: int = Field(examples=[42])
    name: str = Field(examples=["Acme Gifts"])
    kind: str = Field(examples=["partner"])
    status: str = Field(examples=["active"])
    livemode: bool = Field(description="false for a sk_test_ key: it sees the sandbox only", examples=[True])
    currency: str = Field(examples=["USD"])


@router.get("/me", response_model=Me, summary="The calling party", responses=problem_responses())
async def me(actor: Actor = Depends(current_actor)) -> Me:
    party = await Party.get(id=actor.party_id)
    return Me(id=party.id, name=party.name, kind=str(party.kind), status=str(party.status),
              livemode=actor.livemode, currency=party.currency)
