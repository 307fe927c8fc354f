"""Which adapter serves each provider port, chosen from `Settings`.

With `AFP_PROVIDERS=fake` (the default without keys): the fake scraper and script writer and
the local renderer, which makes a real MP4 offline. With `AFP_PROVIDERS=real`: the SSRF-safe
HTTP scraper, OpenAI for scripts and moderation, Kie.ai for video. `AFP_SCRAPER`,
`AFP_SCRIPT_WRITER` and `AFP_VIDEO_PROVIDER` pick one port at a time.

Every real provider is wrapped in the resilience decorators: a timeout on each call, in-call
retries for reads, one circuit breaker per provider (`BreakerRegistry`, shown by the admin
API) and, for Kie.ai task creation, an account-wide rate limit that holds across worker
processes on PostgreSQL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import openai

from afp_adapters.fakes import (
    FakeContentModerator,
    FakeProductScraper,
    FakeScriptWriter,
    FakeVideoGenerator,
    bundled_catalogue,
)
from afp_adapters.kie import KieCallbackVerifier, KieVideoGenerator
from afp_adapters.local_video import LocalVideoGenerator
from afp_adapters.openai import OpenAIModerator, OpenAIScriptWriter, build_openai_client
from afp_adapters.resilience import (
    BreakerRegistry,
    InMemoryRateLimiter,
    RateLimiter,
    ResilientModerator,
    ResilientScraper,
    ResilientScriptWriter,
    ResilientVideoGenerator,
    RetryPolicy,
)
from afp_adapters.sql import SqlDatabase
from afp_adapters.sql.rate_limiter import PostgresRateLimiter
from afp_bootstrap.errors import ConfigurationError
from afp_bootstrap.scraping import build_http_scraper
from afp_bootstrap.settings import Settings
from afp_core.ports.generation import (
    ContentModerator,
    ProductScraper,
    ScriptWriter,
    TaskStatus,
    VideoGenerator,
    VideoRequest,
)

RATE_LIMIT_MAX_WAIT_S = 60.0
SCRAPE_TIMEOUT_S = 120.0  # a page, the Shopify endpoint and a redirect chain, each capped
LOCAL_MODEL = "afp-local"  # the price table's offline model: never sent to a provider
LOCAL_TASK_PREFIX = "local-"
LOCAL_RESULT_PREFIX = "local://"


class LocalModelRouter:
    """Sends `afp-local` videos to the local renderer and every other model to the provider.

    Task ids and result URLs of the local renderer carry their own prefixes, so `status` and
    `download` find their way back without any stored state.
    """

    def __init__(self, provider: VideoGenerator, local: VideoGenerator) -> None:
        self._provider = provider
        self._local = local

    async def submit(self, request: VideoRequest) -> str:
        if request.spec.model == LOCAL_MODEL:
            return await self._local.submit(request)
        return await self._provider.submit(request)

    async def status(self, task_id: str) -> TaskStatus:
        if task_id.startswith(LOCAL_TASK_PREFIX):
            return await self._local.status(task_id)
        return await self._provider.status(task_id)

    async def download(self, result_url: str) -> bytes:
        if result_url.startswith(LOCAL_RESULT_PREFIX):
            return await self._local.download(result_url)
        return await self._provider.download(result_url)


def check_provider_keys(settings: Settings) -> None:
    """Refuse, at start-up, a provider choice whose key is missing."""
    if settings.script_writer_kind == "openai" and settings.openai_api_key is None:
        raise ConfigurationError(
            "AFP_OPENAI_API_KEY is required to write scripts with OpenAI "
            "(or set AFP_SCRIPT_WRITER=fake)"
        )
    if settings.video_provider_kind == "kie" and settings.kie_api_key is None:
        raise ConfigurationError(
            "AFP_KIE_API_KEY is required to render with Kie.ai "
            "(or set AFP_VIDEO_PROVIDER=local for the offline renderer)"
        )


def openai_client(settings: Settings) -> openai.AsyncOpenAI | None:
    if settings.script_writer_kind != "openai" or settings.openai_api_key is None:
        return None
    return build_openai_client(
        settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url
    )


def scraper(settings: Settings, breakers: BreakerRegistry) -> ProductScraper:
    if settings.scraper_kind == "fake":
        return FakeProductScraper(bundled_catalogue())
    # the safe fetcher already retries each page (jittered, within its own deadline), so the
    # wrapper adds the per-shop breaker and an overall bound, not a second layer of retries
    return ResilientScraper(
        build_http_scraper(settings),
        breakers=breakers,
        retry=RetryPolicy(attempts=1),
        timeout=SCRAPE_TIMEOUT_S,
    )


def script_writer(
    settings: Settings, client: openai.AsyncOpenAI | None, breakers: BreakerRegistry
) -> ScriptWriter:
    if client is None:
        return FakeScriptWriter()
    writer = OpenAIScriptWriter(client, model=settings.openai_model)
    return ResilientScriptWriter(writer, breaker=breakers.get("openai"))


def moderator(
    settings: Settings, client: openai.AsyncOpenAI | None, breakers: BreakerRegistry
) -> ContentModerator:
    if client is None:
        return FakeContentModerator()
    inner = OpenAIModerator(client, model=settings.openai_moderation_model)
    return ResilientModerator(inner, breaker=breakers.get("openai"))


def kie_callbacks(settings: Settings) -> KieCallbackVerifier:
    """Parses Kie.ai callbacks; with `AFP_KIE_WEBHOOK_HMAC_KEY` set, their signature is checked
    (either way a callback only schedules a poll: record-info is the truth)."""
    key = settings.kie_webhook_hmac_key
    return KieCallbackVerifier(key.get_secret_value() if key else None)


def _kie_limiter(settings: Settings, database: object) -> RateLimiter:
    limit, per = settings.kie_rate_limit, settings.kie_rate_window_s
    if isinstance(database, SqlDatabase) and database.engine.dialect.name == "postgresql":
        # every worker process shares the one account-wide budget
        return PostgresRateLimiter(
            database.engine, limit=limit, per=per, key="kie", max_wait=RATE_LIMIT_MAX_WAIT_S
        )
    return InMemoryRateLimiter(limit, per, max_wait=RATE_LIMIT_MAX_WAIT_S)


def video_generator(
    settings: Settings, database: object, breakers: BreakerRegistry
) -> VideoGenerator:
    kind = settings.video_provider_kind
    if kind == "fake":
        return FakeVideoGenerator()
    width, height = settings.local_video_dimensions
    local = LocalVideoGenerator(
        Path(tempfile.gettempdir()) / "afp-local-renders",
        width=width,
        height=height,
        fps=settings.local_video_fps,
    )
    if kind == "local":
        return local
    if settings.kie_api_key is None:  # check_provider_keys said so already
        raise ConfigurationError("AFP_KIE_API_KEY is required to render with Kie.ai")
    kie = KieVideoGenerator(settings.kie_api_key.get_secret_value(), base_url=settings.kie_base_url)
    resilient = ResilientVideoGenerator(
        kie, breaker=breakers.get("kie"), limiter=_kie_limiter(settings, database)
    )
    return LocalModelRouter(resilient, local)


__all__ = [
    "LocalModelRouter",
    "check_provider_keys",
    "kie_callbacks",
    "moderator",
    "openai_client",
    "scraper",
    "script_writer",
    "video_generator",
]
