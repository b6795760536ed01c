"""Every message the core and jobs send exists in every locale, with the same placeholders."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

from core.ledger.events import CREDIT_MESSAGES
from core.orders.models import TERMINAL_STATUSES

LOCALES = Path(__file__).resolve().parents[3] / "bot" / "locales"
SOURCES = [Path(__file__).resolve().parents[3] / d for d in ("core", "jobs")]


def catalogs() -> dict[str, dict[str, str]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(LOCALES.glob("*.json"))}


def keys_sent_by_the_core() -> set[str]:
    keys = {f"order.{s.value}" for s in TERMINAL_STATUSES} | set(CREDIT_MESSAGES.values()) | {"wallet.low_balance"}
    for root in SOURCES:  # literal keys: message_key="…" and the admin alerts' "admin.…" keys
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            keys |= set(re.findall(r'message_key="([a-z_.]+)"', text))
            keys |= set(re.findall(r'"(admin\.[a-z_.]+)",\s*\{', text))  # key, then its params
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_the_core_sends_is_translated_everywhere():
    keys = keys_sent_by_the_core()
    assert {"engagement.nudge", "admin.invariant_violations", "admin.vendor_balance_low"} <= keys
    for language, catalog in catalogs().items():
        missing = sorted(keys - catalog.keys())
        assert not missing, f"{language} lacks {missing}"


def test_locales_have_the_same_keys_and_placeholders():
    all_catalogs = catalogs()
    assert {"en", "ar"} <= all_catalogs.keys()
    english = all_catalogs["en"]
    for language, catalog in all_catalogs.items():
        assert catalog.keys() == english.keys(), language
        for key, text in catalog.items():
            assert placeholders(text) == placeholders(english[key]), (language, key)
