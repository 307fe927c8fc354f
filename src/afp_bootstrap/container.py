"""The composition root: one `DeclarativeContainer` wiring ports to adapters and use cases.

Real or fake adapters are chosen from `Settings`; tests replace any provider with
`container.<name>.override(...)`. Nothing here does I/O at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dependency_injector import containers, providers
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from afp_adapters.crypto import (
    AesGcmTokenCipher,
    Argon2PasswordHasher,
    generate_key,
    parse_key_ring,
)
from afp_adapters.fakes import (
    FakeImageInspector,
    FakePayments,
    FakeSocialPublisher,
    InMemoryDatabase,
    InMemoryJobQueue,
)
from afp_adapters.payments import CryptomusPayments, LemonSqueezyPayments
from afp_adapters.resilience import BreakerRegistry
from afp_adapters.social import InstagramPublisher, TikTokPublisher, YouTubePublisher
from afp_adapters.sql import (
    Discrepancy,
    SchemaBehind,
    SqlDatabase,
    SqlJobQueue,
    ensure_current,
    reconcile,
    upgrade,
)
from afp_adapters.sql.status_reads import PostgresStatusReads, SqliteStatusReads
from afp_adapters.system import SystemClock, UlidIdGenerator
from afp_bootstrap import providers as choose
from afp_bootstrap.errors import ConfigurationError
from afp_bootstrap.settings import Settings
from afp_bootstrap.storage import build_storage, media_link_key
from afp_core.domain.payments import PaymentProviderName
from afp_core.domain.policy import BatchLimits, SocialTiming, VideoTiming
from afp_core.domain.pricing import PriceTable, default_price_table
from afp_core.domain.social import SocialProvider
from afp_core.ports.commerce import JobQueue, PaymentProvider, SocialPublisher, TokenCipher
from afp_core.ports.system import IdGenerator
from afp_core.usecases import (
    AdjustCredits,
    AssessContent,
    Authenticate,
    BeginSocialConnection,
    CancelBatch,
    CancelVideo,
    CountVideosByStatus,
    CreateApiKey,
    CreateCheckout,
    CreateUser,
    DisconnectSocialAccount,
    ExpireHolds,
    FinishSocialConnection,
    GetAccountSummary,
    GetAdminStats,
    GetBatchResults,
    GetBatchStatus,
    GetPost,
    GetVideo,
    GetVideoStatus,
    HandlePaymentNotice,
    HandleVideoCallback,
    ListAllVideos,
    ListApiKeys,
    ListPosts,
    ListSocialConnections,
    ListTransactions,
    ListUsers,
    ListVideos,
    LogIn,
    LogOut,
    PollVideo,
    ProcessBatchItem,
    PublishVideo,
    QuoteBatch,
    RecallResponse,
    ReconcilePayments,
    RefreshConnections,
    RefreshPostStatus,
    RememberResponse,
    RetryBatchItems,
    RevokeApiKey,
    RotateTokenKeys,
    ScrapeProduct,
    SettleVideo,
    SignUp,
    StartBatch,
    StartPublishing,
    StartVideo,
    SubmitVideo,
    SweepStuckWork,
    VerifiedTokens,
    WriteScript,
)

if TYPE_CHECKING:
    from procrastinate import App


def _batch_limits(settings: Settings) -> BatchLimits:
    return BatchLimits(
        max_rows=settings.batch_max_rows,
        user_concurrency=settings.batch_user_concurrency,
        global_concurrency=settings.batch_global_concurrency,
    )


def _price_table(settings: Settings) -> PriceTable:
    table = default_price_table()
    if settings.credit_packs:
        table = table.with_packs(p.to_domain() for p in settings.credit_packs)
    return table


def _cipher(settings: Settings) -> TokenCipher:
    """AES-256-GCM over the `AFP_TOKEN_KEYS` ring (`KEY_ID:BASE64_KEY,...`, current first)."""
    ring = ",".join(k.get_secret_value() for k in settings.token_keys)
    if not ring:
        if settings.provider_mode == "real":
            raise ConfigurationError("AFP_TOKEN_KEYS is required with real providers")
        ring = f"demo:{generate_key()}"  # demo: tokens live as long as the process
    try:
        return AesGcmTokenCipher(parse_key_ring(ring))
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _payments(settings: Settings) -> dict[PaymentProviderName, PaymentProvider]:
    """The payment providers with any setting present (a half-configured one refuses what it
    cannot do safely: no webhook secret, no webhooks). The demo provider only with fakes."""
    found: dict[PaymentProviderName, PaymentProvider] = {}
    base = settings.public_base_url.rstrip("/")
    if (
        settings.lemonsqueezy_api_key
        or settings.lemonsqueezy_store_id
        or settings.lemonsqueezy_webhook_secret
    ):
        found[PaymentProviderName.LEMONSQUEEZY] = LemonSqueezyPayments(
            api_key=_secret(settings.lemonsqueezy_api_key),
            store_id=settings.lemonsqueezy_store_id,
            webhook_secret=_secret(settings.lemonsqueezy_webhook_secret),
            test_mode=settings.lemonsqueezy_test_mode,
            redirect_url=f"{base}/",
        )
    if settings.cryptomus_merchant_id or settings.cryptomus_payment_key:
        found[PaymentProviderName.CRYPTOMUS] = CryptomusPayments(
            merchant_id=settings.cryptomus_merchant_id,
            payment_key=_secret(settings.cryptomus_payment_key),
            callback_url=f"{base}/webhooks/cryptomus",
            return_url=f"{base}/",
        )
    if settings.provider_mode == "fake":
        found[PaymentProviderName.FAKE] = FakePayments(_secret(settings.fake_webhook_secret))
    return found


def _publishers(settings: Settings) -> dict[SocialProvider, SocialPublisher]:
    """In real mode, each platform whose app id and secret are both set (the others cannot be
    connected); nothing is faked in production."""
    if settings.provider_mode != "real":
        return {p: FakeSocialPublisher(p) for p in SocialProvider}
    found: dict[SocialProvider, SocialPublisher] = {}
    tiktok = _pair(settings.tiktok_client_key, settings.tiktok_client_secret, "TIKTOK_CLIENT_KEY")
    if tiktok:
        found[SocialProvider.TIKTOK] = TikTokPublisher(
            client_key=tiktok[0], client_secret=tiktok[1]
        )
    google = _pair(settings.google_client_id, settings.google_client_secret, "GOOGLE_CLIENT_ID")
    if google:
        found[SocialProvider.YOUTUBE] = YouTubePublisher(
            client_id=google[0], client_secret=google[1]
        )
    instagram = _pair(settings.instagram_app_id, settings.instagram_app_secret, "INSTAGRAM_APP_ID")
    if instagram:
        found[SocialProvider.INSTAGRAM] = InstagramPublisher(
            app_id=instagram[0], app_secret=instagram[1]
        )
    return found


def _pair(key: str | None, secret: SecretStr | None, name: str) -> tuple[str, str] | None:
    """A platform app's id and secret, or None when neither is set; one alone is an error."""
    if not key and secret is None:
        return None
    if not key or secret is None or not secret.get_secret_value():
        secret_name = name.rsplit("_", 1)[0] + "_SECRET"
        raise ConfigurationError(f"set both AFP_{name} and AFP_{secret_name}, or neither")
    return key, secret.get_secret_value()


