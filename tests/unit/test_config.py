from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from core.config import DEV_SECRET_DEFAULTS, Settings

LEDGER_KEYS = "l2:" + "L" * 40 + ",l1:" + "l" * 40
API_HASH_KEYS = "a1:" + "A" * 40
CARD_KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "STELLER_ENV": "production", "BAMBOO_CLIENT_ID": "id", "BAMBOO_CLIENT_SECRET": "very-secret-value",
    "STELLER_LEDGER_KEYS": LEDGER_KEYS, "STELLER_API_KEY_HASH_KEYS": API_HASH_KEYS,
    "STELLER_CARD_KEYS": f"c1:{CARD_KEY}",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("BAMBOO_CLIENT_ID", "BAMBOO_CLIENT_SECRET", "BAMBOO_BASE_URL", "STELLER_ENV",
                 "STELLER_LEDGER_KEY", "STELLER_CARD_KEY", "STELLER_LEDGER_KEYS", "STELLER_CARD_KEYS",
                 "STELLER_API_KEY_HASH_KEYS", "ADMIN_TELEGRAM_IDS", "WALLET_LOW_BALANCE",
                 "WALLET_LOW_BALANCE_BY_CURRENCY", "WEBHOOK_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def development(monkeypatch):
    monkeypatch.setenv("STELLER_ENV", "development")


@pytest.fixture
def production(monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)


def test_without_bamboo_credentials_the_simulator_stands_in(development):
    s = Settings(_env_file=None)
    assert s.uses_simulator and s.bamboo_base_url == "http://127.0.0.1:8090"


def test_defaults_point_at_the_local_services(monkeypatch, development):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    s = Settings(_env_file=None)
    assert s.database_url == "postgres://postgres@127.0.0.1:5432/steller"
    assert s.redis_url == "redis://127.0.0.1:6379/0"


def test_with_credentials_the_real_vendor_is_used(monkeypatch, development):
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "secret")
    s = Settings(_env_file=None)
    assert not s.uses_simulator and s.bamboo_base_url == "https://api.bamboocardportal.com"


def test_half_the_credentials_is_refused(monkeypatch, development):
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_unset_environment_means_production_and_refuses_the_development_secrets():
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    text = str(info.value)
    assert "production" in text and "STELLER_ENV=development" in text
    for setting in ("STELLER_LEDGER_KEYS", "STELLER_API_KEY_HASH_KEYS", "STELLER_CARD_KEYS", "BAMBOO_CLIENT_ID"):
        assert setting in text


def test_production_refuses_default_secrets_without_echoing_values(monkeypatch):
    monkeypatch.setenv("STELLER_ENV", "production")
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "very-secret-value")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    text = str(info.value)
    assert "STELLER_LEDGER_KEYS" in text and "STELLER_CARD_KEYS" in text and "STELLER_API_KEY_HASH_KEYS" in text
    assert "very-secret-value" not in text
    assert not any(default.partition(":")[2] in text for default in DEV_SECRET_DEFAULTS.values() if ":" in default)


def test_production_starts_with_real_secrets(production):
    s = Settings(_env_file=None)
    assert s.environment == "production"
    assert s.ledger_keys.current_id == "l2" and s.ledger_keys.get("l1") == "l" * 40
    assert s.ledger_legacy_key is None and s.card_legacy_keys is None  # no development fallbacks
    assert not s.webhooks_may_reach_private()


