"""Every message the core, the jobs and the bot use exists in every locale, with the same variables and
real plural forms (Arabic has six), and formats without an error."""

from __future__ import annotations

import re
from pathlib import Path

from fluent.syntax import FluentParser, ast, visitor

from bot.i18n import available_languages, bundle, message_id, t
from core.notifications.wallet import CREDIT_MESSAGES
from core.orders.models import TERMINAL_STATUSES

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ROOT / "bot" / "locales"
CORE_SOURCES = [ROOT / d for d in ("core", "jobs")]
ARABIC_PLURALS = {"zero", "one", "two", "few", "many", "other"}


class _Variables(visitor.Visitor):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node):  # noqa: N802 - fluent.syntax's visitor naming
        self.names.add(node.id.name)
        self.generic_visit(node)


def messages(language: str) -> dict[str, ast.Message]:
    found = {}
    for path in sorted((LOCALES / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        junk = [e for e in resource.body if isinstance(e, ast.Junk)]
        assert not junk, f"{path.name}: {junk[0].annotations[0].message if junk[0].annotations else junk[0].content}"
        for entry in resource.body:
            if isinstance(entry, ast.Message):
                assert entry.id.name not in found, f"{language}: {entry.id.name} defined twice"
                found[entry.id.name] = entry
    return found


def variables(message: ast.Message) -> set[str]:
    seen = _Variables()
    seen.visit(message)
    return seen.names


def keys_sent_by_the_core() -> set[str]:
    keys = {f"order.{s.value}" for s in TERMINAL_STATUSES} | set(CREDIT_MESSAGES.values()) | {"wallet.low_balance"}
    keys |= {"invite.joined.party", "invite.joined.member", "wallet.reclaimed", "party.frozen", "party.unfrozen"}
    for root in CORE_SOURCES:  # literal keys: message_key="…", "text_key": "…" and the admin alerts' keys
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            keys |= set(re.findall(r'message_key="([a-z_.]+)"', text))
            keys |= set(re.findall(r'"text_key":\s*"([a-z_.]+)"', text))
            keys |= set(re.findall(r'"(admin\.[a-z_.]+)",\s*\{', text))  # key, then its params
    return keys


def keys_used_by_the_bot() -> set[str]:
    keys = set()
    for path in (ROOT / "bot").rglob("*.py"):
        keys |= set(re.findall(r'\bt\(\s*"([a-z_.\-]+)"', path.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_core_and_the_bot_use_is_translated_everywhere():
    keys = keys_sent_by_the_core() | keys_used_by_the_bot()
    assert {"engagement.nudge", "admin.invariant_violations", "start.unknown", "error.unexpected"} <= keys
    for language in available_languages():
        missing = sorted(k for k in keys if message_id(k) not in messages(language))
        assert not missing, f"{language} lacks {missing}"


def test_locales_have_the_same_messages_and_variables():
    assert {"en", "ar"} <= set(available_languages())
    english = messages("en")
    for language in available_languages():
        theirs = messages(language)
        assert theirs.keys() == english.keys(), (language, sorted(theirs.keys() ^ english.keys()))
        for name, message in theirs.items():
            assert variables(message) == variables(english[name]), (language, name)


def test_arabic_plurals_name_all_six_forms_and_english_never_builds_plurals_by_hand():
    for name, message in messages("ar").items():
        for select in _selects(message):
            keys = {v.key.name for v in select.variants if isinstance(v.key, ast.Identifier)}
            if keys & ARABIC_PLURALS and not keys <= {"agent", "subagent", "manager", "viewer"}:
                assert keys == ARABIC_PLURALS, (name, keys)
    for language in available_languages():
        for path in (LOCALES / language).glob("*.ftl"):
            assert "(s)" not in path.read_text(encoding="utf-8"), path.name


def test_every_message_formats_in_every_language_for_every_count():
    for language in available_languages():
        fluent = bundle(language)
        for name, message in messages(language).items():
            params = {v: 1 for v in variables(message)}
            for count in (0, 1, 2, 3, 11, 100, 101):
                params.update({v: count for v in params})
                text, errors = fluent.format_pattern(fluent.get_message(name).value, params)
                assert not errors and text, (language, name, errors)


def test_arabic_counts_read_differently_by_plural_form():
    forms = {t("order.completed", "ar", quantity=n, total="1.00 USD") for n in (1, 2, 3, 11, 100)}
    assert len(forms) == 5
    assert t("order.completed", "en", quantity=1, total="1.00 USD") != t("order.completed", "en", quantity=2,
                                                                           total="1.00 USD")


def _selects(node):
    if isinstance(node, ast.SelectExpression):
        yield node
    for value in vars(node).values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, ast.SyntaxNode):
                yield from _selects(child)
