from core.errors import Conflict, DomainError, NotFound, ValidationFailed


class InsufficientFunds(DomainError):
    code = "ledger.insufficient_funds"


class InvalidAmount(ValidationFailed):
    code = "ledger.invalid_amount"


class CurrencyMismatch(ValidationFailed):
    code = "ledger.currency_mismatch"


class IdempotencyMismatch(Conflict):
    code = "idempotency.mismatch"


class AccountNotFound(NotFound):
    code = "ledger.account_not_found"


class HoldNotFound(NotFound):
    code = "ledger.hold_not_found"


class HoldAlreadySettled(Conflict):
    code = "ledger.hold_settled"


class MoneyMovementRefused(DomainError):
    """The party's status does not allow money to move (frozen, pending, closed)."""

    code = "party.inactive"
