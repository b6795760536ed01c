"""Texts live in translation files (bot/locales/<lang>.json), never in handlers."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=8)
def catalog(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def available_languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.json"))


def pick_language(language_code: str | None) -> str:
    """Telegram's language_code ("ar", "en-GB") → a language we have, else English."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in available_languages():
            return base
    return DEFAULT_LANGUAGE


def t(key: str, language: str | None = None, **params) -> str:
    text = catalog(language or DEFAULT_LANGUAGE).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
