"""Settings from the environment (and `.env`), one object for every process."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Defaults for secrets: fine on a developer's machine, refused in production.
DEV_SECRET_DEFAULTS = {
    "ledger_signing_key": "dev-ledger-signing-key-change-me",
    "card_key": "ZGV2LWNhcmQta2V5LWNoYW5nZS1tZS0wMDAwMDAwMDA=",
}
BAMBOO_PRODUCTION_URL = "https://api.bamboocardportal.com"
SIMULATOR_CLIENT_ID = "sim-client"
SIMULATOR_CLIENT_SECRET = "sim-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True,
        env_ignore_empty=True,  # `KEY=` in .env means "not set"
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development", alias="STELLER_ENV"
    )
    database_url: str = Field(
        default="postgres://postgres@127.0.0.1:5432/steller", alias="DATABASE_URL"
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="json", alias="LOG_FORMAT")

    # Hierarchy
    max_depth: int = Field(default=3, ge=1, le=10, alias="MAX_DEPTH")
    default_currency: str = Field(default="USD", alias="DEFAULT_CURRENCY")
    invite_default_ttl_hours: int = Field(default=72, ge=1, alias="INVITE_DEFAULT_TTL_HOURS")

    # Secrets
    ledger_signing_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_DEFAULTS["ledger_signing_key"]), alias="STELLER_LEDGER_KEY"
    )
    card_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_DEFAULTS["card_key"]), alias="STELLER_CARD_KEY"
    )

    # Admins bootstrapped from the environment (more can be granted in the DB)
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="ADMIN_TELEGRAM_IDS")

    # Telegram
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    support_contact: str = Field(default="@steller_support", alias="SUPPORT_CONTACT")

    # Bamboo. No credentials set = development mode: the built-in simulator stands in for Bamboo.
    bamboo_base_url: str | None = Field(default=None, alias="BAMBOO_BASE_URL")
    bamboo_client_id: str | None = Field(default=None, alias="BAMBOO_CLIENT_ID")
    bamboo_client_secret: SecretStr | None = Field(default=None, alias="BAMBOO_CLIENT_SECRET")
    bamboo_account_id: int | None = Field(default=None, alias="BAMBOO_ACCOUNT_ID")
    bamboo_timeout_seconds: float = Field(default=20.0, gt=0, alias="BAMBOO_TIMEOUT_SECONDS")

    # Servers
    api_host: str = Field(default="127.0.0.1", alias="API_HOST")
    api_port: int = Field(default=8000, alias="API_PORT")
    simulator_host: str = Field(default="127.0.0.1", alias="SIMULATOR_HOST")
    simulator_port: int = Field(default=8090, alias="SIMULATOR_PORT")

    # Alert admins when a Bamboo account's balance falls below this (in that account's currency).
    vendor_low_balance: Decimal = Field(default=Decimal("1000"), ge=0, alias="VENDOR_LOW_BALANCE")
    # A wallet falling below this (in its own currency) sends wallet.low_balance, once per crossing.
    wallet_low_balance: Decimal = Field(default=Decimal("50"), ge=0, alias="WALLET_LOW_BALANCE")
    # Nudge agents and sub-agents that have not ordered for this many days.
    reengage_after_days: int = Field(default=14, ge=1, alias="REENGAGE_AFTER_DAYS")
    # The reconciler re-enqueues orders still open and untouched for this many seconds.
    order_stuck_after_seconds: float = Field(default=60.0, gt=0, alias="ORDER_STUCK_AFTER_SECONDS")

    # Set by the validator: True when no Bamboo credentials were given.
    uses_simulator: bool = Field(default=False, exclude=True)

    fx_margin: Decimal = Field(default=Decimal("0.0200"), ge=0, alias="FX_MARGIN")

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Accept "1,2,3" as well as a JSON list.
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @model_validator(mode="after")
    def _bamboo_or_simulator(self) -> "Settings":
        has_credentials = self.bamboo_client_id is not None or self.bamboo_client_secret is not None
        self.uses_simulator = not has_credentials
        if not has_credentials:
            self.bamboo_client_id = SIMULATOR_CLIENT_ID
            self.bamboo_client_secret = SecretStr(SIMULATOR_CLIENT_SECRET)
            if self.bamboo_base_url is None:
                self.bamboo_base_url = f"http://{self.simulator_host}:{self.simulator_port}"
        elif self.bamboo_base_url is None:
            self.bamboo_base_url = BAMBOO_PRODUCTION_URL
        if self.bamboo_client_id is None or self.bamboo_client_secret is None:
            raise ValueError("set both BAMBOO_CLIENT_ID and BAMBOO_CLIENT_SECRET, or neither")
        return self

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        offenders = []
        if self.ledger_signing_key.get_secret_value() == DEV_SECRET_DEFAULTS["ledger_signing_key"]:
            offenders.append("STELLER_LEDGER_KEY")
        if self.card_key.get_secret_value() == DEV_SECRET_DEFAULTS["card_key"]:
            offenders.append("STELLER_CARD_KEY")
        if self.uses_simulator and "bamboocardportal.com" not in (self.bamboo_base_url or ""):
            offenders.append("BAMBOO_CLIENT_ID/BAMBOO_CLIENT_SECRET (production would run on the simulator)")
        if offenders:
            raise ValueError(
                "refusing to start in production with default secrets: " + ", ".join(offenders)
            )
        return self



@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
