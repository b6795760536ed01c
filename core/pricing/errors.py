from core.errors import Conflict, DomainError, NotFound, ValidationFailed


class InvalidFaceValue(ValidationFailed):
    code = "order.invalid_face_value"


class InvalidQuantity(ValidationFailed):
    code = "order.invalid_quantity"


class ProductUnavailable(Conflict):
    code = "order.product_unavailable"


class ProductNotFound(NotFound):
    code = "catalog.product_not_found"


class PriceBelowCost(DomainError):
    """The profit guard: the platform would sell below what Bamboo charges."""

    code = "order.price_below_cost"


class NoExchangeRate(DomainError):
    code = "pricing.no_exchange_rate"


class DiscountAboveParent(ValidationFailed):
    code = "pricing.discount_above_parent"


class DiscountBelowChild(ValidationFailed):
    code = "pricing.discount_below_child"


class InvalidDiscount(ValidationFailed):
    code = "pricing.invalid_discount"
