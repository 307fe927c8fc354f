"""Money moves shared by the video and batch use cases (not a use case itself).

A video's credits are settled under one ledger key per video (`video:<id>:settle`), so even a
bug that tried to settle twice would replay or conflict in the ledger instead of moving credits
again.
"""

from __future__ import annotations

from datetime import datetime

from afp_core.domain.batch import Batch, BatchItem
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.events import (
    CreditsCaptured,
    CreditsReleased,
    VideoCancelled,
    VideoCompleted,
    VideoFailed,
)
from afp_core.domain.ids import BatchItemId, HoldId, UserId
from afp_core.domain.jobs import Job, JobName, JobPayload
from afp_core.domain.video import Funding, Video
from afp_core.ports.unit_of_work import UnitOfWork


def settle_key(video: Video) -> str:
    return f"video:{video.id}:settle"


async def hold_is_usable(uow: UnitOfWork, user_id: UserId, hold_id: HoldId, now: datetime) -> bool:
    """True while the hold can still be captured or released. An expired hold has already
    given its remainder back (or will, when the sweeper runs), so nothing may move on it."""
    hold = await uow.ledger.get_hold(user_id, hold_id)
    return hold.is_open and now < hold.expires_at


async def charge_completed(uow: UnitOfWork, video: Video, now: datetime) -> None:
    """Capture the video's price from its hold; settle its batch item as a success."""
    await uow.ledger.capture(
        video.user_id, video.hold_id, video.price, key=settle_key(video), now=now
    )
    uow.events.record(CreditsCaptured(now, video.user_id, video.hold_id, video.price))
    uow.events.record(VideoCompleted(now, video.id, video.user_id, video.price))
    await _settle_item(uow, video, succeeded=True, now=now)


async def release_unfinished(uow: UnitOfWork, video: Video, now: datetime) -> None:
    """Release what the video held (its own hold, or its share of the batch hold)."""
    if await hold_is_usable(uow, video.user_id, video.hold_id, now):
        amount = None if video.funding is Funding.OWN_HOLD else video.price
        receipt = await uow.ledger.release(
            video.user_id, video.hold_id, amount, key=settle_key(video), now=now
        )
        uow.events.record(CreditsReleased(now, video.user_id, video.hold_id, receipt.amount))
    if video.status.value == "CANCELLED":
        uow.events.record(VideoCancelled(now, video.id, video.user_id))
    else:
        uow.events.record(VideoFailed(now, video.id, video.user_id, video.error_reason or ""))
    await _settle_item(uow, video, succeeded=False, now=now)


async def _settle_item(uow: UnitOfWork, video: Video, *, succeeded: bool, now: datetime) -> None:
    """Settle the video's batch item: the batch row locked, that item and the next waiting
    ones read, never the whole batch."""
    if video.batch_id is None or video.batch_item_id is None:
        return
    header = await uow.batches.get_header(video.batch_id, lock=True)
    item = await uow.batches.get_item(video.batch_id, video.batch_item_id, lock=True)
    if item.video_id != video.id:
        return  # a video of an earlier attempt: the item has moved on
    settlement = header.settle_item(
        item, succeeded=succeeded, now=now, error=None if succeeded else video.error_reason
    )
    if settlement.already_settled:
        return
    await uow.batches.save_item(header.id, item)
    await dispatch_next(uow, header, now)
    await uow.batches.save_header(header)


async def dispatch_next(uow: UnitOfWork, header: BatchHeader, now: datetime) -> None:
    """Fill the batch's window from its next waiting items and queue their jobs; the caller
    saves the header (locked) afterwards."""
    room = header.room
    if room <= 0:
        return
    chosen = header.dispatch(await uow.batches.next_to_dispatch(header.id, room), now)
    for item in chosen:
        await uow.batches.save_item(header.id, item)
    await queue_items(uow, header, chosen, now)


async def release_item(
    uow: UnitOfWork, batch: Batch, item_id: BatchItemId, amount: int, now: datetime
) -> None:
    """Release one batch item's price from its hold (the item failed or was cancelled)."""
    await release_share(uow, batch, batch.item(item_id), amount, now)


async def release_share(
    uow: UnitOfWork, batch: Batch | BatchHeader, item: BatchItem, amount: int, now: datetime
) -> None:
    """`release_item` for an item loaded on its own (beside its batch's header)."""
    hold_id = batch.hold_of(item)
    if amount <= 0 or not await hold_is_usable(uow, batch.user_id, hold_id, now):
        return
    key = f"batch:{batch.id}:{item.settle_key}"
    await uow.ledger.release(batch.user_id, hold_id, amount, key=key, now=now)
    uow.events.record(CreditsReleased(now, batch.user_id, hold_id, amount))


async def queue_items(
    uow: UnitOfWork, batch: Batch | BatchHeader, items: list[BatchItem], now: datetime
) -> None:
    """Defer one `process_batch_item` job per item just dispatched (same unit of work)."""
    for item in items:
        payload: JobPayload = {"batch_id": batch.id, "item_id": item.id, "attempt": item.attempts}
        await uow.jobs.defer(Job(JobName.PROCESS_BATCH_ITEM, payload, run_at=now))
