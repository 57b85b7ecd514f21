"""Configuration from the environment or `.env`; the names are an interface for deployers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import (
    AnyHttpUrl,
    Field,
    PositiveFloat,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.text.format import Language
from bot.logs import LogFormat

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_JOULO_API_URL = "https://api.joulo.nl/functions/v1/api"
DEFAULT_ERE_PRICE_URL = "https://joulo.nl/api/ere-price"
#: Below this poll interval the real Joulo API is likely to rate-limit us.
RECOMMENDED_MIN_POLL_INTERVAL = 30.0
#: What Telegram allows in a webhook's secret token (setWebhook's `secret_token`).
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
Port = Annotated[int, Field(ge=1, le=65535)]


class ConfigError(Exception):
    """Configuration is missing or invalid; `problems` has one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Every setting the bot reads. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: AnyHttpUrl = Field(default=AnyHttpUrl(DEFAULT_TELEGRAM_API_URL))
    joulo_api_url: AnyHttpUrl = Field(default=AnyHttpUrl(DEFAULT_JOULO_API_URL))
    database_path: Path = Path("data/bot.sqlite3")
    encryption_key: SecretStr | None = None
    poll_interval: PositiveFloat = 60.0
    offline_grace: Annotated[float, Field(ge=0)] = 300.0
    stall_after: PositiveFloat = 1800.0
    poll_concurrency: Annotated[int, Field(ge=1, le=1000)] | None = None
    allowed_users: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/Amsterdam"
    default_language: Language = "nl"
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "text"
    #: Joulo's public ERE price feed; None (set empty) turns it off.
    ere_price_url: AnyHttpUrl | None = Field(default=AnyHttpUrl(DEFAULT_ERE_PRICE_URL))
    money_check_interval: PositiveFloat = 3600.0
    metrics_port: Port | None = None
    metrics_listen: str = "127.0.0.1"
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: Port = 8443

    @field_validator(
        "telegram_bot_token",
        "encryption_key",
        "poll_concurrency",
        "metrics_port",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("ere_price_url", mode="before")
    @classmethod
    def _empty_url_is_off(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_path", mode="before")
    @classmethod
    def _empty_path_is_default(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return Path("data/bot.sqlite3")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        bot_id, sep, secret = token.partition(":")
        if not (sep and bot_id.isdigit() and len(secret) >= 20):
            raise ValueError("does not look like a BotFather token (expected 123456:ABC...)")
        return SecretStr(token)

    @field_validator("encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    f"key number {position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes; make one with "
                    "`python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`)"
                ) from None
        return SecretStr(",".join(keys))

    @field_validator("metrics_listen", "webhook_listen")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must be an address to listen on, like 127.0.0.1 or 0.0.0.0")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_only(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and value.scheme != "https":
            raise ValueError("must start with https:// (Telegram sends updates only over HTTPS)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1 to 256 of the characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _parse_user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            ids: set[int] = set()
            for raw in value.replace(";", ",").split(","):
                part = raw.strip()
                if not part:
                    continue
                if not part.lstrip("-").isdigit():
                    raise ValueError("must be Telegram user ids (digits) separated by commas")
                ids.add(int(part))
            return frozenset(ids)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (use a name like Europe/Amsterdam)") from None
        return value

    @field_validator("default_language", "log_format", mode="before")
    @classmethod
    def _lower_language(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def telegram_base_url(self) -> str:
        """Bot API base URL as python-telegram-bot wants it (the token is appended)."""
        return str(self.telegram_api_url)

    @property
    def joulo_base_url(self) -> str:
        """Joulo API base URL without a trailing slash."""
        return str(self.joulo_api_url).rstrip("/")

    @property
    def ere_price_feed(self) -> str | None:
        """The ERE price feed's URL, or None when it is turned off."""
        return None if self.ere_price_url is None else str(self.ere_price_url)

    def warnings(self) -> list[str]:
        """Settings that are valid but probably not what the deployer wants."""
        found = []
        if (
            self.poll_interval < RECOMMENDED_MIN_POLL_INTERVAL
            and self.joulo_base_url == DEFAULT_JOULO_API_URL
        ):
            found.append(
                f"POLL_INTERVAL={self.poll_interval:g} s is below "
                f"{RECOMMENDED_MIN_POLL_INTERVAL:g} s; the real Joulo API may rate-limit the bot"
            )
        return found

    def problems(self) -> list[str]:
        """Settings that are valid alone but not together: one line each, naming the setting."""
        found = []
        if self.webhook_url is not None and self.webhook_secret is None:
            found.append(
                "WEBHOOK_SECRET: required with WEBHOOK_URL (1 to 256 of A-Z, a-z, 0-9, _ and -), "
                "so that only Telegram can post updates to the bot"
            )
        return found

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, where the bot serves updates ("/" when it has none)."""
        return (self.webhook_url.path or "/") if self.webhook_url is not None else "/"

    def secrets(self) -> list[str]:
        """What no log line may show: the bot token and the webhook's secret."""
        return [
            secret.get_secret_value()
            for secret in (self.telegram_bot_token, self.webhook_secret)
            if secret is not None
        ]

    def encryption_keys(self) -> list[str]:
        """The configured Fernet keys, first one encrypts; empty when unset."""
        if self.encryption_key is None:
            return []
        return self.encryption_key.get_secret_value().split(",")


def _describe(error: ValidationError) -> list[str]:
    """One line per problem, naming the variable and never echoing its value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        name = str(item["loc"][0]).upper() if item["loc"] else "SETTINGS"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return lines


class RunSettings(Settings):
    """Settings for running the real bot: the bot token is required."""

    telegram_bot_token: SecretStr | None = Field(default=None, validate_default=True)

    @field_validator("telegram_bot_token")
    @classmethod
    def _required(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            raise ValueError("required; create a bot with @BotFather and put its token here")
        return value


class _LogFormatOnly(BaseSettings):
    """LOG_FORMAT on its own, read where the other settings could not be."""

    model_config = Settings.model_config
    log_format: LogFormat = "text"

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


def read_log_format() -> LogFormat:
    """LOG_FORMAT, for telling the other settings' problems in it; `text` when it is bad too."""
    try:
        return _LogFormatOnly().log_format
    except ValidationError:
        return "text"


def load_settings(*, require_bot_token: bool, **overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise ConfigError listing every problem."""
    kind = RunSettings if require_bot_token else Settings
    try:
        settings = kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None
    if problems := settings.problems():
        raise ConfigError(problems)
    return settings
