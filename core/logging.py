"""Structured logging (structlog) with a redaction step so secrets never reach a log line.

Redaction covers the event, every field, and exception text (rendered before redaction runs), for
structlog and for the standard library's records (aiohttp, httpx, uvicorn and arq log through it).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# Keys whose values are never logged, whatever the caller passes. Compared lower-case without `_`
# and `-`, so `cardCode` (Bamboo's JSON), `card_code` and `card-code` are one key.
SECRET_KEYS = frozenset(
    {
        "cardcode", "pin", "pincode", "serialnumber", "secret", "apikey", "key", "token", "password",
        "authorization", "webhooksecret", "secretkey", "clientsecret", "invitecode", "plaintext",
        "xtelegrambotapisecrettoken",
    }
)
# `code` is mostly a domain error code (`ledger.insufficient_funds`), a Bamboo reason code
# (`ProductIsOutOfStock`) or an HTTP status, all worth logging; anything else under `code` may be a
# card code (upper-case letters and digits, dashes, long digit runs), so only those shapes pass.
CODE_KEYS = frozenset({"code"})
_LOGGABLE_CODE = re.compile(
    r"^(?:[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*)*|(?:[A-Z][a-z]+)+|\d{1,3})$"
)
# Values that look like our own secrets even when logged under an innocent key.
SECRET_PATTERNS = [
    # API keys are sk_live_/sk_test_ + token_urlsafe (letters, digits, "-" and "_"); the 8-character
    # display prefix ("sk_live_ab12cd34", in audit labels) is not a secret and stays readable.
    re.compile(r"sk_(live|test)_[A-Za-z0-9_-]{16,}"),
    re.compile(r"whsec_[A-Za-z0-9]{8,}"),
    re.compile(r"inv_[A-Za-z0-9_-]{12,}"),
    # Telegram bot tokens ("123456789:AA…"), also inside Bot API URLs.
    re.compile(r"(?<![0-9])\d{5,12}:[A-Za-z0-9_-]{30,}"),
]
_TEXT_VALUE = r"""("[^"]*"|'[^']*'|[^\s,;&)}\]'"]+)"""
# Secrets written out as text: JSON and repr() (`'cardCode': 'X'`), kwargs and query strings
# (`pin=1234`), headers (`Authorization: Basic …`). Exception messages are full of these:
# pydantic repeats the input it refused, httpx the URL it called.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9])((?:card[_-]?code|pin(?:[_-]?code)?|serial[_-]?number|client[_-]?secret"
    r"|secret[_-]?key|webhook[_-]?secret|api[_-]?key|password|secret|token)[\"']?\s*[:=]\s*)" + _TEXT_VALUE
)
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:basic|bearer|token)\s+)?[^\s\"',;]+")
_CODE_ASSIGNMENT = re.compile(r"(?i)(?<![A-Za-z0-9_])(code[\"']?\s*[:=]\s*)" + _TEXT_VALUE)
REDACTED = "[redacted]"


def _normal_key(key: object) -> str:
    return str(key).lower().replace("_", "").replace("-", "")


def _loggable_code(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return 0 <= value < 1000
    return isinstance(value, str) and bool(_LOGGABLE_CODE.match(value))


def _redact_code_text(match: re.Match) -> str:
    value = match.group(2).strip("'\"")
    return match.group(0) if _loggable_code(value) else match.group(1) + REDACTED


def redact_text(text: str) -> str:
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED, text)
    return _CODE_ASSIGNMENT.sub(_redact_code_text, text)


def _redact_field(key: object, value: Any) -> Any:
    name = _normal_key(key)
    if name in SECRET_KEYS:
        return REDACTED
    if name in CODE_KEYS and not _loggable_code(value):
        return REDACTED
    return _redact_value(value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_field(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """The same redaction for stdlib log records: the message, the traceback and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatter.format reuses exc_text when it is set: render it here, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        event_dict[key] = _redact_field(key, event_dict[key])
    return event_dict


LOG_FORMATS = ("json", "console")
# The handler this module puts on the root logger (replaced, never stacked, on a second configure).
_HANDLER_NAME = "steller"


def default_log_format(settings: Any) -> str:
    """LOG_FORMAT when it is set; otherwise human-readable in development, JSON elsewhere (test, production)."""
    if "log_format" in getattr(settings, "model_fields_set", ()):
        return settings.log_format
    return "console" if getattr(settings, "environment", "production") == "development" else "json"


def _colors_for(stream: Any) -> bool:
    """Colours only for a person at a terminal (and never with NO_COLOR set)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


def _renderer(fmt: str, stream: Any = None) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=_colors_for(stream if stream is not None else sys.stderr))


def _shared_processors() -> list[Any]:
    """Every line, structlog's or the standard library's: context, level, time, text tracebacks, redaction."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks become text first, so the redaction below sees them too.
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]


def build_processors(fmt: str = "json", *, stream: Any = None) -> list[Any]:
    return [*_shared_processors(), _renderer(fmt, stream)]


def _add_record_name(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    record = event_dict.get("_record")
    if record is not None:
        event_dict["logger"] = record.name
    return event_dict


def stdlib_formatter(fmt: str = "json", *, stream: Any = None) -> logging.Formatter:
    """Standard-library records (arq, uvicorn, httpx, aiogram, tortoise) rendered like structlog's own lines."""
    pre_chain = [_add_record_name, *_shared_processors()]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(fmt, stream)],
    )


def configure_logging(*, level: str = "INFO", fmt: str | None = None, stream: Any = None) -> None:
    """structlog lines and standard-library records alike: one format (`fmt`, default from the
    settings: see `default_log_format`), one redaction, one stream (stderr)."""
    if fmt is None:
        from core.config import get_settings

        fmt = default_log_format(get_settings())
    if fmt not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    stream = stream if stream is not None else sys.stderr
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=build_processors(fmt, stream=stream),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(stdlib_formatter(fmt, stream=stream))
    root.addHandler(handler)
    root.setLevel(numeric)
    for other in root.handlers:
        # Handlers someone else added (none in our processes) still never see a secret.
        if other is not handler and not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(RedactingFilter())
    # Libraries that bring their own handlers (uvicorn's default config) log through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker", "arq.jobs"):
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    # Tortoise logs every connect/shutdown at INFO: noise for operators.
    logging.getLogger("tortoise").setLevel(max(logging.WARNING, numeric))
    # httpx logs every request at INFO; the Bamboo client and webhook delivery log their own, with
    # what matters (endpoint, status, latency) and without the URL's ids.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, numeric))


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
