"""Secrets never reach a log line, whether logged through structlog or the standard library."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from core.logging import (
    REDACTED,
    RedactingFilter,
    configure_logging,
    default_log_format,
    redact_secrets,
)

BOT_TOKEN = "7012345678:AAHk3_s9dQmZx8wYbV-1tR5uP0oLnKjIhGf"


def test_structlog_events_lose_secret_keys_and_secret_looking_values():
    event = redact_secrets(None, "info", {
        "event": f"GET https://api.telegram.org/bot{BOT_TOKEN}/getMe", "pin": "1234",
        "nested": {"card_code": "ABCD-EFGH", "note": "key sk_live_abcdefgh12345678 used"},
        "items": ["whsec_abcdefgh12345678", "fine"], "order_id": "o-1",
    })
    assert BOT_TOKEN not in event["event"] and REDACTED in event["event"]
    assert event["pin"] == REDACTED and event["nested"]["card_code"] == REDACTED
    assert "sk_live_" not in event["nested"]["note"]
    assert event["items"] == [REDACTED, "fine"] and event["order_id"] == "o-1"


def test_stdlib_records_are_redacted_by_the_filter():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("HTTP Request: POST %s", f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage")
        logger.info("plain %s", "message")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert BOT_TOKEN not in stream.getvalue()
    assert lines == [f"HTTP Request: POST https://api.telegram.org/bot{REDACTED}/sendMessage", "plain message"]


CARD_CODE = "X7QK-2M9P-ZT4R-8WLD"
PIN = "904417"


def _rendered(fmt: str, event: dict) -> str:
    from core.logging import build_processors

    result: object = event
    for processor in build_processors(fmt):
        result = processor(None, "error", result)
    return str(result)


def _fail_with_card_in_the_message() -> None:
    raise ValueError(f"cannot read card {{'cardCode': '{CARD_CODE}', 'pin': '{PIN}', 'status': 'Sold'}}")


def test_structlog_exception_text_is_redacted_in_both_formats():
    for fmt in ("json", "console"):
        try:
            _fail_with_card_in_the_message()
        except ValueError:
            line = _rendered(fmt, {"event": "card_read_failed", "exc_info": True, "order_id": "o-1"})
        assert CARD_CODE not in line and PIN not in line, fmt
        # The traceback itself is still there: only the secrets went.
        assert "ValueError" in line and "_fail_with_card_in_the_message" in line and "'Sold'" in line


def test_stdlib_tracebacks_are_redacted_by_the_filter():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction.exc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        try:
            _fail_with_card_in_the_message()
        except ValueError:
            logger.exception("while reading %s", f"https://api.telegram.org/bot{BOT_TOKEN}/x")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert CARD_CODE not in text and PIN not in text and BOT_TOKEN not in text
    assert "Traceback" in text and "ValueError: cannot read card" in text


def test_domain_error_codes_are_logged_but_card_codes_under_code_are_not():
    event = redact_secrets(None, "info", {
        "event": "order_refused", "code": "ledger.insufficient_funds",
        "vendor": {"code": "ProductIsOutOfStock"}, "http": {"code": 404},
        "card": {"code": CARD_CODE}, "other": [{"code": "12345678901234"}],
    })
    assert event["code"] == "ledger.insufficient_funds"
    assert event["vendor"]["code"] == "ProductIsOutOfStock" and event["http"]["code"] == 404
    assert event["card"]["code"] == REDACTED and event["other"][0]["code"] == REDACTED


def test_card_secrets_are_redacted_under_any_spelling_of_their_keys():
    event = redact_secrets(None, "info", {
        "event": "x", "cardCode": CARD_CODE, "Card-Code": CARD_CODE, "PIN": PIN, "pinCode": PIN,
        "serialNumber": "SN-1", "bamboo": {"cards": [{"cardCode": CARD_CODE, "pin": PIN, "status": "Sold"}]},
    })
    dumped = repr(event)
    assert CARD_CODE not in dumped and PIN not in dumped and "SN-1" not in dumped
    assert event["bamboo"]["cards"][0]["status"] == "Sold"


@pytest.mark.parametrize("text", [
    f'{{"cardCode": "{CARD_CODE}", "pin": "{PIN}"}}',  # JSON
    f"{{'card_code': '{CARD_CODE}', 'Pin': '{PIN}'}}",  # repr of a dict
    f"Card(code='{CARD_CODE}', pin='{PIN}')",  # repr of an object
    f"GET /redeem?code={CARD_CODE}&pin={PIN}",  # query string
    f"cardCode={CARD_CODE} pin={PIN}",  # kwargs
])
def test_card_secrets_written_out_as_text_are_redacted(text):
    redacted = redact_secrets(None, "info", {"event": text})["event"]
    assert CARD_CODE not in redacted and PIN not in redacted and REDACTED in redacted


def test_authorization_headers_in_text_are_redacted():
    text = "headers {'Authorization': 'Basic c2ltLWNsaWVudDpzaW0tc2VjcmV0', 'Accept': 'application/json'}"
    redacted = redact_secrets(None, "info", {"event": text})["event"]
    assert "c2ltLWNsaWVudDpzaW0tc2VjcmV0" not in redacted and "application/json" in redacted


def test_text_mentioning_codes_of_errors_keeps_them():
    text = "refused: DomainError(code='order.invalid_face_value', message='1000 USD is outside 5-500') code=429"
    assert redact_secrets(None, "info", {"event": text})["event"] == text


# --- Formats: console for people, JSON for machines; the standard library's lines alike -------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging():
    """configure_logging changes process-wide state: put it back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
                 for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker", "arq.jobs")}
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (saved, propagate) in libraries.items():
        logging.getLogger(name).handlers[:] = saved
        logging.getLogger(name).propagate = propagate
    structlog.configure(**config)


