"""ProcessBatchItem: run one batch row through scrape, script and assessment, then queue its
video on the batch's hold (the `process_batch_item` job), within the concurrency limits."""

from __future__ import annotations

import attrs

from afp_core.domain.assessment import AssessmentInput, assess
from afp_core.domain.batch import BatchItem, ItemStatus, start_allowed
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.errors import BlockedUrl, DomainError, ProviderUnavailable, ScrapeBlocked
from afp_core.domain.ids import BatchId, BatchItemId, UserId, VideoId
from afp_core.domain.jobs import Job, JobName, JobPayload
from afp_core.domain.policy import BatchLimits, VideoTiming
from afp_core.domain.pricing import PriceTable
from afp_core.domain.script import ScriptOptions, seller_script
from afp_core.domain.video import Funding, Video, VideoSpec
from afp_core.ports.generation import ContentModerator, ProductScraper, ScriptWriter
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._settlement import dispatch_next, release_share


@attrs.frozen
class ProcessBatchItemCommand:
    batch_id: BatchId
    item_id: BatchItemId
    attempt: int = 1  # a job of an earlier attempt (the item was retried since) does nothing


@attrs.frozen
class ProcessBatchItemResult:
    item_id: BatchItemId
    status: ItemStatus
    video_id: VideoId | None = None
    error: str | None = None


