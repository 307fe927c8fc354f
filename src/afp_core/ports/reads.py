"""Query ports for hot reads that bypass the unit of work (polled often, writing nothing)."""

from __future__ import annotations

from typing import Protocol

from afp_core.domain.ids import UserId, VideoId
from afp_core.ports.repositories import VideoState


class VideoStatusReads(Protocol):
    """What `GET /videos/{id}/status` reads, many times a second under polling."""

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        """The status columns of one of the user's videos, as last committed; `NotFound` for
        a video that is missing or another user's."""
        ...


__all__ = ["VideoStatusReads"]
