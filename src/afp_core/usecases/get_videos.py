"""GetVideo, GetVideoStatus and ListVideos: a user's own videos, read from the database
(never the provider)."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.reads import VideoStatusReads
from afp_core.ports.repositories import VideoState
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_PAGE = 100


@attrs.frozen
class GetVideoQuery:
    user_id: UserId
    video_id: VideoId


class GetVideo:
    """One of the user's videos; another user's video is `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetVideoQuery) -> Video:
        async with self._uow(read_only=True) as uow:
            return await uow.videos.get(query.user_id, query.video_id)


class GetVideoStatus:
    """Where one of the user's videos is (its status columns only); another user's video is
    `NotFound`. What `GET /videos/{id}/status` answers, polled often: one narrow read, through
    `reads` when the adapter offers a cheaper path than a unit of work."""

    def __init__(self, uow: UnitOfWorkFactory, reads: VideoStatusReads | None = None) -> None:
        self._uow = uow
        self._reads = reads

    async def execute(self, query: GetVideoQuery) -> VideoState:
        if self._reads is not None:
            return await self._reads.state_of(query.user_id, query.video_id)
        async with self._uow(read_only=True) as uow:
            return await uow.videos.state_of(query.user_id, query.video_id)


@attrs.frozen
class ListVideosQuery:
    user_id: UserId
    status: VideoStatus | None = None
    limit: int = attrs.field(default=50, validator=attrs.validators.in_(range(1, MAX_PAGE + 1)))
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class VideoPage:
    items: tuple[Video, ...]
    total: int  # every video matching the filter, not only this page


class ListVideos:
    """The user's videos, newest first, with the total for the filter (one grouped count)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListVideosQuery) -> VideoPage:
        async with self._uow(read_only=True) as uow:
            items = await uow.videos.list_for_user(
                query.user_id, status=query.status, limit=query.limit, offset=query.offset
            )
            counts = await uow.videos.count_by_status(query.user_id)
        total = counts.get(query.status, 0) if query.status else sum(counts.values())
        return VideoPage(tuple(items), total)


__all__ = [
    "GetVideo",
    "GetVideoQuery",
    "GetVideoStatus",
    "ListVideos",
    "ListVideosQuery",
    "VideoPage",
]
