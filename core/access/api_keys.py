"""Partner API keys: create (shown once), authenticate, list, revoke.

A key is `sk_live_…` or `sk_test_…` followed by `secrets.token_urlsafe(32)` (256 random bits, letters,
digits, "-" and "_"). Only `core.crypto.api_key_hash` of it is stored, plus the first 8 characters of
the random part for display. Lookups try the hash under every configured key
(`api_key_hash_candidates`), so rotating STELLER_API_KEY_HASH_KEYS keeps old keys working.

Rules (API.md):
- admins create keys for any partner; a key acts for its own party as its owner (MANAGE), and a test
  key creates only test keys; only partner parties get keys (agents and sub-agents use the bot);
- live keys only for an active party; a pending partner gets test keys (signup gives test keys
  before approval). `authenticate` follows the same line: a test key works while its party is
  pending or active, a live key only while it is active; anything else is `party.inactive`;
- a malformed, unknown or revoked key is `auth.invalid`, all alike;
- a party keeps at least one live key unless it revokes the last one on purpose (`force`);
- `last_used_at` is not written per request: `authenticate` notes the key in memory and
  `flush_last_used()` (called periodically by the API) writes every noted key in one UPDATE.

Every change is audited in the caller's transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from core.access.actor import Actor, ActorKind
from core.access.errors import (
    AccessDenied,
    ApiKeyNotFound,
    AuthInvalid,
    IpNotAllowed,
    LastLiveKey,
    NotAPartner,
    PartyInactive,
    PartyNotFound,
    TestKeyOnlyTestKeys,
)
from core.access.models import ApiKey, ApiKeyMode
from core.access.policy import Permission, authorize, is_privileged
from core.db import require_transaction
from core.errors import Conflict

RANDOM_BYTES = 32  # 256 bits
PREFIX_LENGTH = 8
# token_urlsafe(32) gives 43 characters; accept 32+ so the format may grow.
KEY_PATTERN = re.compile(r"^sk_(live|test)_([A-Za-z0-9_-]{32,128})$")


class LastLiveKeyConflict(LastLiveKey, Conflict):
    """`LastLiveKey` as the conflict it is (409 in the API); same code, same class for callers."""


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once, never stored

    @property
    def view(self) -> KeyView:
        return _view(self.key)


def new_secret(livemode: bool) -> str:
    return f"sk_{'live' if livemode else 'test'}_{secrets.token_urlsafe(RANDOM_BYTES)}"


def _mode(livemode: bool) -> ApiKeyMode:
    return ApiKeyMode.LIVE if livemode else ApiKeyMode.TEST


async def _party(party_id: int, *, lock: bool = False):
    from core.parties.models import Party

    query = Party.filter(id=party_id)
    if lock:
        query = query.select_for_update()
    return await query.first()


async def create_key(*, actor: Actor, party_id: int, livemode: bool, name: str | None = None) -> CreatedKey:
    """A new key for `party_id`; the secret is in the result only (show it once)."""
    require_transaction()
    from core.audit import service as audit
    from core.parties.models import PartyKind, PartyStatus

    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    if actor.kind == ActorKind.API_KEY and not actor.livemode and livemode:
        raise TestKeyOnlyTestKeys("a test key can create only test keys")
    party = await _party(party_id, lock=True)
    if party is None:
        raise PartyNotFound(f"no party {party_id}") if is_privileged(actor) else AccessDenied("that party is not yours")
    if party.kind != PartyKind.PARTNER:
        raise NotAPartner("only partner parties get API keys (agents and sub-agents use the bot)")
    allowed = (PartyStatus.ACTIVE,) if livemode else (PartyStatus.ACTIVE, PartyStatus.PENDING)
    if party.status not in allowed:
        raise PartyInactive(
            "live keys need an active party" if livemode and party.status == PartyStatus.PENDING
            else "the party is not active", party_id=party_id)
    name = (name or "").strip()[:100] or None
    secret = new_secret(livemode)
    from core.crypto import api_key_hash

    key = await ApiKey.create(party_id=party_id, mode=_mode(livemode), name=name,
                              prefix=secret.split("_", 2)[2][:PREFIX_LENGTH], key_hash=api_key_hash(secret),
                              created_by=actor.label[:64])
    await audit.record(actor=actor, action="api_key.create", object_type="api_key", object_id=key.id,
                       after={"party_id": party_id, "mode": str(key.mode), "name": name,
                              "prefix": key.display_prefix})
    if not livemode:  # a test key acts on the sandbox book: open (and fund) it with the first one
        from core.ledger.sandbox import open_sandbox

        await open_sandbox(party_id=party_id, currency=party.currency)
    return CreatedKey(key=key, secret=secret)


# --- Authentication and the batched last-used time ---------------------------------------------

_used: dict[int, datetime] = {}


def note_used(key_id: int, at: datetime | None = None) -> None:
    """Remember that `key_id` was used (no write): `flush_last_used` writes it later."""
    at = at or datetime.now(UTC)
    if key_id not in _used or _used[key_id] < at:
        _used[key_id] = at


def pending_last_used() -> dict[int, datetime]:
    return dict(_used)


async def flush_last_used() -> int:
    """Write every noted use in one UPDATE (`last_used_at` only moves forward). Returns the number
    of keys noted. On a failure the notes are kept for the next flush."""
    if not _used:
        return 0
    from tortoise.connection import get_connection

    batch = dict(_used)
    ids = list(batch)
    times = [batch[i] for i in ids]
    await get_connection("default").execute_query(
        "UPDATE api_key AS k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at) "
        "FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at) WHERE k.id = u.id",
        [ids, times],
    )
    for key_id, at in batch.items():
        if _used.get(key_id) == at:
            del _used[key_id]
    return len(batch)


async def authenticate(*, secret: str, request_id: str | None = None, client_ip: str | None = None) -> Actor:
    """The actor for an API key, or `auth.invalid` / `party.inactive` / `auth.ip_not_allowed` (the
    party has an allowlist without `client_ip`). Notes the use (batched)."""
    from core.crypto import api_key_hash_candidates
    from core.parties.models import PartyStatus

    match = KEY_PATTERN.match(secret or "") if isinstance(secret, str) else None
    if match is None:
        raise AuthInvalid("invalid API key")
    # The key and its party in one round trip: this runs before every partner request.
    key = await ApiKey.filter(key_hash__in=api_key_hash_candidates(secret)).select_related("party").first()
    if key is None or key.revoked_at is not None or str(key.mode) != match.group(1):
        raise AuthInvalid("invalid API key")
    party = key.party
    allowed = (PartyStatus.ACTIVE,) if key.livemode else (PartyStatus.ACTIVE, PartyStatus.PENDING)
    if party is None or party.status not in allowed:
        raise PartyInactive("your party is not active", party_id=key.party_id)
    from core.access.allowlist import allows

    if not allows(party.ip_allowlist, client_ip):
        raise IpNotAllowed("this address may not use this key (see your IP allowlist)")
    note_used(key.id)
    return Actor.api_key(key_id=key.id, party_id=key.party_id, prefix=key.display_prefix, livemode=key.livemode,
                         request_id=request_id)


# --- Listing and revoking ----------------------------------------------------------------------

@dataclass(frozen=True)
class KeyView:
    id: int
    party_id: int
    prefix: str  # the first 8 characters of the random part ("ab12cd34")
    display: str  # what to show: "sk_live_ab12cd34"
    name: str | None
    mode: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def _view(key: ApiKey) -> KeyView:
    # A use noted in this process but not flushed yet is already true: show it.
    noted = _used.get(key.id)
    last_used = key.last_used_at if noted is None or (key.last_used_at and key.last_used_at >= noted) else noted
    return KeyView(id=key.id, party_id=key.party_id, prefix=key.prefix, display=key.display_prefix, name=key.name, mode=str(key.mode),
                   created_at=key.created_at, created_by=key.created_by, last_used_at=last_used,
                   revoked_at=key.revoked_at)


async def list_keys(*, actor: Actor, party_id: int) -> list[KeyView]:
    """The party's keys, newest first (never the hash). A test key sees only test keys."""
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    query = ApiKey.filter(party_id=party_id)
    if actor.kind == ActorKind.API_KEY and not actor.livemode:
        query = query.filter(mode=ApiKeyMode.TEST)
    return [_view(k) for k in await query.order_by("-id")]


