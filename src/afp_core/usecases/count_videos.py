"""CountVideosByStatus: how many videos are in each status, across every user (metrics)."""

from __future__ import annotations

from collections.abc import Mapping

from afp_core.domain.video import VideoStatus
from afp_core.ports.unit_of_work import UnitOfWorkFactory


class CountVideosByStatus:
    """Read-only; every status is in the answer, those with no video as 0 (so a gauge drops to
    zero instead of keeping its last value)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self) -> Mapping[VideoStatus, int]:
        async with self._uow(read_only=True) as uow:
            counts = await uow.videos.count_all_by_status()
        return {status: counts.get(status, 0) for status in VideoStatus}


__all__ = ["CountVideosByStatus"]
