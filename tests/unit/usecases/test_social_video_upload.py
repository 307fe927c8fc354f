"""What a publish step reads of the stored video: its size up front, its bytes only range by
range and only when a platform is sent them (a pull platform's steps read none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afp_adapters.fakes import MemoryMediaStorage
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import HoldId, UserId, VideoId
from afp_core.domain.video import Video, VideoSpec, VideoStatus
from afp_core.usecases._social_posts import FILE_GONE, video_upload

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class CountingStorage(MemoryMediaStorage):
    def __init__(self) -> None:
        super().__init__()
        self.whole_reads = 0
        self.ranges: list[tuple[int, int]] = []

    async def read(self, key: str) -> bytes:
        self.whole_reads += 1
        return await super().read(key)

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        self.ranges.append((offset, length))
        return (self.objects[key][0])[offset : offset + length]


def _video(key: str | None) -> Video:
    video = Video(
        id=VideoId("v1"),
        user_id=UserId("u1"),
        spec=VideoSpec(model="afp-local", prompt="p", duration_s=8, aspect_ratio="9:16"),
        price=10,
        hold_id=HoldId("h1"),
        created_at=NOW,
        updated_at=NOW,
        deadline=NOW + timedelta(hours=1),
        status=VideoStatus.COMPLETED,
    )
    video.result_key = key
    return video


async def test_the_upload_knows_its_size_and_reads_only_the_ranges_asked() -> None:
    storage = CountingStorage()
    data = b"x" * 1000
    await storage.put("videos/u1/v1.mp4", data, "video/mp4")
    upload = await video_upload(storage, _video("videos/u1/v1.mp4"))
    assert (upload.size, storage.whole_reads, storage.ranges) == (1000, 0, [])
    assert await upload.read(200, 100) == data[200:300]
    assert (storage.whole_reads, storage.ranges) == (0, [(200, 100)])


async def test_a_video_whose_file_is_gone_cannot_be_published() -> None:
    with pytest.raises(ValidationFailed, match=FILE_GONE):
        await video_upload(CountingStorage(), _video("videos/u1/gone.mp4"))
    with pytest.raises(ValidationFailed, match=FILE_GONE):
        await video_upload(CountingStorage(), _video(None))
