from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class PartyNotFound(NotFound):
    code = "party.not_found"


class PartyInactive(DomainError):
    code = "party.inactive"


class NotYourChild(PermissionDenied):
    code = "party.not_your_child"


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


class RoleNotAllowed(PermissionDenied):
    code = "member.role_not_allowed"


class InviteInvalid(DomainError):
    code = "invite.invalid"


class InviteExpired(DomainError):
    code = "invite.expired"


class InviteRevoked(DomainError):
    code = "invite.revoked"


class InviteUsedUp(DomainError):
    code = "invite.used_up"


class NotAdmin(PermissionDenied):
    code = "admin.required"