class ProcessBatchItem:
    """The script is the row's own `script` when it has one (used as written, assessed like
    any other); otherwise variant K of a row asks the writer for K scripts and takes the
    K-th (a writer's scripts in one answer have distinct angles and hooks; variants written
    in separate requests are very likely, not certain, to differ). Fewer scripts than that
    fail the item and release its price: a repeated script is never charged as a variant.

    A blocked page, blocked content or a script failure settles the item as FAILED and
    releases its price; `ProviderUnavailable` propagates so the job queue retries later.
    An item that is no longer PENDING (cancelled, or already processed) is skipped.

    Before any work, the concurrency limits are checked (`start_allowed`: per user, global,
    and a fair share while several users have items in flight); an item that may not start
    yet is deferred by `BatchLimits.busy_delay` and keeps its place in its batch's window.
    Settling an item (here on failure, or when its video ends) dispatches the next one.

    Every step reads the batch's header and this one item, never the batch's other items
    (`BatchRepository.get_header`/`get_item`), and the writes lock the batch row first, so an
    item costs the same in a 10-row batch as in a 10,000-row one."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        scraper: ProductScraper,
        writer: ScriptWriter,
        moderator: ContentModerator,
        clock: Clock,
        ids: IdGenerator,
        prices: PriceTable,
        timing: VideoTiming | None = None,
        limits: BatchLimits | None = None,
    ) -> None:
        self._uow = uow
        self._scraper = scraper
        self._writer = writer
        self._moderator = moderator
        self._clock = clock
        self._ids = ids
        self._prices = prices
        self._timing = timing or VideoTiming()
        self._limits = limits or BatchLimits()

    def _skip(self, batch: BatchHeader, item: BatchItem, attempt: int) -> bool:
        stale = item.status is not ItemStatus.PENDING or item.attempts != attempt
        return stale or batch.cancelled_at is not None

    async def _wait_for_a_slot(self, command: ProcessBatchItemCommand, user_id: UserId) -> bool:
        """True (and the job deferred again) when the limits say not yet."""
        now = self._clock.now()
        async with self._uow() as uow:
            load = await uow.batches.in_flight_by_user()
            running = {user: n for user, (n, _) in load.items() if n}
            waiting = [user for user, (_, queued) in load.items() if queued]
            if start_allowed(
                user_id,
                running,
                user_limit=self._limits.user_concurrency,
                global_limit=self._limits.global_concurrency,
                waiting_users=waiting,
            ):
                return False
            payload: JobPayload = {
                "batch_id": command.batch_id,
                "item_id": command.item_id,
                "attempt": command.attempt,
            }
            run_at = now + self._limits.busy_delay
            await uow.jobs.defer(Job(JobName.PROCESS_BATCH_ITEM, payload, run_at=run_at))
            await uow.commit()
        return True

    async def execute(self, command: ProcessBatchItemCommand) -> ProcessBatchItemResult:
        async with self._uow(read_only=True) as uow:
            batch = await uow.batches.get_header(command.batch_id)
            item = await uow.batches.get_item(command.batch_id, command.item_id)
            user = await uow.users.get(batch.user_id)
        if self._skip(batch, item, command.attempt):
            return ProcessBatchItemResult(item.id, item.status, item.video_id, item.error)
        if await self._wait_for_a_slot(command, batch.user_id):
            return ProcessBatchItemResult(item.id, item.status, error="waiting for a free slot")
        options = {**batch.metadata, **item.options}
        duration = int(options["duration_s"])
        language = options.get("language", "en")
        tone = options.get("tone", "enthusiastic")
        try:
            product = await self._scraper.scrape(item.url)
            if own := options.get("script", "").strip():
                script = seller_script(own, language=language, tone=tone, duration_s=duration)
            else:
                # variant K asks for K scripts, distinct from each other, and takes the K-th,
                # so it does not repeat the first K-1 as the writer would write them
                scripts = await self._writer.write(
                    product,
                    ScriptOptions(
                        language=language, tone=tone, duration_s=duration, count=item.variant
                    ),
                )
                if len(scripts) < item.variant:
                    return await self._fail(
                        command,
                        f"provider_rejected: the script writer wrote {len(scripts)} of the "
                        f"{item.variant} scripts this variant needs",
                    )
                script = scripts[item.variant - 1]
            flags = await self._moderator.flags(script.text, product.images)
        except ProviderUnavailable:
            raise
        except (ScrapeBlocked, BlockedUrl) as error:
            return await self._fail(command, f"{error.code}: {error.message}")
        except DomainError as error:
            return await self._fail(command, f"{error.code}: {error.message}")
        assessment = assess(
            AssessmentInput(
                product=product,
                script=script,
                prompt=options.get("notes", ""),
                requested_model=options["model"],
                duration_s=duration,
                aspect_ratio=options["aspect_ratio"],
                plan=user.plan,
                moderation_flags=tuple(flags),
            ),
            self._prices,
        )
        if assessment.blocked:
            return await self._fail(
                command, "content_blocked: " + "; ".join(assessment.block_reasons)
            )
        now = self._clock.now()
        video_id = VideoId(self._ids.new_id())
        async with self._uow() as uow:
            batch = await uow.batches.get_header(command.batch_id, lock=True)
            item = await uow.batches.get_item(command.batch_id, command.item_id, lock=True)
            if self._skip(batch, item, command.attempt):
                return ProcessBatchItemResult(item.id, item.status, item.video_id, item.error)
            video = Video(
                id=video_id,
                user_id=batch.user_id,
                spec=VideoSpec(
                    model=options["model"],
                    prompt=assessment.enhanced_prompt.render(),
                    duration_s=duration,
                    aspect_ratio=options["aspect_ratio"],
                    image_urls=product.images,
                    script_text=script.text,
                ),
                price=item.price,
                hold_id=batch.hold_of(item),
                created_at=now,
                updated_at=now,
                deadline=now + self._timing.render_deadline,
                funding=Funding.BATCH_HOLD,
                batch_id=batch.id,
                batch_item_id=item.id,
                product={"url": product.url, "title": product.title},
                assessment=attrs.asdict(assessment, recurse=True),
            )
            batch.start_item(item, video_id, now)
            await uow.videos.add(video)
            await uow.batches.save_item(batch.id, item)
            await uow.batches.save_header(batch)
            await uow.jobs.defer(Job(JobName.SUBMIT_VIDEO, {"video_id": video_id}, run_at=now))
            await uow.commit()
        return ProcessBatchItemResult(item.id, ItemStatus.RUNNING, video_id)

    async def _fail(self, command: ProcessBatchItemCommand, error: str) -> ProcessBatchItemResult:
        now = self._clock.now()
        async with self._uow() as uow:
            batch = await uow.batches.get_header(command.batch_id, lock=True)
            item = await uow.batches.get_item(command.batch_id, command.item_id, lock=True)
            if self._skip(batch, item, command.attempt):
                return ProcessBatchItemResult(item.id, item.status, item.video_id, item.error)
            settlement = batch.settle_item(item, succeeded=False, now=now, error=error)
            if not settlement.already_settled:
                await release_share(uow, batch, item, settlement.released, now)
                await uow.batches.save_item(batch.id, item)
                await dispatch_next(uow, batch, now)
                await uow.batches.save_header(batch)
                await uow.commit()
        return ProcessBatchItemResult(item.id, item.status, item.video_id, item.error)
