"""`/v1/settings/ip-allowlist`: the networks the party's API keys may be used from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import current_actor
from api.v1.common import problem_responses
from core.access import allowlist
from core.access.actor import Actor
from core.db import atomic

router = APIRouter(prefix="/v1", tags=["settings"])


class IpAllowlist(BaseModel):
    cidrs: list[str] = Field(max_length=allowlist.MAX_ENTRIES,
                             description="IPv4/IPv6 addresses or CIDR networks; empty: any address",
                             examples=[["203.0.113.0/24", "2001:db8::/32"]])


@router.get("/settings/ip-allowlist", response_model=IpAllowlist, summary="Your IP allowlist",
            responses=problem_responses((403, "auth.ip_not_allowed")))
async def get_ip_allowlist(actor: Actor = Depends(current_actor)) -> IpAllowlist:
    current = await allowlist.get_allowlist(actor=actor, party_id=actor.party_id)
    return IpAllowlist(cidrs=list(current.cidrs))


@router.put("/settings/ip-allowlist", response_model=IpAllowlist, summary="Replace your IP allowlist",
            description="Every API key of your party (live and test) then works only from these networks. "
                        "A list that leaves out the address you call from is refused, so you cannot lock "
                        "yourself out; an empty list allows any address.",
            responses=problem_responses((403, "auth.ip_not_allowed"), (422, "ip_allowlist.invalid"),
                                        (422, "ip_allowlist.excludes_you")))
async def put_ip_allowlist(body: IpAllowlist, request: Request, actor: Actor = Depends(current_actor)) -> IpAllowlist:
    caller = request.client.host if request.client else None
    async with atomic():
        saved = await allowlist.set_allowlist(actor=actor, party_id=actor.party_id, cidrs=body.cidrs, caller_ip=caller)
    return IpAllowlist(cidrs=list(saved.cidrs))
