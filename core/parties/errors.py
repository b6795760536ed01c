"""Refusals about parties, members and invites (access refusals are re-exported from core.access)."""

from core.access.errors import NotAdmin, NotYourChild, PartyInactive, PartyNotFound, RoleNotAllowed  # noqa: F401
from core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed


class DepthExceeded(ValidationFailed):
    code = "party.max_depth"


class InvalidTransition(Conflict):
    code = "party.invalid_transition"


class InvalidKind(ValidationFailed):
    code = "party.invalid_kind"


class EmailTaken(Conflict):
    code = "party.email_taken"


class AlreadyMember(Conflict):
    code = "member.already_member"


class NotAMember(PermissionDenied):
    code = "member.not_a_member"


class InviteInvalid(DomainError):
    code = "invite.invalid"


class InviteExpired(DomainError):
    code = "invite.expired"


class InviteRevoked(DomainError):
    code = "invite.revoked"


class InviteUsedUp(DomainError):
    code = "invite.used_up"


class CurrencyNotParents(ValidationFailed):
    code = "party.currency_mismatch"


class FrozenByAdmin(PermissionDenied):
    code = "party.frozen_by_admin"


class LastOwner(Conflict):
    code = "member.last_owner"
