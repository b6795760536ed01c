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


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LOCALES.glob("*.json")))


def available_languages() -> list[str]:
    return list(_languages())


def pick_language(language_code: str | None) -> str:
    """Telegram's language_code ("ar", "en-GB", "pt_BR") → a language we have, else English."""
    if language_code:
        base = language_code.replace("_", "-").split("-")[0].strip().lower()
        if base in _languages():
            return base
    return DEFAULT_LANGUAGE


def t(key: str, language: str | None = None, /, **params) -> str:
    """The text for `key` in `language` (a stored member language or a raw Telegram code), else English.

    `key` and `language` are positional-only so a message parameter may be named `key` or `language`.
    """
    text = catalog(pick_language(language)).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return text
