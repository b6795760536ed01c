"""Texts live in Fluent files (bot/locales/<lang>/*.ftl), never in handlers.

Fluent gives every language its own plural forms (Arabic has six: zero, one, two, few, many, other)
and lets a translation choose words by a number (`{ $count -> [one] … *[other] … }`); handlers pass
values (`count`, `amount`), never pre-built sentences. Money and numbers are formatted per language
here, in one place, with Babel.

The core names messages with dotted keys ("wallet.credited.topup"); Fluent ids cannot hold dots, so
a key's dots become dashes ("wallet-credited-topup").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel.numbers import format_decimal
from fluent.runtime import FluentBundle, FluentResource

from core.money import exponent, from_minor

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


def message_id(key: str) -> str:
    return key.replace(".", "-")


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in LOCALES.iterdir() if p.is_dir() and any(p.glob("*.ftl"))))


def available_languages() -> list[str]:
    return list(_languages())


def pick_language(language_code: str | None) -> str:
    """Telegram's language_code ("ar", "en-GB", "pt_BR") → a language we have, else English."""
    if language_code:
        base = language_code.replace("_", "-").split("-")[0].strip().lower()
        if base in _languages():
            return base
    return DEFAULT_LANGUAGE


def is_rtl(language: str) -> bool:
    return pick_language(language) in RTL_LANGUAGES


@lru_cache(maxsize=16)
def bundle(language: str) -> FluentBundle:
    # Isolation marks keep a Latin name or a number from reordering an Arabic sentence around it.
    fluent = FluentBundle([language], use_isolating=language in RTL_LANGUAGES)
    for path in sorted((LOCALES / language).glob("*.ftl")):
        fluent.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return fluent


def has_message(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return bundle(pick_language(language)).has_message(message_id(key))


def t(key: str, language: str | None = None, /, **params) -> str:
    """The text for `key` in `language` (a stored member language or a raw Telegram code), else English.

    `key` and `language` are positional-only so a message parameter may be named `key` or `language`.
    """
    lang = pick_language(language)
    ident = message_id(key)
    for candidate in (lang, DEFAULT_LANGUAGE):
        fluent = bundle(candidate)
        if fluent.has_message(ident):
            message = fluent.get_message(ident)
            if message.value is None:
                break
            text, _errors = fluent.format_pattern(message.value, _fluent_params(params, candidate))
            return text
    return key


def _fluent_params(params: dict, language: str) -> dict:
    """Fluent takes numbers (for plurals) and strings; money arrives as `Money` or decimal strings."""
    out = {}
    for name, value in params.items():
        if isinstance(value, Money):
            out[name] = value.format(language)
        elif isinstance(value, bool) or value is None:
            out[name] = str(value) if value is not None else ""
        elif isinstance(value, (int, float)):
            out[name] = value
        elif isinstance(value, Decimal):
            out[name] = number(value, language)
        else:
            out[name] = str(value)
    return out


def number(value: Decimal | int | str, language: str, *, places: int | None = None) -> str:
    """A number as people of `language` write it (grouping, decimal mark); exact, never rounded."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is not None:  # money: always its currency's decimals ("50.00", "1,234.50")
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(amount.quantize(Decimal(1).scaleb(-places)), format=pattern,
                              locale=pick_language(language))
    return format_decimal(amount, locale=pick_language(language), decimal_quantization=False,
                          group_separator=True)


@dataclass(frozen=True)
class Money:
    """An amount in minor units with its currency, formatted when a text is rendered."""

    minor: int
    currency: str

    @classmethod
    def of(cls, amount: Decimal | str, currency: str) -> Money:
        """From a decimal amount as the core's notifications carry it ("12.50")."""
        return cls(int(Decimal(str(amount)).scaleb(exponent(currency))), currency)

    def format(self, language: str) -> str:
        value = from_minor(self.minor, self.currency)
        return f"{number(value, language, places=exponent(self.currency))} {self.currency.upper()}"


def money(minor: int, currency: str) -> Money:
    return Money(int(minor), currency)
