"""Typed settings, read once from ``IJAZA_*`` environment variables (and ``config/ijaza.toml``).

Fails fast on bad values; refuses the development secret key outside development.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parents[1]
DEV_SECRET = "dev-only-insecure-secret-key-change-me"


class PlatformLimits(BaseSettings):
    """Send rate limits per platform (messages per second), defaults from PROTOCOLS.md."""

    slack: float = 1.0
    telegram: float = 30.0
    whatsapp: float = 80.0
    twilio: float = 1.0
    email: float = 10.0
    generic: float = 50.0
    console: float = 1000.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IJAZA_",
        env_nested_delimiter="__",
        toml_file=str(ROOT / "config" / "ijaza.toml"),
        extra="ignore",
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'ijaza.db'}"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Unset: this server's own address (see ``_public_base_url``).
    public_base_url: str = ""
    secret_key: str = DEV_SECRET
    log_level: str = "INFO"
    log_json: bool = True
    run_relay_in_server: bool = True
    run_scheduler_in_server: bool = True
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    relay_batch: int = Field(default=500, ge=1, le=5000)
    relay_max_attempts: int = Field(default=8, ge=1, le=50)
    relay_claim_seconds: float = Field(default=60.0, gt=0)
    send_timeout_seconds: float = Field(default=10.0, gt=0)
    # Owners re-planned per transaction after a confirmation (each holds SQLite's writer).
    replan_batch: int = Field(default=100, ge=1, le=5000)
    # Clients planned (advance notices) per transaction, and how often the leader plans
    # advance notices, back-messages and digests.
    notice_batch: int = Field(default=500, ge=1, le=10_000)
    # A breath between two batches of a broadcast: on SQLite each batch holds the only
    # writer, and a pause lets the intake's writes in between (0: none).
    notice_pause_seconds: float = Field(default=0.0, ge=0, le=10)
    broadcast_every_seconds: float = Field(default=900.0, ge=1)
    # ``ijaza worker`` runs at this niceness: where it shares cores with API processes,
    # re-plans, broadcasts and rate-limited sends yield the CPU to the intake (0: as is).
    worker_nice: int = Field(default=5, ge=0, le=19)
    # Intake batches written at once per process on PostgreSQL (app.inbound.recorder;
    # SQLite has one writer and keeps one).
    intake_lanes: int = Field(default=2, ge=1, le=8)
    rate_limits: PlatformLimits = PlatformLimits()
    config_dir: Path = ROOT / "config"
    demo_admin_key: str | None = None
    # Hardening (docs/security.md): outbound targets must be public unless this is set
    # (tests, single-host installs whose platforms run next to Ijaza).
    allow_private_targets: bool = False
    retry_after_max_seconds: float = Field(default=3600.0, gt=0)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_headers_bytes: int = Field(default=64 * 1024, ge=1024)
    # Requests per minute per API key and per webhook channel (0: unlimited).
    key_requests_per_minute: int = Field(default=6000, ge=0)
    channel_requests_per_minute: int = Field(default=12000, ge=0)
    # /metrics answers only with this key (Bearer); unset: only an admin API key.
    metrics_key: str | None = None
    database_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    database_statement_timeout_seconds: float = Field(default=15.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("IJAZA_DATABASE_URL must be an sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("IJAZA_SECRET_KEY must be set to a real secret in production")
        if len(self.secret_key) < 16:
            raise ValueError("IJAZA_SECRET_KEY must be at least 16 characters")
        return self

    @model_validator(mode="after")
    def _public_base_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = local_url(self.host, self.port)
        return self


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens to reach a server listening on host:port
    (a wildcard address is where the server listens, not somewhere to browse to)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "localhost"}.get(host, host)
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
