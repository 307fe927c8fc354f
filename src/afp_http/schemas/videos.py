"""Video schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from afp_core.domain.video import Video, VideoStatus
from afp_core.ports.repositories import VideoState
from afp_http.schemas._base import Out, jsonable


def download_path(video: Video | VideoState) -> str | None:
    return f"/videos/{video.id}/file" if video.status is VideoStatus.COMPLETED else None


class VideoStatusOut(Out):
    id: str
    status: str
    updated_at: datetime
    error_reason: str | None
    download_url: str | None = Field(description="Set once the video is COMPLETED")

    @classmethod
    def of(cls, video: Video | VideoState) -> VideoStatusOut:
        return cls(
            id=video.id,
            status=video.status.value,
            updated_at=video.updated_at,
            error_reason=video.error_reason,
            download_url=download_path(video),
        )


class VideoOut(Out):
    id: str
    status: str
    model: str
    duration_s: int
    aspect_ratio: str
    price: int
    created_at: datetime
    updated_at: datetime
    error_reason: str | None
    download_url: str | None
    batch_id: str | None
    product: dict[str, Any]

    @classmethod
    def of(cls, video: Video) -> VideoOut:
        return cls(
            id=video.id,
            status=video.status.value,
            model=video.spec.model,
            duration_s=video.spec.duration_s,
            aspect_ratio=video.spec.aspect_ratio,
            price=video.price,
            created_at=video.created_at,
            updated_at=video.updated_at,
            error_reason=video.error_reason,
            download_url=download_path(video),
            batch_id=video.batch_id,
            product=jsonable(video.product),
        )


class CancelledOut(Out):
    video_id: str
    status: str
    released: int = Field(description="Credits released back to the account")
