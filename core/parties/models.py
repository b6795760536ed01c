"""Parties (one table, one tree), their members, invites and admins."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PartyKind(StrEnum):
    PARTNER = "partner"
    AGENT = "agent"
    SUBAGENT = "subagent"


class PartyStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class MemberRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    VIEWER = "viewer"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class Party(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(PartyKind, max_length=16)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, null=True, unique=True)
    parent: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "steller.Party", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # 1 = directly under the platform; children are parent.depth + 1 (bounded by MAX_DEPTH).
    depth = fields.SmallIntField(default=1)
    status = fields.CharEnumField(PartyStatus, max_length=16, default=PartyStatus.PENDING)
    # "admin" or "parent" while frozen: a parent may lift only a freeze of its own.
    frozen_by = fields.CharField(max_length=16, null=True)
    currency = fields.CharField(max_length=3, default="USD")
    # Partners: the networks (CIDRs) its API keys may be used from; NULL or empty means any.
    ip_allowlist = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "party"
        indexes = (("parent_id", "status"),)

    def __str__(self) -> str:
        return f"{self.kind} #{self.id} {self.name}"


class Member(Model):
    id = fields.BigIntField(primary_key=True)
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "steller.Party", related_name="members", on_delete=fields.RESTRICT
    )
    # One Telegram user belongs to at most one party.
    telegram_user_id = fields.BigIntField(unique=True)
    role = fields.CharEnumField(MemberRole, max_length=16, default=MemberRole.OWNER)
    status = fields.CharEnumField(MemberStatus, max_length=16, default=MemberStatus.ACTIVE)
    display_name = fields.CharField(max_length=200, default="")
    language = fields.CharField(max_length=8, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member"


class InvitePurpose(StrEnum):
    PARTY = "party"  # the user founds a new child party under the inviter
    MEMBER = "member"  # the user joins the inviter's own party with `member_role`


class Invite(Model):
    id = fields.BigIntField(primary_key=True)
    # Only a hash of the code is kept; the link is shown once, when created.
    code_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the hash (never of the code): tells invites apart in a list.
    code_hint = fields.CharField(max_length=8)
    purpose = fields.CharEnumField(InvitePurpose, max_length=16, default=InvitePurpose.PARTY)
    # Null inviter = an admin invite for a top-level party.
    inviter: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "steller.Party", related_name="invites", null=True, on_delete=fields.RESTRICT
    )
    child_kind = fields.CharEnumField(PartyKind, max_length=16, null=True)  # party invites
    member_role = fields.CharEnumField(MemberRole, max_length=16, null=True)  # member invites
    created_by = fields.CharField(max_length=64)
    max_uses = fields.IntField(default=1)
    uses = fields.IntField(default=0)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite"


class InviteRedemption(Model):
    id = fields.BigIntField(primary_key=True)
    invite: fields.ForeignKeyRelation[Invite] = fields.ForeignKeyField(
        "steller.Invite", related_name="redemptions", on_delete=fields.RESTRICT
    )
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "steller.Party", related_name="redemptions", on_delete=fields.RESTRICT
    )
    telegram_user_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_redemption"


class AdminUser(Model):
    """Admins granted in the database (ADMIN_TELEGRAM_IDS from the environment also count)."""

    telegram_user_id = fields.BigIntField(primary_key=True)
    granted_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_user"