async def revoke_key(*, actor: Actor, key_id: int, force: bool = False) -> KeyView:
    """Revoke at once (the next `authenticate` refuses it). Idempotent: revoking a revoked key changes
    nothing. The party's last live key needs `force`."""
    require_transaction()
    from core.audit import service as audit

    found = await ApiKey.filter(id=key_id).values("party_id")
    if not found:
        if is_privileged(actor):
            raise ApiKeyNotFound(f"no API key {key_id}")
        raise AccessDenied("that key is not yours")
    party_id = found[0]["party_id"]
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    if actor.kind == ActorKind.API_KEY and not actor.livemode:
        mode = await ApiKey.filter(id=key_id).values_list("mode", flat=True)
        if mode and str(mode[0]) == ApiKeyMode.LIVE:
            raise TestKeyOnlyTestKeys("a test key can revoke only test keys")
    await _party(party_id, lock=True)  # one revoke at a time per party: the last-live-key rule holds
    key = await ApiKey.filter(id=key_id).select_for_update().first()
    if key.revoked_at is not None:
        return _view(key)
    if key.mode == ApiKeyMode.LIVE and not force:
        others = await ApiKey.filter(party_id=party_id, mode=ApiKeyMode.LIVE, revoked_at__isnull=True).exclude(
            id=key.id).count()
        if others == 0:
            raise LastLiveKeyConflict("this is the party's last live key: revoke it with force if you mean it")
    key.revoked_at = datetime.now(UTC)
    key.revoked_by = actor.label[:64]
    await key.save(update_fields=["revoked_at", "revoked_by"])
    _used.pop(key.id, None)
    await audit.record(actor=actor, action="api_key.revoke", object_type="api_key", object_id=key.id,
                       before={"revoked": False}, after={"revoked": True, "force": force, "party_id": party_id,
                                                         "prefix": key.display_prefix})
    return _view(key)


async def revoke_party_key(*, actor: Actor, party_id: int, key_id: int, force: bool = False) -> KeyView:
    """`revoke_key` for a caller that names its party (the partner API): a key id that is not one of
    `party_id`'s keys is `api_key.not_found`, whether it does not exist or belongs to someone else."""
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    if not await ApiKey.filter(id=key_id, party_id=party_id).exists():
        raise ApiKeyNotFound(f"no API key {key_id}")
    return await revoke_key(actor=actor, key_id=key_id, force=force)
