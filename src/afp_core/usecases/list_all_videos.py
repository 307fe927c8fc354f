"""ListAllVideos: every user's videos, for admins."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import Forbidden
from afp_core.domain.ids import UserId
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_PAGE = 100


@attrs.frozen
class ListAllVideosQuery:
    actor_id: UserId
    status: VideoStatus | None = None
    limit: int = attrs.field(default=50, validator=attrs.validators.in_(range(1, MAX_PAGE + 1)))
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class AllVideosPage:
    items: tuple[Video, ...]
    total: int  # every video matching the filter, not only this page


class ListAllVideos:
    """Every user's videos, newest first, with the total for the filter; only admins may
    list them (`Forbidden` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListAllVideosQuery) -> AllVideosPage:
        async with self._uow(read_only=True) as uow:
            actor = await uow.users.get(query.actor_id)
            if not actor.is_admin:
                raise Forbidden("only admins can list every user's videos")
            items = await uow.videos.list_all(
                status=query.status, limit=query.limit, offset=query.offset
            )
            counts = await uow.videos.count_all_by_status()
        total = counts.get(query.status, 0) if query.status else sum(counts.values())
        return AllVideosPage(tuple(items), total)


__all__ = ["AllVideosPage", "ListAllVideos", "ListAllVideosQuery"]
