"""GetAdminStats: users, videos by status and credits outstanding, across every account."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from afp_core.domain.errors import Forbidden
from afp_core.domain.ids import UserId
from afp_core.domain.video import VideoStatus
from afp_core.ports.repositories import UserTotals
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class GetAdminStatsQuery:
    actor_id: UserId


@attrs.frozen
class AdminStats:
    users: int
    videos_by_status: Mapping[VideoStatus, int]  # every status, zero included
    credits: UserTotals  # what all accounts hold together: the credits outstanding


class GetAdminStats:
    """Totals over every account, read in one unit of work; only admins may read them
    (`Forbidden` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetAdminStatsQuery) -> AdminStats:
        async with self._uow(read_only=True) as uow:
            actor = await uow.users.get(query.actor_id)
            if not actor.is_admin:
                raise Forbidden("only admins can read the statistics")
            totals = await uow.users.totals()
            counts = await uow.videos.count_all_by_status()
        by_status = {status: counts.get(status, 0) for status in VideoStatus}
        return AdminStats(totals.users, by_status, totals)


__all__ = ["AdminStats", "GetAdminStats", "GetAdminStatsQuery"]
