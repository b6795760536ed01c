"""Settings from the environment (and `.env`), one object for every process."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, PlainValidator, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.keyring import Keyring, KeyringError

# Defaults for secrets: fine on a developer's machine, refused in production.
DEV_SECRET_DEFAULTS = {
    "ledger_keys": "dev:dev-ledger-digest-key-change-me",
    "api_key_hash_keys": "dev:dev-api-key-hash-key-change-me",
    "card_keys": "dev:ZGV2LWNhcmQta2V5LWNoYW5nZS1tZS0wMDAwMDAwMDA=",
    # Before key ids: digests and card tokens written without an id were made with these.
    "ledger_legacy_key": "dev-ledger-signing-key-change-me",
    "card_legacy_keys": "ZGV2LWNhcmQta2V5LWNoYW5nZS1tZS0wMDAwMDAwMDA=",
}
# Every secret a development default uses: none of them may sign or encrypt anything in production.
_DEV_SECRET_VALUES = frozenset(
    value.partition(":")[2] if ":" in value else value for value in DEV_SECRET_DEFAULTS.values()
)
PRODUCTION_MIN_HMAC_KEY_LENGTH = 32
BAMBOO_PRODUCTION_URL = "https://api.bamboocardportal.com"
SIMULATOR_CLIENT_ID = "sim-client"
SIMULATOR_CLIENT_SECRET = "sim-secret"


def _keyring(setting: str, *, fernet: bool = False):
    def parse(value: object) -> Keyring:
        if isinstance(value, Keyring):
            return value
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        ring = Keyring.parse(str(value), setting=setting)
        if fernet:
            for key_id, secret in ring.items():
                _check_fernet_key(secret, f"{setting}: key {key_id!r}")
        return ring

    return PlainValidator(parse)


def _check_fernet_key(secret: str, what: str) -> None:
    try:
        Fernet(secret.encode())
    except (ValueError, TypeError):
        raise KeyringError(f"{what} is not a Fernet key (32 url-safe base64-encoded bytes)") from None


def _parse_currency_amounts(value: object, setting: str) -> dict[str, Decimal]:
    """`"JPY:5000,KWD:15"` (or a mapping) → {"JPY": Decimal("5000"), "KWD": Decimal("15")}."""
    from core.money import InvalidAmount, to_minor

    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = []
        for entry in str(value or "").split(","):
            if entry.strip():
                currency, sep, amount = entry.partition(":")
                if not sep:
                    raise ValueError(f"{setting}: {entry.strip()!r} must look like <currency>:<amount>")
                pairs.append((currency, amount))
    result: dict[str, Decimal] = {}
    for currency, amount in pairs:
        code = str(currency).strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"{setting}: {currency!r} is not a currency code")
        try:
            parsed = Decimal(str(amount).strip())
        except ArithmeticError:
            raise ValueError(f"{setting}: {amount!r} is not an amount") from None
        if not parsed.is_finite() or parsed < 0:
            raise ValueError(f"{setting}: {amount!r} is not an amount")
        try:
            to_minor(parsed, code)
        except InvalidAmount:
            raise ValueError(f"{setting}: {amount} has more decimals than {code} allows") from None
        result[code] = parsed
    return result


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True,
        env_ignore_empty=True,  # `KEY=` in .env means "not set"
    )

    # Unset means production: every safety check on. `./dev up` sets development; the tests set test.
    environment: Literal["development", "test", "production"] = Field(
        default="production", alias="STELLER_ENV"
    )
    database_url: str = Field(
        default="postgres://postgres@127.0.0.1:5432/steller", alias="DATABASE_URL"
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Unset: console (human-readable, coloured at a terminal) in development, JSON in test and production.
    log_format: Literal["json", "console"] | None = Field(default=None, alias="LOG_FORMAT")

    # Hierarchy
    max_depth: int = Field(default=3, ge=1, le=10, alias="MAX_DEPTH")
    default_currency: str = Field(default="USD", alias="DEFAULT_CURRENCY")
    invite_default_ttl_hours: int = Field(default=72, ge=1, alias="INVITE_DEFAULT_TTL_HOURS")

    # Secrets: one keyring per purpose (core.keyring), so one leaked or rotated key touches one thing.
    ledger_keys: Annotated[Keyring, NoDecode, _keyring("STELLER_LEDGER_KEYS")] = Field(
        default_factory=lambda: Keyring.parse(DEV_SECRET_DEFAULTS["ledger_keys"], setting="STELLER_LEDGER_KEYS"),
        alias="STELLER_LEDGER_KEYS",
    )
    api_key_hash_keys: Annotated[Keyring, NoDecode, _keyring("STELLER_API_KEY_HASH_KEYS")] = Field(
        default_factory=lambda: Keyring.parse(DEV_SECRET_DEFAULTS["api_key_hash_keys"],
                                              setting="STELLER_API_KEY_HASH_KEYS"),
        alias="STELLER_API_KEY_HASH_KEYS",
    )
    card_keys: Annotated[Keyring, NoDecode, _keyring("STELLER_CARD_KEYS", fernet=True)] = Field(
        default_factory=lambda: Keyring.parse(DEV_SECRET_DEFAULTS["card_keys"], setting="STELLER_CARD_KEYS"),
        alias="STELLER_CARD_KEYS",
    )
    # Keys from before key ids: verify old digests / decrypt old tokens only. Outside production
    # they default to the old development values so existing development databases still check.
    ledger_legacy_key: SecretStr | None = Field(default=None, alias="STELLER_LEDGER_KEY")
    card_legacy_keys: SecretStr | None = Field(default=None, alias="STELLER_CARD_KEY")

    # Admins bootstrapped from the environment (more can be granted in the DB)
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="ADMIN_TELEGRAM_IDS")

    # Telegram
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    support_contact: str = Field(default="@steller_support", alias="SUPPORT_CONTACT")
    # The bot's @username for invite links (asked from Telegram's getMe when unset).
    telegram_bot_username: str | None = Field(default=None, alias="TELEGRAM_BOT_USERNAME")
    # Webhook mode: Telegram sends this in X-Telegram-Bot-Api-Secret-Token (derived from the token when unset).
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    # Per Telegram user: at most this many updates per window; the rest is dropped (with one notice).
    bot_throttle_updates: int = Field(default=10, ge=1, alias="BOT_THROTTLE_UPDATES")
    bot_throttle_seconds: int = Field(default=10, ge=1, alias="BOT_THROTTLE_SECONDS")
    # A revealed card code's message is deleted after this many seconds.
    bot_reveal_seconds: int = Field(default=60, ge=1, alias="BOT_REVEAL_SECONDS")

    # Bamboo. No credentials set = development mode: the built-in simulator stands in for Bamboo.
    bamboo_base_url: str | None = Field(default=None, alias="BAMBOO_BASE_URL")
    bamboo_client_id: str | None = Field(default=None, alias="BAMBOO_CLIENT_ID")
    bamboo_client_secret: SecretStr | None = Field(default=None, alias="BAMBOO_CLIENT_SECRET")
    bamboo_account_id: int | None = Field(default=None, alias="BAMBOO_ACCOUNT_ID")
    bamboo_timeout_seconds: float = Field(default=20.0, gt=0, alias="BAMBOO_TIMEOUT_SECONDS")

    # Servers
    api_host: str = Field(default="127.0.0.1", alias="API_HOST")
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, `*` for any):
    # the client address then decides IP allowlists and per-IP limits. Others' headers are ignored.
    forwarded_allow_ips: str = Field(default="127.0.0.1", alias="FORWARDED_ALLOW_IPS")
    api_port: int = Field(default=8000, alias="API_PORT")
    simulator_host: str = Field(default="127.0.0.1", alias="SIMULATOR_HOST")
    simulator_port: int = Field(default=8090, alias="SIMULATOR_PORT")

    # Alert admins when a Bamboo account's balance falls below this (in that account's currency).
    vendor_low_balance: Decimal = Field(default=Decimal("1000"), ge=0, alias="VENDOR_LOW_BALANCE")
    # A wallet falling below this (in its own currency) sends wallet.low_balance, once per crossing;
    # per-currency amounts override it where 50 means little (`JPY:5000,KRW:50000`).
    wallet_low_balance: Decimal = Field(default=Decimal("50"), ge=0, alias="WALLET_LOW_BALANCE")
    wallet_low_balance_by_currency: Annotated[dict[str, Decimal], NoDecode] = Field(
        default_factory=dict, alias="WALLET_LOW_BALANCE_BY_CURRENCY"
    )
    # Nudge agents and sub-agents that have not ordered for this many days.
    reengage_after_days: int = Field(default=14, ge=1, alias="REENGAGE_AFTER_DAYS")
    # The reconciler re-enqueues orders still open and untouched for this many seconds.
    order_stuck_after_seconds: float = Field(default=60.0, gt=0, alias="ORDER_STUCK_AFTER_SECONDS")
    # An order still open this long after it was created is flagged for the admins (alerted once).
    order_attention_after_hours: float = Field(default=24.0, gt=0, alias="ORDER_ATTENTION_AFTER_HOURS")
    # Bamboo says an order is final while some cards have no code yet: wait this long for them.
    order_card_wait_seconds: float = Field(default=3600.0, ge=0, alias="ORDER_CARD_WAIT_SECONDS")
    # Alert when what Bamboo charged for an order differs from the quoted cost by more than this %.
    vendor_cost_alert_percent: Decimal = Field(default=Decimal("1"), ge=0, alias="VENDOR_COST_ALERT_PERCENT")
    # The vendor-charge reconciliation reads Bamboo's transactions of this many past hours (one call).
    vendor_reconcile_window_hours: int = Field(default=48, ge=1, le=24 * 31, alias="VENDOR_RECONCILE_WINDOW_HOURS")

    # The sandbox: a partner's test wallet starts with this much (in the partner's currency).
    sandbox_start_balance: Decimal = Field(default=Decimal("1000.00"), ge=0, alias="SANDBOX_START_BALANCE")
    # Test orders go to a Bamboo simulator, never to Bamboo. Unset: the simulator that stands in for
    # Bamboo when no credentials are set, else one the worker runs in-process (see jobs/sandbox.py).
    sandbox_bamboo_base_url: str | None = Field(default=None, alias="SANDBOX_BAMBOO_BASE_URL")

    # Set by the validator: True when no Bamboo credentials were given.
    uses_simulator: bool = Field(default=False, exclude=True)

    fx_margin: Decimal = Field(default=Decimal("0.0200"), ge=0, alias="FX_MARGIN")

    # Webhooks to loopback/private addresses and over plain http. Unset: allowed in development and
    # test only. Link-local (cloud metadata), multicast and unspecified addresses are always refused.
    webhook_allow_private: bool | None = Field(default=None, alias="WEBHOOK_ALLOW_PRIVATE")

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Accept "1,2,3" as well as a JSON list.
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("wallet_low_balance_by_currency", mode="before")
    @classmethod
    def _split_currency_amounts(cls, value: object) -> object:
        return _parse_currency_amounts(value, "WALLET_LOW_BALANCE_BY_CURRENCY")

    @field_validator("card_legacy_keys", mode="after")
    @classmethod
    def _legacy_card_keys_are_fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            for position, key in enumerate(value.get_secret_value().split(","), start=1):
                if key.strip():
                    _check_fernet_key(key.strip(), f"STELLER_CARD_KEY: key {position}")
        return value

    @model_validator(mode="after")
    def _log_format_for_environment(self) -> "Settings":
        if self.log_format is None:
            self.log_format = "console" if self.environment == "development" else "json"
        return self

    @model_validator(mode="after")
    def _legacy_keys_outside_production(self) -> "Settings":
        if self.environment != "production":
            if self.ledger_legacy_key is None:
                self.ledger_legacy_key = SecretStr(DEV_SECRET_DEFAULTS["ledger_legacy_key"])
            if self.card_legacy_keys is None:
                self.card_legacy_keys = SecretStr(DEV_SECRET_DEFAULTS["card_legacy_keys"])
        return self

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
        hmac_rings = {"STELLER_LEDGER_KEYS": self.ledger_keys, "STELLER_API_KEY_HASH_KEYS": self.api_key_hash_keys}
        for setting, ring in [*hmac_rings.items(), ("STELLER_CARD_KEYS", self.card_keys)]:
            if any(secret in _DEV_SECRET_VALUES for _, secret in ring.items()):
                offenders.append(f"{setting} (a development key)")
        for setting, ring in hmac_rings.items():
            if any(len(secret) < PRODUCTION_MIN_HMAC_KEY_LENGTH for _, secret in ring.items()):
                offenders.append(f"{setting} (a key shorter than {PRODUCTION_MIN_HMAC_KEY_LENGTH} characters)")
        shared = ({s for _, s in self.ledger_keys.items()} & {s for _, s in self.api_key_hash_keys.items()})
        if shared:
            offenders.append("STELLER_LEDGER_KEYS and STELLER_API_KEY_HASH_KEYS (the same key for both)")
        if self.ledger_legacy_key is not None and self.ledger_legacy_key.get_secret_value() in _DEV_SECRET_VALUES:
            offenders.append("STELLER_LEDGER_KEY (a development key)")
        if self.card_legacy_keys is not None and any(
                key.strip() in _DEV_SECRET_VALUES for key in self.card_legacy_keys.get_secret_value().split(",")):
            offenders.append("STELLER_CARD_KEY (a development key)")
        if self.uses_simulator and "bamboocardportal.com" not in (self.bamboo_base_url or ""):
            offenders.append("BAMBOO_CLIENT_ID/BAMBOO_CLIENT_SECRET (production would run on the simulator)")
        if offenders:
            raise ValueError(
                "refusing to start in production (STELLER_ENV is production or unset) with default or "
                "unsafe secrets: " + ", ".join(offenders)
                + ". For a developer machine set STELLER_ENV=development."
            )
        return self

    def webhooks_may_reach_private(self) -> bool:
        """Loopback/private webhook targets and plain http: WEBHOOK_ALLOW_PRIVATE, else dev and test only."""
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.environment in ("development", "test")

    def low_balance_minor(self, currency: str) -> int:
        """The wallet.low_balance threshold for a wallet in `currency`, in its minor units."""
        from core.money import round_to_minor

        code = currency.upper()
        amount = self.wallet_low_balance_by_currency.get(code, self.wallet_low_balance)
        # The default applies to every currency: a JPY wallet with WALLET_LOW_BALANCE=0.5 rounds, not fails.
        return round_to_minor(amount, code)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
