"""Read-only look-ups the core has no use case for yet (see the lead's notes in the report).

Each reads through the unit of work with the owner's id, so another user's video is
`NotFound` as everywhere else. Replace these with `GetVideo`, `ListVideos` and a storage read
on the `MediaStorage` port when the core has them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import cast

from afp_bootstrap import Container
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.unit_of_work import UnitOfWorkFactory


def _uow(container: Container) -> UnitOfWorkFactory:
    factory: UnitOfWorkFactory = container.uow()
    return factory


async def get_video(container: Container, user_id: UserId, video_id: VideoId) -> Video:
    async with _uow(container)(read_only=True) as uow:
        return await uow.videos.get(user_id, video_id)


async def list_videos(
    container: Container,
    user_id: UserId,
    *,
    status: VideoStatus | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Video], int]:
    async with _uow(container)(read_only=True) as uow:
        videos = await uow.videos.list_for_user(user_id, status=status, limit=limit, offset=offset)
        counts = await uow.videos.count_by_status(user_id)
    total = counts.get(status, 0) if status is not None else sum(counts.values())
    return videos, total


async def read_stored(container: Container, key: str) -> bytes:
    """The stored object's bytes. `MediaStorage` has no read method yet: adapters that can
    read (`LocalFileStorage.read`) are used; others answer `NotFound`."""
    storage = container.storage()
    reader = getattr(storage, "read", None)
    if reader is None or not await storage.exists(key):
        raise NotFound("the stored file is not available")
    return await cast(Callable[[str], Awaitable[bytes]], reader)(key)


__all__ = ["get_video", "list_videos", "read_stored"]
