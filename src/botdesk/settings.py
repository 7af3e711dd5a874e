"""Process-wide settings, read once from BOTDESK_* environment variables.

Per-tenant settings (languages, retention, widget) live in the database, not here.
Every field is documented in docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from limits import parse_many
from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MASTER_KEY_BYTES = 32
# Values people paste from examples. Refused outside development so that a demo key never
# protects real shoppers' messages.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "placeholder", "password", "xxx", "todo"}
)


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to change."""


def _rate_spec(value: str) -> str:
    # Parsed again by rate_limits.py; checked here so a typo stops start-up, not a request.
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a rate limit; write e.g. '20/minute' or '20/minute;200/hour'"
        ) from None
    return value


# A rate limit in `limits` notation: one or more "COUNT/[N ]UNIT" separated by ";".
RateSpec = Annotated[str, AfterValidator(_rate_spec)]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """All process settings. Construct with `load_settings()`."""

    model_config = SettingsConfigDict(env_prefix="BOTDESK_", extra="ignore", frozen=True)

    environment: Environment = Environment.PRODUCTION
    database_url: str = "sqlite:///./var/botdesk.db"
    redis_url: str | None = None
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    data_dir: Path = Path("./var")
    base_url: str = "http://127.0.0.1:8000"
    max_message_chars: Annotated[int, Field(ge=1, le=100_000)] = 4000
    max_request_bytes: Annotated[int, Field(ge=1024, le=10_000_000)] = 65_536
    staff_session_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    smtp_starttls: bool = True
    smtp_from: str = "botdesk <no-reply@localhost>"
    log_level: str = "INFO"
    # Background jobs (retention purge, expired sessions); see docs/retention.md. Switch off on
    # app nodes when `botdesk worker` runs them instead; leaving them on everywhere is safe too,
    # since a database lease lets one node at a time do each job.
    run_jobs_in_app: bool = True
    retention_interval_seconds: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] = 3600
    # The conversation lifecycle sweep (absent shoppers leave the queue, idle chats close); a
    # shopper's place is freed about this long after the tenant's grace period.
    lifecycle_interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 15
    retention_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    # Audit rows older than this are deleted behind a signed checkpoint (docs/audit.md).
    audit_retention_days: Annotated[int, Field(ge=30, le=36_500)] = 730
    # How long a node trusts what it cached of a tenant when no change event reached it (a CLI
    # change on a single node without Redis); see tenant_cache.py.
    tenant_cache_seconds: Annotated[float, Field(ge=0, le=3600)] = 10.0
    # Threads that do the visitor API's database work and the bot's thinking (runtime.py).
    worker_threads: Annotated[int, Field(ge=1, le=256)] = 4
    # Proxies (addresses or networks) whose X-Forwarded-For is believed; see clients.py.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Private networks order connectors may reach anyway (the demo's merchant on loopback).
    outbound_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    order_lookup_connect_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    order_lookup_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 8.0
    order_lookup_max_bytes: Annotated[int, Field(ge=1024, le=10_000_000)] = 512 * 1024
    # Failed order verifications (wrong email/postcode, unknown order) before a person is offered.
    tracking_failures_per_conversation: Annotated[int, Field(ge=1, le=1000)] = 5
    tracking_failures_per_address: Annotated[int, Field(ge=1, le=100_000)] = 20
    # Rate limits (rate_limits.py, docs/security.md), in `limits` notation: "20/minute;200/hour".
    rate_limit_conversations_per_address: RateSpec = "20/minute;200/hour"
    rate_limit_conversations_per_tenant: RateSpec = "600/minute"
    rate_limit_messages_per_address: RateSpec = "120/minute;2000/hour"
    rate_limit_messages_per_conversation: RateSpec = "30/minute;300/hour"
    rate_limit_transcript_emails_per_conversation: RateSpec = "3/hour"
    rate_limit_transcript_emails_per_address: RateSpec = "5/hour;20/day"
    rate_limit_transcript_emails_per_recipient: RateSpec = "3/day"
    rate_limit_transcript_emails_per_tenant: RateSpec = "60/hour;300/day"
    rate_limit_exports_per_staff: RateSpec = "30/hour"
    rate_limit_sign_in_failures_per_address: RateSpec = "20/15minutes"
    # Sentence embeddings in the bot's understanding (nlu/embeddings.py); off: the sparse model.
    embeddings: bool = True
    embedding_threads: Annotated[int, Field(ge=1, le=64)] = 1

    @field_validator("trusted_proxies", "outbound_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # psycopg 3 is the only PostgreSQL driver we install; accept the plain scheme.
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+psycopg://" + value.removeprefix(plain)
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        if self.master_key is not None and self.master_key_file is not None:
            raise ValueError("set BOTDESK_MASTER_KEY or BOTDESK_MASTER_KEY_FILE, not both")
        if self.smtp_password is not None and self.smtp_password_file is not None:
            raise ValueError("set BOTDESK_SMTP_PASSWORD or BOTDESK_SMTP_PASSWORD_FILE, not both")
        if (
            self.environment is not Environment.DEVELOPMENT
            and self.smtp_password is not None
            and self.smtp_password.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError("BOTDESK_SMTP_PASSWORD holds a placeholder value")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @cached_property
    def smtp_secret(self) -> str | None:
        """The SMTP password, from the variable or its *_FILE."""
        if self.smtp_password_file is not None:
            return self.smtp_password_file.read_text().strip()
        return self.smtp_password.get_secret_value() if self.smtp_password else None

    def resolve_master_key(self) -> bytes:
        """Return the 32-byte master key, generating the embedded default's key file if needed."""
        if self.master_key is not None:
            return _decode_key(self.master_key.get_secret_value(), "BOTDESK_MASTER_KEY", self)
        path = self.master_key_file
        if path is None:
            if not self.is_sqlite:
                # A shared database must never get a key that lives on one node's disk only.
                raise ConfigError(
                    "BOTDESK_MASTER_KEY or BOTDESK_MASTER_KEY_FILE must be set when the "
                    "database is PostgreSQL (generate one with `botdesk key generate`)"
                )
            path = self.data_dir / "master.key"
            if not path.exists():
                _write_new_key_file(path)
        return self.read_key_file(path)

    def read_key_file(self, path: Path) -> bytes:
        """A master key from a file, checked like BOTDESK_MASTER_KEY."""
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the master key file {path}: {exc.strerror}") from None
        return _decode_key(text, f"the master key file {path}", self)


def generate_master_key() -> str:
    """A fresh master key in the encoding BOTDESK_MASTER_KEY expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).decode()


def _write_new_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_master_key() + "\n")


def _decode_key(text: str, source: str, settings: Settings) -> bytes:
    if text.strip().lower() in PLACEHOLDER_SECRETS and not settings.is_development:
        raise ConfigError(
            f"{source} holds a placeholder value; generate a real key with `botdesk key generate`"
        )
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise ConfigError(f"{source} is not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ConfigError(f"{source} must decode to {MASTER_KEY_BYTES} bytes, not {len(key)}")
    if key == bytes(MASTER_KEY_BYTES) and not settings.is_development:
        raise ConfigError(f"{source} is all zeros; generate a real key with `botdesk key generate`")
    return key


def _describe(location: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    if not location:  # a rule across several settings names them itself
        return message
    return f"BOTDESK_{'_'.join(str(part) for part in location).upper()}: {message}"


def load_settings() -> Settings:
    """Read the environment once; configuration errors become ConfigError with a clear message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_describe(err["loc"], err["msg"]) for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
