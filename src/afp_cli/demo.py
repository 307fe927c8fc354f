"""`afp demo`: the whole pipeline in one process on fakes, with progress on stderr."""

from __future__ import annotations

import secrets
import tempfile
import urllib.parse
from datetime import timedelta
from pathlib import Path

from dependency_injector import providers
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from afp_bootstrap import (
    Container,
    Settings,
    build_container,
    close_database,
    job_runner,
    open_database,
)
from afp_core.domain.errors import ContentBlocked, ProviderRejected
from afp_core.domain.payments import PaymentProviderName
from afp_core.domain.policy import SocialTiming, VideoTiming
from afp_core.domain.script import ScriptOptions
from afp_core.domain.social import SocialProvider
from afp_core.domain.video import VideoStatus
from afp_core.usecases import (
    AssessContentCommand,
    BeginSocialConnectionCommand,
    CreateCheckoutCommand,
    CreateUserCommand,
    FinishSocialConnectionCommand,
    HandlePaymentNoticeCommand,
    PublishVideoCommand,
    ScrapeProductCommand,
    StartVideoCommand,
    WriteScriptCommand,
)

DEMO_URL = "https://www.amazon.com/dp/B0DEMO0001"


def demo_container(database_url: str) -> Container:
    """The embedded default (SQLite, fake providers) with timings short enough to watch."""
    settings = Settings(
        providers="fake",
        database_url=database_url,
        fake_webhook_secret=SecretStr(secrets.token_hex(16)),
    )
    container = build_container(settings)
    container.video_timing.override(
        providers.Object(VideoTiming(poll_schedule_s=(1,), submit_backoff_s=(1,)))
    )
    container.social_timing.override(
        providers.Object(SocialTiming(post_check_delay=timedelta(seconds=1)))
    )
    return container


async def run_demo(*, url: str | None, credits: int, model: str) -> str:
    with tempfile.TemporaryDirectory(prefix="afp-demo-") as folder:
        c = demo_container(f"sqlite:///{Path(folder) / 'demo.db'}")
        try:
            await open_database(c, migrate=True)
            return await _pipeline(c, url=url, credits=credits, model=model)
        finally:
            await close_database(c)


async def _pipeline(c: Container, *, url: str | None, credits: int, model: str) -> str:
    console = Console(stderr=True)
    runner = job_runner(c)
    say = console.print

    say("[bold]AFP demo[/] — SQLite, fake providers, no keys, no network\n")
    user = (
        await c.create_user().execute(
            CreateUserCommand(email="demo@afp.local", starting_credits=credits)
        )
    ).user
    say(f"[green]✓[/] user {user.email} with {credits} credits")

    with console.status("scraping the product page…"):
        product = (await c.scrape_product().execute(ScrapeProductCommand(url or DEMO_URL))).product
    say(
        f"[green]✓[/] scraped: [bold]{product.title}[/] ({len(product.bullets)} bullets, "
        f"{len(product.images)} images)"
    )

    written = await c.write_script().execute(
        WriteScriptCommand(product, ScriptOptions(count=2, duration_s=8))
    )
    script = written.scripts[0].script
    say(
        f"[green]✓[/] wrote {len(written.scripts)} scripts; using the "
        f"[italic]{script.angle}[/] one: “{script.hook}”"
    )

    assessment = await c.assess_content().execute(
        AssessContentCommand(user.id, product, script, model=model)
    )
    say(
        f"[green]✓[/] assessed: risk {assessment.risk_score}/100, quality "
        f"{assessment.quality_score}/100, {len(assessment.factors)} factor(s)"
    )
    if assessment.blocked:
        raise ContentBlocked(assessment.block_reasons)

    started = await c.start_video().execute(
        StartVideoCommand(user.id, product, script, model=model, idempotency_key="demo-video")
    )
    say(
        f"[green]✓[/] video {started.video_id} queued on {started.model}: "
        f"{started.price} credit(s) held"
    )

    with console.status("rendering, storing and settling…"):
        await runner.run_until_idle()
    async with c.uow()() as uow:
        video = await uow.videos.get(user.id, started.video_id)
    if video.status is not VideoStatus.COMPLETED:
        raise ProviderRejected(f"the demo video ended {video.status.value}: {video.error_reason}")
    say(f"[green]✓[/] video completed and stored: {video.result_url}")

    pack = c.prices().packs[0]
    checkout = await c.create_checkout().execute(
        CreateCheckoutCommand(user.id, PaymentProviderName.FAKE, pack.id)
    )
    fake_payments = c.payments()[PaymentProviderName.FAKE]
    body, headers = fake_payments.webhook(  # type: ignore[attr-defined]
        event_id="evt_demo_paid",
        kind="paid",
        purchase_id=checkout.purchase_id,
        payment_id="pay_demo_1",
        amount=str(pack.price.amount),
        currency=pack.price.currency,
    )
    await c.handle_payment_notice().execute(
        HandlePaymentNoticeCommand(PaymentProviderName.FAKE, body, headers)
    )
    say(
        f"[green]✓[/] bought the “{pack.id}” pack: +{pack.credits.amount} credits "
        "(signed webhook verified)"
    )

    begun = await c.begin_social_connection().execute(
        BeginSocialConnectionCommand(
            user.id, SocialProvider.TIKTOK, "http://127.0.0.1:8000/auth/oauth/tiktok/callback"
        )
    )
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(begun.authorization_url).query)["state"][0]
    await c.finish_social_connection().execute(FinishSocialConnectionCommand(state, "demo"))
    posted = await c.publish_video().execute(
        PublishVideoCommand(user.id, video.id, SocialProvider.TIKTOK, f"{product.title} #ad")
    )
    with console.status("publishing to TikTok (fake)…"):
        await runner.run_until_idle()
    async with c.uow()() as uow:
        post = await uow.posts.get(user.id, posted.post_id)
        balance = await uow.ledger.balance(user.id)
    say(f"[green]✓[/] published to TikTok: {post.status.value} {post.post_url or ''}")

    table = Table(title="Demo summary", show_header=False)
    table.add_row("credits at start", str(credits))
    table.add_row("charged for the video", str(video.price))
    table.add_row("bought", str(pack.credits.amount))
    table.add_row("balance now", f"{balance.balance} (reserved {balance.reserved})")
    table.add_row("video", str(video.result_url))
    console.print(table)
    return str(video.result_url)
