"""Steps shared by the video workers and the sweeper (not a use case itself): failing a video
through `settle_video`, and ending holds whose time has passed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from afp_core.domain.events import CreditsReleased
from afp_core.domain.ids import VideoId
from afp_core.domain.jobs import Job, JobName
from afp_core.domain.ledger import LedgerReceipt
from afp_core.ports.unit_of_work import UnitOfWork


def unconfirmed_submit(detail: str) -> str:
    """Why a video whose create call may have reached the provider was failed."""
    return (
        f"the provider may have started the render but did not confirm it ({detail}); "
        "it was not resubmitted, so it is never paid for twice"
    )


async def defer_failure(uow: UnitOfWork, video_id: VideoId, reason: str, now: datetime) -> None:
    """Schedule `settle_video` as failed (it releases the credits). One settlement waits per
    video (`settle:<id>`): when one is queued already, that one decides."""
    await uow.jobs.defer(
        Job(
            JobName.SETTLE_VIDEO,
            {"video_id": video_id, "outcome": "failed", "reason": reason},
            run_at=now,
            dedupe_key=f"settle:{video_id}",
        )
    )


async def expire_due_holds(
    uow: UnitOfWork, now: datetime, *, limit: int
) -> Sequence[LedgerReceipt]:
    """End up to `limit` holds past their expiry: each releases exactly its open remainder
    (L11). Recorded as `CreditsReleased`; the caller commits."""
    receipts = await uow.ledger.expire_due(now, limit=limit)
    for receipt in receipts:
        if receipt.hold_id is not None:
            uow.events.record(
                CreditsReleased(now, receipt.user_id, receipt.hold_id, receipt.amount)
            )
    return receipts