def _settings(monkeypatch, **env):
    from core.config import Settings

    for name in ("STELLER_ENV", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_the_default_format_is_console_in_development_and_json_elsewhere(monkeypatch):
    assert default_log_format(_settings(monkeypatch, STELLER_ENV="development")) == "console"
    assert default_log_format(_settings(monkeypatch, STELLER_ENV="test")) == "json"
    assert default_log_format(_settings(monkeypatch, STELLER_ENV="development", LOG_FORMAT="json")) == "json"
    assert default_log_format(_settings(monkeypatch, STELLER_ENV="test", LOG_FORMAT="console")) == "console"


def test_json_lines_from_structlog_arq_and_uvicorn_share_one_format_and_redaction(restore_logging):
    # uvicorn's default config gives its loggers handlers of their own and no propagation.
    stray = logging.StreamHandler(io.StringIO())
    logging.getLogger("uvicorn.error").addHandler(stray)
    logging.getLogger("uvicorn.error").propagate = False
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=stream)

    structlog.get_logger("jobs.worker").info("worker_started", order_id="o-1")
    logging.getLogger("arq.worker").info("Starting worker for %d functions: %s", 3, "place_order")
    logging.getLogger("arq.jobs").info("job %s args pin=%s", "place_order:1", PIN)
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    try:
        _fail_with_card_in_the_message()
    except ValueError:
        logging.getLogger("arq.worker").exception("job place_order:1 failed")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines[:2]] == ["worker_started", "Starting worker for 3 functions: place_order"]
    for line in lines:
        assert {"event", "level", "timestamp"} <= line.keys(), line
    assert lines[1]["logger"] == "arq.worker" and lines[1]["level"] == "info"
    assert lines[3] == {**lines[3], "logger": "uvicorn.error", "level": "warning"}
    assert PIN not in stream.getvalue() and CARD_CODE not in stream.getvalue()
    assert "pin=[redacted]" in lines[2]["event"]
    assert "ValueError" in lines[4]["exception"] and lines[4]["level"] == "error"
    assert stray.stream.getvalue() == ""  # nothing went around our formatter


def test_console_lines_are_plain_off_a_terminal_and_coloured_on_one(restore_logging, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain = io.StringIO()
    configure_logging(level="INFO", fmt="console", stream=plain)
    structlog.get_logger().info("order_settled", order_id="o-1")
    logging.getLogger("arq.worker").info("  0.45s → place_order:o-1")
    text = plain.getvalue()
    assert "\x1b[" not in text
    assert "order_settled" in text and "order_id=o-1" in text
    assert "place_order:o-1" in text and "[arq.worker]" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])

    terminal = _Terminal()
    configure_logging(level="INFO", fmt="console", stream=terminal)
    structlog.get_logger().info("order_settled", order_id="o-1")
    logging.getLogger("arq.worker").info("  0.45s → place_order:o-1")
    assert terminal.getvalue().count("\x1b[") >= 2 and len(terminal.getvalue().splitlines()) == 2

    monkeypatch.setenv("NO_COLOR", "1")
    quiet = _Terminal()
    configure_logging(level="INFO", fmt="console", stream=quiet)
    structlog.get_logger().info("order_settled")
    assert "\x1b[" not in quiet.getvalue()


def test_configuring_twice_keeps_one_handler_and_the_level_filters_library_lines(restore_logging):
    first, second = io.StringIO(), io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=first)
    configure_logging(level="WARNING", fmt="json", stream=second)
    logging.getLogger("arq.worker").info("not shown")
    logging.getLogger("arq.worker").warning("shown")
    assert first.getvalue() == ""
    assert [json.loads(line)["event"] for line in second.getvalue().splitlines()] == ["shown"]
    with pytest.raises(ValueError):
        configure_logging(fmt="xml", stream=second)
