"""Refusals of the access rules. `core.parties.errors` re-exports them under the same names."""

from core.errors import DomainError, NotFound, PermissionDenied


class AccessDenied(PermissionDenied):
    """One answer for "no such party" and "not yours": nobody can probe for other parties."""

    code = "access.denied"


class NotAdmin(PermissionDenied):
    code = "admin.required"


class RoleNotAllowed(PermissionDenied):
    code = "member.role_not_allowed"


class PartyInactive(DomainError):
    code = "party.inactive"


class PartyNotFound(NotFound):
    code = "party.not_found"


class NotYourChild(PermissionDenied):
    code = "party.not_your_child"