def _status_reads(settings: Settings) -> SqliteStatusReads | PostgresStatusReads | None:
    """The status poll's cheap read path on a SQL database (None: through a unit of work)."""
    url = settings.database_url
    if url.startswith(("postgresql", "postgres")):
        return PostgresStatusReads(url)
    if url.startswith("sqlite") and make_url(url).database not in (None, "", ":memory:"):
        return SqliteStatusReads(url)
    return None


def _database(settings: Settings, ids: IdGenerator) -> InMemoryDatabase | SqlDatabase:
    url = settings.database_url
    if url.startswith("memory:"):
        return InMemoryDatabase(ids)
    if settings.job_queue == "procrastinate" and not url.startswith(("postgresql", "postgres")):
        raise ConfigurationError("AFP_JOB_QUEUE=procrastinate needs a postgresql:// database")
    if url.startswith(("sqlite", "postgresql", "postgres")):
        return SqlDatabase.from_url(url, ids, procrastinate=settings.job_queue == "procrastinate")
    raise ConfigurationError(
        f"AFP_DATABASE_URL {url!r}: use sqlite:///FILE, postgresql://... or memory://"
    )


def _procrastinate(settings: Settings) -> App | None:
    """procrastinate's app (`AFP_JOB_QUEUE=procrastinate`), opened by `afp worker`."""
    if settings.job_queue != "procrastinate":
        return None
    from afp_adapters.procrastinate import procrastinate_app  # noqa: PLC0415 - optional

    return procrastinate_app(settings.database_url)


