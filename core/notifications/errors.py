from core.errors import NotFound, ValidationFailed


class InvalidWebhookUrl(ValidationFailed):
    code = "webhook.invalid_url"


class UnknownEventType(ValidationFailed):
    code = "webhook.unknown_event"


class WebhookNotConfigured(NotFound):
    code = "webhook.not_configured"


class DeliveryNotFound(NotFound):
    code = "not_found"
