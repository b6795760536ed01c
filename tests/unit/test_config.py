import pytest
from pydantic import ValidationError

from core.config import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("BAMBOO_CLIENT_ID", "BAMBOO_CLIENT_SECRET", "BAMBOO_BASE_URL", "STELLER_ENV",
                 "STELLER_LEDGER_KEY", "STELLER_CARD_KEY", "ADMIN_TELEGRAM_IDS"):
        monkeypatch.delenv(name, raising=False)


def test_without_bamboo_credentials_the_simulator_stands_in():
    s = Settings(_env_file=None)
    assert s.uses_simulator and s.bamboo_base_url == "http://127.0.0.1:8090"


def test_defaults_point_at_the_local_services(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    s = Settings(_env_file=None)
    assert s.database_url == "postgres://postgres@127.0.0.1:5432/steller"
    assert s.redis_url == "redis://127.0.0.1:6379/0"


def test_with_credentials_the_real_vendor_is_used(monkeypatch):
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "secret")
    s = Settings(_env_file=None)
    assert not s.uses_simulator and s.bamboo_base_url == "https://api.bamboocardportal.com"


def test_half_the_credentials_is_refused(monkeypatch):
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_production_refuses_default_secrets_without_echoing_values(monkeypatch):
    monkeypatch.setenv("STELLER_ENV", "production")
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "very-secret-value")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    text = str(info.value)
    assert "STELLER_LEDGER_KEY" in text and "STELLER_CARD_KEY" in text
    assert "very-secret-value" not in text


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("STELLER_ENV", "production")
    monkeypatch.setenv("BAMBOO_CLIENT_ID", "id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "s")
    monkeypatch.setenv("STELLER_LEDGER_KEY", "a-real-ledger-key")
    monkeypatch.setenv("STELLER_CARD_KEY", "a-real-card-key")
    assert Settings(_env_file=None).environment == "production"


def test_admin_ids_from_a_comma_list(monkeypatch):
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "1, 22,333")
    assert Settings(_env_file=None).admin_telegram_ids == [1, 22, 333]


def test_env_example_lists_every_setting_and_loads():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / ".env.example"
    keys = {line.split("=", 1)[0] for line in example.read_text().splitlines()
            if line and not line.startswith("#")}
    aliases = {f.alias for name, f in Settings.model_fields.items() if name != "uses_simulator"}
    assert aliases == keys
    assert Settings(_env_file=example).uses_simulator