def _job_queue(db: InMemoryDatabase | SqlDatabase, app: App | None) -> JobQueue:
    if isinstance(db, InMemoryDatabase):
        return InMemoryJobQueue(db)
    if app is not None:
        from afp_adapters.procrastinate import ProcrastinateJobQueue  # noqa: PLC0415 - optional

        return ProcrastinateJobQueue(app)
    return SqlJobQueue(db.engine)


def _check_mode(settings: Settings) -> Settings:
    choose.check_provider_keys(settings)
    return settings


class Container(containers.DeclarativeContainer):
    """Everything AFP needs, built lazily from `settings`."""

    settings = providers.Dependency(instance_of=Settings)
    checked_settings = providers.Singleton(_check_mode, settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UlidIdGenerator)
    prices = providers.Singleton(_price_table, checked_settings)
    video_timing = providers.Object(VideoTiming())
    batch_limits = providers.Singleton(_batch_limits, checked_settings)
    social_timing = providers.Object(SocialTiming())

    database = providers.Singleton(_database, checked_settings, ids)
    uow = providers.Callable(lambda db: db.unit_of_work, database)
    procrastinate = providers.Singleton(_procrastinate, checked_settings)
    job_queue = providers.Singleton(_job_queue, database, procrastinate)

    breakers = providers.Singleton(BreakerRegistry)  # one circuit breaker per provider
    kie_callbacks = providers.Singleton(choose.kie_callbacks, checked_settings)
    openai_client = providers.Singleton(choose.openai_client, checked_settings)
    scraper = providers.Singleton(choose.scraper, checked_settings, breakers)
    script_writer = providers.Singleton(
        choose.script_writer, checked_settings, openai_client, breakers
    )
    moderator = providers.Singleton(choose.moderator, checked_settings, openai_client, breakers)
    image_inspector = providers.Singleton(FakeImageInspector)
    video_generator = providers.Singleton(
        choose.video_generator, checked_settings, database, breakers
    )
    # signs links to local files (None: unsigned); see afp_bootstrap.storage
    media_signing_key = providers.Singleton(media_link_key, checked_settings)
    storage = providers.Singleton(build_storage, checked_settings, media_signing_key, clock)
    cipher = providers.Singleton(_cipher, checked_settings)
    payments = providers.Singleton(_payments, checked_settings)
    publishers = providers.Singleton(_publishers, checked_settings)
    # always argon2id; tests override it with the instant `FakePasswordHasher`
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    # bearer tokens verified in the last 5 s (this process); see afp_core.usecases.authenticate
    verified_tokens = providers.Singleton(VerifiedTokens)

    # ---------------------------------------------------------------- use cases
    create_user = providers.Factory(CreateUser, uow, clock, ids)
    scrape_product = providers.Factory(ScrapeProduct, scraper)
    write_script = providers.Factory(WriteScript, script_writer)
    assess_content = providers.Factory(AssessContent, uow, prices, moderator, image_inspector)
    start_video = providers.Factory(
        StartVideo, uow, clock, ids, prices, moderator, image_inspector, video_timing
    )
    submit_video = providers.Factory(
        SubmitVideo,
        uow,
        video_generator,
        clock,
        video_timing,
        providers.Callable(lambda s: s.kie_callback_url, checked_settings),
    )
    poll_video = providers.Factory(PollVideo, uow, video_generator, storage, clock, video_timing)
    settle_video = providers.Factory(SettleVideo, uow, clock)
    handle_video_callback = providers.Factory(HandleVideoCallback, uow, clock)
    cancel_video = providers.Factory(CancelVideo, uow, clock)
    start_batch = providers.Factory(StartBatch, uow, clock, ids, prices, batch_limits)
    process_batch_item = providers.Factory(
        ProcessBatchItem,
        uow,
        scraper,
        script_writer,
        moderator,
        clock,
        ids,
        prices,
        video_timing,
        batch_limits,
    )
    quote_batch = providers.Factory(QuoteBatch, uow, prices, batch_limits)
    retry_batch_items = providers.Factory(RetryBatchItems, uow, clock, ids, batch_limits)
    cancel_batch = providers.Factory(CancelBatch, uow, clock)
    get_batch_status = providers.Factory(GetBatchStatus, uow)
    get_batch_results = providers.Factory(GetBatchResults, uow)
    get_video = providers.Factory(GetVideo, uow)
    status_reads = providers.Singleton(_status_reads, checked_settings)
    get_video_status = providers.Factory(GetVideoStatus, uow, status_reads)
    list_videos = providers.Factory(ListVideos, uow)
    create_checkout = providers.Factory(CreateCheckout, uow, payments, prices, clock, ids)
    handle_payment_notice = providers.Factory(HandlePaymentNotice, uow, payments, clock, prices)
    reconcile_payments = providers.Factory(ReconcilePayments, uow, payments)
    begin_social_connection = providers.Factory(
        BeginSocialConnection, uow, publishers, clock, social_timing
    )
    finish_social_connection = providers.Factory(
        FinishSocialConnection, uow, publishers, cipher, clock
    )
    disconnect_social_account = providers.Factory(
        DisconnectSocialAccount, uow, publishers, cipher, clock
    )
    publish_video = providers.Factory(PublishVideo, uow, publishers, clock, ids)
    start_publishing = providers.Factory(
        StartPublishing, uow, publishers, cipher, storage, clock, social_timing
    )
    refresh_post_status = providers.Factory(
        RefreshPostStatus, uow, publishers, cipher, storage, clock, social_timing
    )
    refresh_connections = providers.Factory(
        RefreshConnections, uow, publishers, cipher, clock, social_timing
    )
    rotate_token_keys = providers.Factory(RotateTokenKeys, uow, cipher, clock, social_timing)
    adjust_credits = providers.Factory(AdjustCredits, uow, clock)
    get_account_summary = providers.Factory(GetAccountSummary, uow)
    expire_holds = providers.Factory(ExpireHolds, uow, clock)
    sweep_stuck_work = providers.Factory(
        SweepStuckWork, uow, job_queue, clock, video_timing, social_timing
    )
    sign_up = providers.Factory(SignUp, uow, password_hasher, clock, ids)
    log_in = providers.Factory(LogIn, uow, password_hasher, clock, ids)
    log_out = providers.Factory(LogOut, uow, clock, verified_tokens)
    authenticate = providers.Factory(Authenticate, uow, clock, verified_tokens)
    create_api_key = providers.Factory(CreateApiKey, uow, clock, ids)
    list_api_keys = providers.Factory(ListApiKeys, uow)
    revoke_api_key = providers.Factory(RevokeApiKey, uow, clock, verified_tokens)
    list_transactions = providers.Factory(ListTransactions, uow)
    count_videos_by_status = providers.Factory(CountVideosByStatus, uow)
    recall_response = providers.Factory(RecallResponse, uow)
    remember_response = providers.Factory(RememberResponse, uow, clock)
    get_post = providers.Factory(GetPost, uow)
    list_posts = providers.Factory(ListPosts, uow)
    list_social_connections = providers.Factory(ListSocialConnections, uow)
    list_users = providers.Factory(ListUsers, uow)
    list_all_videos = providers.Factory(ListAllVideos, uow)
    get_admin_stats = providers.Factory(GetAdminStats, uow)