@pytest.mark.parametrize(("name", "value"), [
    ("STELLER_LEDGER_KEYS", "new:" + "n" * 40 + ",dev:dev-ledger-digest-key-change-me"),  # rotated-out dev key
    ("STELLER_API_KEY_HASH_KEYS", DEV_SECRET_DEFAULTS["api_key_hash_keys"]),
    ("STELLER_CARD_KEYS", DEV_SECRET_DEFAULTS["card_keys"]),
    ("STELLER_LEDGER_KEY", DEV_SECRET_DEFAULTS["ledger_legacy_key"]),
    ("STELLER_CARD_KEY", f"{CARD_KEY},{DEV_SECRET_DEFAULTS['card_legacy_keys']}"),
    ("STELLER_LEDGER_KEYS", "short:too-short-for-an-hmac-key"),
    ("STELLER_API_KEY_HASH_KEYS", "same:" + "l" * 40),  # the ledger's key reused for API keys
])
def test_production_refuses_each_development_or_weak_key(production, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert name in str(info.value)


@pytest.mark.parametrize(("value", "complaint"), [
    ("s3cr3t-without-id", "entry 1 must look like <key id>:<secret>"),
    ("a:s3cr3tA,a:s3cr3tB", "key id 'a' appears twice"),
    ("bad id!:s3cr3tC", "invalid key id"),
    (",", "at least one"),
])
def test_malformed_keyrings_are_refused_without_echoing_secrets(development, monkeypatch, value, complaint):
    monkeypatch.setenv("STELLER_LEDGER_KEYS", value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert complaint in str(info.value) and "s3cr3t" not in str(info.value)


def test_card_keys_must_be_fernet_keys(development, monkeypatch):
    monkeypatch.setenv("STELLER_CARD_KEYS", "c1:not-a-fernet-key")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert "not a Fernet key" in str(info.value) and "not-a-fernet-key" not in str(info.value)


def test_keyrings_never_show_their_secrets(development, monkeypatch):
    monkeypatch.setenv("STELLER_LEDGER_KEYS", "k1:super-secret-ledger-key")
    s = Settings(_env_file=None)
    assert "super-secret-ledger-key" not in repr(s) and "k1" in repr(s.ledger_keys)


def test_low_balance_threshold_per_currency_in_minor_units(development, monkeypatch):
    monkeypatch.setenv("WALLET_LOW_BALANCE_BY_CURRENCY", "jpy:5000, KWD:15.5")
    s = Settings(_env_file=None)
    assert s.wallet_low_balance_by_currency == {"JPY": Decimal("5000"), "KWD": Decimal("15.5")}
    assert s.low_balance_minor("USD") == 5000  # the default, 50 USD
    assert s.low_balance_minor("usd") == 5000
    assert s.low_balance_minor("JPY") == 5000  # 5000 yen, not 50
    assert s.low_balance_minor("KWD") == 15500  # 3 decimals
    assert s.low_balance_minor("KRW") == 50  # no override: the default in that currency's units


def test_a_default_low_balance_with_cents_still_works_for_currencies_without(development, monkeypatch):
    monkeypatch.setenv("WALLET_LOW_BALANCE", "0.5")
    assert Settings(_env_file=None).low_balance_minor("JPY") == 1  # rounded, never an error
    assert Settings(_env_file=None).low_balance_minor("EUR") == 50


@pytest.mark.parametrize("value", ["JPY:0.5", "JPY", "EURO:5", "JPY:-1", "JPY:lots"])
def test_malformed_low_balance_overrides_are_refused(development, monkeypatch, value):
    monkeypatch.setenv("WALLET_LOW_BALANCE_BY_CURRENCY", value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize(("env", "setting", "allowed"), [
    ("development", None, True), ("test", None, True), ("production", None, False),
    ("production", "true", True), ("development", "false", False),
])
def test_private_webhook_targets_follow_the_environment_unless_set(production, monkeypatch, env, setting, allowed):
    monkeypatch.setenv("STELLER_ENV", env)
    if setting is not None:
        monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", setting)
    assert Settings(_env_file=None).webhooks_may_reach_private() is allowed


def test_admin_ids_from_a_comma_list(monkeypatch, development):
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "1, 22,333")
    assert Settings(_env_file=None).admin_telegram_ids == [1, 22, 333]


def test_env_example_lists_every_setting_and_loads():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / ".env.example"
    keys = {line.split("=", 1)[0] for line in example.read_text().splitlines()
            if line and not line.startswith("#")}
    aliases = {f.alias for name, f in Settings.model_fields.items() if name != "uses_simulator"}
    # Settings a single module reads for itself are listed too.
    from api.ratelimit import RateLimitSettings
    from api.requestlog import RequestLogSettings
    from core.analytics.service import AnalyticsSettings
    from core.metrics import MetricsSettings

    for module_settings in (RateLimitSettings, RequestLogSettings, AnalyticsSettings, MetricsSettings):
        aliases |= {f.alias for f in module_settings.model_fields.values()}
    assert aliases == keys
    loaded = Settings(_env_file=example)
    assert loaded.uses_simulator and loaded.environment == "development"
