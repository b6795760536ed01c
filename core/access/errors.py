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


class AuthInvalid(PermissionDenied):
    """A malformed, unknown or revoked API key: one answer for all three (nothing to probe)."""

    code = "auth.invalid"


class IpNotAllowed(PermissionDenied):
    """The key is good, but the caller's address is not on its party's allowlist."""

    code = "auth.ip_not_allowed"


class ApiKeyNotFound(NotFound):
    code = "api_key.not_found"


class NotAPartner(PermissionDenied):
    """Only partner parties get API keys; agents and sub-agents use the bot."""

    code = "api_key.not_a_partner"


class TestKeyOnlyTestKeys(PermissionDenied):
    code = "api_key.test_only"


class LastLiveKey(DomainError):
    """Revoking the party's last live key would lock it out of the live API (pass force on purpose)."""

    code = "api_key.last_live_key"
