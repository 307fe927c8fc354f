"""StartVideo: assess, hold the price and queue the render, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.assessment import AssessmentInput, assess
from afp_core.domain.errors import ContentBlocked, ValidationFailed
from afp_core.domain.events import CreditsHeld, VideoQueued
from afp_core.domain.idempotency import IdempotencyRecord, check_key, fingerprint
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.policy import VideoTiming
from afp_core.domain.pricing import PlanTier, PriceTable
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script
from afp_core.domain.video import Video, VideoSpec, VideoStatus
from afp_core.ports.generation import ContentModerator, ImageInspector
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@attrs.frozen
class StartVideoCommand:
    user_id: UserId
    product: ProductFacts
    script: Script
    image_urls: tuple[str, ...] = ()
    model: str | None = None
    aspect_ratio: str = "9:16"
    duration_s: int | None = None
    prompt: str = ""
    likeness_consent: bool = False
    idempotency_key: str | None = None


@attrs.frozen
class StartVideoResult:
    video_id: VideoId
    status: VideoStatus
    price: int
    model: str
    assessment: Mapping[str, object]  # the stored assessment (scores, factors, prompt, model)
    replayed: bool = False


def _fingerprint(command: StartVideoCommand) -> str:
    payload = attrs.asdict(command, recurse=True, filter=lambda a, _: a.name != "idempotency_key")
    return fingerprint("start_video", payload)


class StartVideo:
    """Start one video for a user.

    Blocked content fails with `ContentBlocked` before anything is written. Otherwise, in one
    unit of work: the idempotency key is checked, the price is held, the video is created as
    QUEUED and a `submit_video` job is deferred. A replay with the same key returns the same
    video and holds nothing new; the same key with another request is `IdempotencyConflict`.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        prices: PriceTable,
        moderator: ContentModerator,
        images: ImageInspector,
        timing: VideoTiming | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._prices = prices
        self._moderator = moderator
        self._images = images
        self._timing = timing or VideoTiming()

    async def execute(self, command: StartVideoCommand) -> StartVideoResult:
        key = check_key(command.idempotency_key) if command.idempotency_key else None
        request_fp = _fingerprint(command)
        replay = await self._replay(command.user_id, key, request_fp)
        if replay is not None:
            return replay
        async with self._uow() as uow:
            user = await uow.users.get(command.user_id)
        image_urls = command.image_urls or command.product.images
        duration = command.duration_s or command.script.duration_s
        if command.model is not None:  # refused, never silently swapped for another model
            self._prices.price(command.model, duration, command.aspect_ratio)
            _check_plan_allows(self._prices, user.plan, command.model)
        flags = await self._moderator.flags(f"{command.script.text}\n{command.prompt}", image_urls)
        images = await self._images.inspect(image_urls)
        assessment = assess(
            AssessmentInput(
                product=command.product,
                script=command.script,
                prompt=command.prompt,
                images=tuple(images),
                requested_model=command.model,
                duration_s=duration,
                aspect_ratio=command.aspect_ratio,
                plan=user.plan,
                likeness_consent=command.likeness_consent,
                moderation_flags=tuple(flags),
            ),
            self._prices,
        )
        if assessment.blocked:
            raise ContentBlocked(assessment.block_reasons)
        if assessment.recommendation is None:
            raise ValidationFailed(
                f"no video model on the {user.plan.name.lower()} plan renders "
                f"{duration} s at {command.aspect_ratio}"
            )
        model = assessment.recommendation.model_id  # the requested one when the plan allows it
        price = self._prices.price(model, duration, command.aspect_ratio).amount
        now = self._clock.now()
        video_id = VideoId(self._ids.new_id())
        async with self._uow() as uow:
            if key is not None:
                found = await uow.idempotency.get(f"start_video:{command.user_id}", key)
                if found is not None:  # a concurrent twin committed first
                    return await self._from_record(uow, command.user_id, found, request_fp)
            receipt = await uow.ledger.hold(
                command.user_id,
                price,
                key=f"video:{video_id}:hold",
                now=now,
                expires_at=now + self._timing.hold_ttl,
                reference=f"video:{video_id}",
            )
            assert receipt.hold_id is not None  # noqa: S101 - a hold receipt names its hold
            video = Video(
                id=video_id,
                user_id=command.user_id,
                spec=VideoSpec(
                    model=model,
                    prompt=assessment.enhanced_prompt.render(),
                    duration_s=duration,
                    aspect_ratio=command.aspect_ratio,
                    image_urls=tuple(image_urls),
                    script_text=command.script.text,
                ),
                price=price,
                hold_id=receipt.hold_id,
                created_at=now,
                updated_at=now,
                deadline=now + self._timing.render_deadline,
                product=_product_summary(command.product),
                assessment=attrs.asdict(assessment, recurse=True),
            )
            await uow.videos.add(video)
            await uow.jobs.defer(Job(JobName.SUBMIT_VIDEO, {"video_id": video_id}, run_at=now))
            if key is not None:
                await uow.idempotency.add(
                    IdempotencyRecord(
                        f"start_video:{command.user_id}", key, request_fp, video_id, now
                    )
                )
            uow.events.record(CreditsHeld(now, command.user_id, receipt.hold_id, price))
            uow.events.record(VideoQueued(now, video_id, command.user_id, price))
            await uow.commit()
        return StartVideoResult(
            video_id, VideoStatus.QUEUED, price, model, attrs.asdict(assessment, recurse=True)
        )

    async def _replay(
        self, user_id: UserId, key: str | None, request_fp: str
    ) -> StartVideoResult | None:
        if key is None:
            return None
        async with self._uow() as uow:
            found = await uow.idempotency.get(f"start_video:{user_id}", key)
            if found is None:
                return None
            return await self._from_record(uow, user_id, found, request_fp)

    async def _from_record(
        self, uow: UnitOfWork, user_id: UserId, found: IdempotencyRecord, request_fp: str
    ) -> StartVideoResult:
        video_id = VideoId(found.replay(request_fp))
        video = await uow.videos.get(user_id, video_id)
        return StartVideoResult(
            video.id,
            video.status,
            video.price,
            video.spec.model,
            video.assessment,
            replayed=True,
        )


def _check_plan_allows(prices: PriceTable, plan: PlanTier, model_id: str) -> None:
    """Asking for a model the plan does not include is refused, never silently swapped."""
    model = prices.model(model_id)
    allowed = prices.models_for(plan)
    if model not in allowed:
        names = ", ".join(m.id for m in allowed)
        raise ValidationFailed(
            f"model {model_id} is not available on the {plan.name.lower()} plan; "
            f"choose one of {names}"
        )


def _product_summary(product: ProductFacts) -> dict[str, object]:
    return {
        "url": product.url,
        "title": product.title,
        "brand": product.brand,
        "sku": product.sku,
        "asin": product.asin,
    }


__all__ = ["StartVideo", "StartVideoCommand", "StartVideoResult"]
