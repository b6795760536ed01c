"""Secrets never reach a log line, whether logged through structlog or the standard library."""

from __future__ import annotations

import io
import logging

from core.logging import REDACTED, RedactingFilter, redact_secrets

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
