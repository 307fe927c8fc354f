"""`Settings`: every `AFP_*` environment variable (and an optional `.env`), read once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from afp_core.domain.money import Credits, Money
from afp_core.domain.pricing import CreditPack


class CreditPackSetting(BaseModel):
    """One entry of `AFP_CREDIT_PACKS`."""

    id: str = Field(min_length=1, max_length=40)
    credits: int = Field(gt=0)
    price: Decimal = Field(gt=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    lemonsqueezy_variant_id: str | None = None

    def to_domain(self) -> CreditPack:
        return CreditPack(
            self.id,
            Credits(self.credits),
            Money(self.price, self.currency),
            self.lemonsqueezy_variant_id,
        )


_KEYED = (
    "openai_api_key",
    "kie_api_key",
    "lemonsqueezy_api_key",
    "cryptomus_payment_key",
    "tiktok_client_secret",
    "google_client_secret",
    "instagram_app_secret",
)


class Settings(BaseSettings):
    """AFP's configuration. See docs/operations.md for what each setting does."""

    model_config = SettingsConfigDict(
        env_prefix="AFP_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite+aiosqlite:///./afp.db"
    # "table": our `jobs` table and the built-in worker (SQLite or PostgreSQL);
    # "procrastinate": procrastinate's queue and workers (PostgreSQL only)
    job_queue: Literal["table", "procrastinate"] = "table"
    providers: Literal["fake", "real"] | None = None
    openai_api_key: SecretStr | None = None
    kie_api_key: SecretStr | None = None
    kie_callback_url: str | None = None
    kie_webhook_hmac_key: SecretStr | None = None
    storage_url: str = "file://./afp-media"
    s3_access_key_id: str | None = None  # with s3:// storage; else the AWS credential chain
    s3_secret_access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    # the token key ring: comma-separated `KEY_ID:BASE64_32_BYTES` entries, the current key
    # first (checked when the container builds its cipher: `ConfigurationError`, exit 2)
    token_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    lemonsqueezy_api_key: SecretStr | None = None
    lemonsqueezy_store_id: str | None = None
    lemonsqueezy_webhook_secret: SecretStr | None = None
    # the store's mode: test-mode events are refused by a live server and live ones by a test one
    lemonsqueezy_test_mode: bool = False
    cryptomus_merchant_id: str | None = None
    cryptomus_payment_key: SecretStr | None = None
    tiktok_client_key: str | None = None
    tiktok_client_secret: SecretStr | None = None
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    instagram_app_id: str | None = None
    instagram_app_secret: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    credit_packs: Annotated[list[CreditPackSetting], NoDecode] = Field(default_factory=list)
    fake_webhook_secret: SecretStr | None = None
    # which adapter serves each provider port (default: from AFP_PROVIDERS, see below)
    scraper: Literal["http", "fake"] | None = None
    script_writer: Literal["openai", "fake"] | None = None
    video_provider: Literal["kie", "local", "fake"] | None = None
    openai_model: str = "gpt-4o-mini"
    openai_moderation_model: str = "omni-moderation-latest"
    openai_base_url: str | None = None
    kie_base_url: str = "https://api.kie.ai"
    kie_rate_limit: int = Field(default=20, gt=0)  # task creations per window, account-wide
    kie_rate_window_s: float = Field(default=10.0, gt=0)
    local_video_size: str = Field(default="1080x1920", pattern=r"^\d{2,4}x\d{2,4}$")
    local_video_fps: int = Field(default=30, ge=1, le=60)
    batch_max_rows: int = Field(default=1000, ge=1, le=100_000)  # rows per batch
    batch_user_concurrency: int = Field(default=4, ge=1)  # a user's batch items at once
    batch_global_concurrency: int = Field(default=16, ge=1)  # everyone's batch items at once

    @field_validator("token_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("credit_packs", mode="before")
    @classmethod
    def _parse_packs(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"AFP_CREDIT_PACKS is not valid JSON: {exc.msg}") from exc
        return value

    @property
    def scraper_kind(self) -> Literal["http", "fake"]:
        """`AFP_SCRAPER`, else the safe HTTP scraper with real providers, else the fake."""
        if self.scraper is not None:
            return self.scraper
        return "http" if self.provider_mode == "real" else "fake"

    @property
    def script_writer_kind(self) -> Literal["openai", "fake"]:
        """`AFP_SCRIPT_WRITER` (also picks the moderator), else OpenAI with real providers."""
        if self.script_writer is not None:
            return self.script_writer
        return "openai" if self.provider_mode == "real" else "fake"

    @property
    def video_provider_kind(self) -> Literal["kie", "local", "fake"]:
        """`AFP_VIDEO_PROVIDER`, else Kie.ai with real providers, else the local MP4 renderer."""
        if self.video_provider is not None:
            return self.video_provider
        return "kie" if self.provider_mode == "real" else "local"

    @property
    def local_video_dimensions(self) -> tuple[int, int]:
        width, height = (int(n) for n in self.local_video_size.split("x"))
        return width, height

    @property
    def provider_mode(self) -> Literal["fake", "real"]:
        """`AFP_PROVIDERS`, or `real` when any provider key is set, else `fake`."""
        if self.providers is not None:
            return self.providers
        return "real" if any(getattr(self, name) for name in _KEYED) else "fake"


__all__ = ["CreditPackSetting", "Settings"]