async def open_database(container: Container, *, migrate: bool = False) -> None:
    """Make sure the database can be used: migrate it (`migrate=True`, as `afp migrate` and the
    demo do) or refuse a schema that is behind with a message that says to run `afp migrate`."""
    db = container.database()
    if not isinstance(db, SqlDatabase):
        return
    url = container.checked_settings().database_url
    try:
        if migrate:
            await upgrade(url)
        else:
            await ensure_current(url)
    except SchemaBehind as error:
        raise ConfigurationError(str(error)) from None
    except (OSError, DBAPIError) as error:  # unreachable server, unreadable file...
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ConfigurationError(f"cannot use the database: {reason}") from None


async def reconcile_ledger(container: Container) -> list[Discrepancy]:
    """Check the ledger invariants on the configured SQL database (empty: consistent)."""
    db = container.database()
    if not isinstance(db, SqlDatabase):
        raise ConfigurationError("reconcile needs a SQL database (AFP_DATABASE_URL)")
    return await reconcile(db.engine)


async def close_database(container: Container) -> None:
    reads = container.status_reads()
    if reads is not None:
        await reads.close()
    db = container.database()
    if isinstance(db, SqlDatabase):
        await db.dispose()


def build_container(settings: Settings | None = None) -> Container:
    """A container for these settings (read from the environment when not given)."""
    container = Container(settings=settings or Settings())
    container.checked_settings()  # fail fast on settings that cannot work
    container.database()
    container.storage()
    container.cipher()
    return container


__all__ = [
    "ConfigurationError",
    "Container",
    "build_container",
    "close_database",
    "open_database",
    "reconcile_ledger",
]
