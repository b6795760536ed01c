from core.errors import Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    code = "not_found"


class OrderInsufficientFunds(DomainError):
    code = "order.insufficient_funds"


class PriceChanged(Conflict):
    code = "order.price_changed"


class ReferenceConflict(Conflict):
    code = "order.reference_conflict"


class OrderNotCompleted(Conflict):
    code = "order.not_completed"


class InvalidOrderTransition(Conflict):
    code = "order.invalid_transition"
