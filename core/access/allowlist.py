"""A partner's IP allowlist: the networks its API keys may be used from (empty: any).

Checked on every authenticated request against the caller's address as the API sees it (the peer,
or the `X-Forwarded-For` of a proxy named in FORWARDED_ALLOW_IPS). A party cannot lock itself out by
accident: a list that leaves out the address asking for it is refused.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from core.access.actor import Actor
from core.access.errors import PartyNotFound
from core.access.policy import Permission, authorize
from core.db import require_transaction
from core.errors import ValidationFailed

MAX_ENTRIES = 100
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidAllowlist(ValidationFailed):
    code = "ip_allowlist.invalid"


class AllowlistExcludesCaller(ValidationFailed):
    code = "ip_allowlist.excludes_you"


@dataclass(frozen=True)
class Allowlist:
    party_id: int
    cidrs: tuple[str, ...]  # normalized ("203.0.113.0/24"); empty: any address


def parse_networks(cidrs: list[str]) -> list[Network]:
    if len(cidrs) > MAX_ENTRIES:
        raise InvalidAllowlist(f"at most {MAX_ENTRIES} entries", count=len(cidrs))
    networks = []
    for entry in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise InvalidAllowlist(f"{entry!r} is not an IP address or CIDR network", entry=str(entry)[:64]) from None
    return networks


def allows(cidrs: list[str] | tuple[str, ...] | None, address: str | None) -> bool:
    """True when the list is empty or holds the address (an IPv4-mapped IPv6 address counts as IPv4)."""
    if not cidrs:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in parse_networks(list(cidrs)))


async def get_allowlist(*, actor: Actor, party_id: int) -> Allowlist:
    from core.parties.models import Party

    await authorize(actor, party_id=party_id, permission=Permission.READ)
    party = await Party.get_or_none(id=party_id)
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return Allowlist(party_id=party_id, cidrs=tuple(party.ip_allowlist or ()))


async def set_allowlist(*, actor: Actor, party_id: int, cidrs: list[str], caller_ip: str | None) -> Allowlist:
    """Replace the list (owner or key). Refuses a list that would shut out `caller_ip`."""
    require_transaction()
    from core.audit import service as audit
    from core.parties.models import Party

    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    normalized = list(dict.fromkeys(str(net) for net in parse_networks(cidrs)))
    if normalized and caller_ip is not None and not allows(normalized, caller_ip):
        raise AllowlistExcludesCaller("this list leaves out the address you are calling from", address=caller_ip)
    party = await Party.filter(id=party_id).select_for_update().first()
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    before = list(party.ip_allowlist or [])
    party.ip_allowlist = normalized or None
    await party.save(update_fields=["ip_allowlist"])
    await audit.record(actor=actor, action="party.ip_allowlist", object_type="party", object_id=party_id,
                       before={"ip_allowlist": before}, after={"ip_allowlist": normalized})
    return Allowlist(party_id=party_id, cidrs=tuple(normalized))
