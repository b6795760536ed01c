"""Structured logging (structlog) with a redaction step so secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# Keys whose values are never logged, whatever the caller passes.
SECRET_KEYS = frozenset(
    {
        "code", "card_code", "cardcode", "pin", "secret", "api_key", "key", "token",
        "password", "authorization", "webhook_secret", "secret_key", "secretkey",
        "client_secret", "invite_code",
    }
)
# Values that look like our own secrets even when logged under an innocent key.
SECRET_PATTERNS = [
    re.compile(r"sk_(live|test)_[A-Za-z0-9]{8,}"),
    re.compile(r"whsec_[A-Za-z0-9]{8,}"),
    re.compile(r"inv_[A-Za-z0-9_-]{12,}"),
    # Telegram bot tokens ("123456789:AA…"), also inside Bot API URLs.
    re.compile(r"(?<![0-9])\d{5,12}:[A-Za-z0-9_-]{30,}"),
]
REDACTED = "[redacted]"


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        for pattern in SECRET_PATTERNS:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_KEYS else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """The same patterns for stdlib log records (aiohttp, httpx, uvicorn, arq log through logging)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact_value(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key.lower() in SECRET_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    # Tortoise logs every connect/shutdown at INFO: noise for operators.
    logging.getLogger("tortoise").setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
