from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import ImageChops, ImageStat

from afp_adapters.local_video import LocalVideoGenerator, OfflineImageSource, frame_size
from afp_adapters.local_video.generator import Renderer
from afp_core.domain.errors import ProviderRejected, ProviderUnavailable
from afp_core.domain.video import FailureKind, VideoSpec
from afp_core.ports.generation import TaskState, VideoGenerator, VideoRequest
from tests.unit.local_video._video import jpeg, probe

PROMPT = (
    "Product handling: the creator holds, opens and uses HydraPeak Bottle, on camera, showing"
    ' it up close.\nDisclosure: show "#ad - AI-generated" on screen for the whole video.'
)
SCRIPT = "Ice for 24 hours. Leak-proof lid with a loop, fits my cup holder. Grab yours!"


def spec(image_urls: tuple[str, ...] = (), aspect_ratio: str = "9:16") -> VideoSpec:
    return VideoSpec(
        model="local",
        prompt=PROMPT,
        duration_s=2,
        aspect_ratio=aspect_ratio,
        image_urls=image_urls,
        script_text=SCRIPT,
    )


def generator(storage_dir: Path | None = None) -> LocalVideoGenerator:
    return LocalVideoGenerator(storage_dir, width=180, height=320, fps=12)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the local generator tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


async def test_submit_then_status_succeeded_then_download_gives_the_rendered_video(
    no_network: None,
) -> None:
    videos: VideoGenerator = generator()

    task_id = await videos.submit(VideoRequest("vid_1", spec(("https://cdn.example.com/a.jpg",))))
    status = await videos.status(task_id)

    assert task_id.startswith("local-vid_1-")
    assert status.state is TaskState.SUCCEEDED and status.result_url == f"local://{task_id}.mp4"
    data = await videos.download(status.result_url)
    assert data == await videos.download(status.result_url)
    video = probe(data)
    assert (video.codec, video.width, video.height, len(video.frames)) == ("h264", 180, 320, 24)


async def test_an_unknown_task_is_pending_and_an_unknown_result_url_is_rejected() -> None:
    videos = generator()

    assert (await videos.status("local-nope-123")).state is TaskState.PENDING
    with pytest.raises(ProviderRejected):
        await videos.download("local://local-nope-123.mp4")
    with pytest.raises(ProviderRejected):
        await videos.download("https://elsewhere.example/x.mp4")


async def test_the_same_request_twice_renders_once() -> None:
    videos = generator()
    request = VideoRequest("vid_1", spec())

    assert await videos.submit(request) == await videos.submit(request)
    assert videos.renders == 1


async def test_renders_kept_in_the_storage_dir_outlive_the_generator(tmp_path: Path) -> None:
    task_id = await generator(tmp_path).submit(VideoRequest("vid_1", spec()))

    later = generator(tmp_path)
    status = await later.status(task_id)

    assert (tmp_path / f"{task_id}.mp4").is_file()
    assert status.state is TaskState.SUCCEEDED and status.result_url is not None
    assert await later.download(status.result_url) == (tmp_path / f"{task_id}.mp4").read_bytes()
    assert (await later.status("../../etc/passwd")).state is TaskState.PENDING


async def test_file_and_data_images_are_used(tmp_path: Path, no_network: None) -> None:
    picture = tmp_path / "bottle.jpg"
    picture.write_bytes(jpeg((30, 200, 30)))
    inline = "data:image/jpeg;base64," + base64.b64encode(jpeg((200, 30, 30))).decode()
    videos = generator()

    task_id = await videos.submit(VideoRequest("vid_1", spec((picture.as_uri(), inline))))

    frames = probe(await videos.download(f"local://{task_id}.mp4")).frames
    first, last = frames[1].getpixel((90, 40)), frames[-1].getpixel((90, 40))
    assert isinstance(first, tuple) and isinstance(last, tuple)
    assert first[1] > 150 > first[0]  # green picture first
    assert last[0] > 150 > last[1]  # then the red one


async def test_the_event_loop_stays_free_while_rendering() -> None:
    videos = generator()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    await videos.submit(VideoRequest("vid_1", spec()))
    ticker.cancel()

    assert ticks > 3


@pytest.mark.parametrize(
    ("aspect", "size"),
    [("9:16", (180, 320)), ("16:9", (320, 180)), ("1:1", (180, 180)), ("bad", (180, 320))],
)
def test_the_frame_follows_the_aspect_ratio(aspect: str, size: tuple[int, int]) -> None:
    assert frame_size(aspect, (180, 320)) == size


async def test_a_16_9_spec_renders_landscape() -> None:
    videos = generator()

    task_id = await videos.submit(VideoRequest("vid_1", spec(aspect_ratio="16:9")))

    video = probe(await videos.download(f"local://{task_id}.mp4"))
    assert (video.width, video.height) == (320, 180)


async def test_a_renderer_failure_is_a_rejection() -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk full")

    videos = LocalVideoGenerator(renderer=broken)

    with pytest.raises(ProviderRejected, match="disk full"):
        await videos.submit(VideoRequest("vid_1", spec()))


async def test_the_offline_image_source_never_goes_online(no_network: None, tmp_path: Path) -> None:
    source = OfflineImageSource()
    (tmp_path / "a.png").write_bytes(b"png bytes")

    assert await source.fetch("https://m.media-amazon.com/images/I/demo.jpg") is None
    assert await source.fetch("http://127.0.0.1/a.jpg") is None
    assert await source.fetch("ftp://example.com/a.jpg") is None
    assert await source.fetch("file://remote-host/etc/hosts") is None
    assert await source.fetch((tmp_path / "missing.png").as_uri()) is None
    assert await source.fetch((tmp_path / "a.png").as_uri()) == b"png bytes"
    assert await source.fetch("data:text/plain,hi%20there") == b"hi there"
    assert await source.fetch("data:image/png;base64,@@@") is None
    assert await OfflineImageSource(max_bytes=3).fetch((tmp_path / "a.png").as_uri()) is None


# ---------------------------------------------------------------- bounded memory


def counting_renderer() -> tuple[list[str], Renderer]:
    """A fast renderer whose bytes depend only on its inputs; it logs each render's title."""
    made: list[str] = []

    def render(images: Sequence[object], captions: Sequence[str], **options: object) -> bytes:
        made.append(str(options["title"]))
        return f"mp4|{'|'.join(captions)}|{options['width']}x{options['height']}".encode()

    return made, render


def titled(title: str) -> VideoSpec:
    return VideoSpec("local", f"uses {title}, on camera", 2, "9:16", script_text=title)


async def test_with_a_storage_dir_renders_are_kept_on_disk_only(tmp_path: Path) -> None:
    made, render = counting_renderer()
    videos = LocalVideoGenerator(tmp_path, renderer=render)

    task_id = await videos.submit(VideoRequest("vid_1", titled("A")))

    assert videos._results == {}  # nothing held in memory
    on_disk = (tmp_path / f"{task_id}.mp4").read_bytes()
    assert await videos.download(f"local://{task_id}.mp4") == on_disk
    assert videos._results == {}
    (tmp_path / f"{task_id}.mp4").unlink()  # gone from disk: made again from its inputs
    assert (await videos.status(task_id)).state is TaskState.SUCCEEDED
    assert await videos.download(f"local://{task_id}.mp4") == on_disk
    assert made == ["A", "A"]


async def test_without_a_storage_dir_only_the_last_renders_stay_in_memory() -> None:
    made, render = counting_renderer()
    videos = LocalVideoGenerator(renderer=render, max_kept_renders=2)
    ids = [await videos.submit(VideoRequest(f"vid_{n}", titled(n))) for n in "ABC"]
    first = await videos.download(f"local://{ids[2]}.mp4")

    assert list(videos._results) == ids[1:]
    # the evicted one is still SUCCEEDED and is rendered again, identically, on download
    status = await videos.status(ids[0])
    assert status.state is TaskState.SUCCEEDED and status.result_url is not None
    again = await videos.download(status.result_url)
    assert again == b"mp4|A|1080x1920" and first == b"mp4|C|1080x1920"
    assert made == ["A", "B", "C", "A"]
    assert len(videos._results) == 2


async def test_a_render_past_the_remembered_ones_fails_clearly() -> None:
    _, render = counting_renderer()
    videos = LocalVideoGenerator(renderer=render, max_kept_renders=1, max_remembered_tasks=1)
    old = await videos.submit(VideoRequest("vid_1", titled("A")))
    await videos.submit(VideoRequest("vid_2", titled("B")))

    status = await videos.status(old)

    assert (status.state, status.failure) == (TaskState.FAILED, FailureKind.TERMINAL)
    assert "no longer held" in status.message and "storage_dir" in status.message
    with pytest.raises(ProviderRejected, match="no longer held"):
        await videos.download(f"local://{old}.mp4")
    assert await videos.submit(VideoRequest("vid_1", titled("A"))) == old  # asked again: made
    assert (await videos.status(old)).state is TaskState.SUCCEEDED


async def test_the_real_renderer_makes_an_evicted_video_again_with_the_same_frames() -> None:
    videos = LocalVideoGenerator(width=180, height=320, fps=12, max_kept_renders=1)
    first = await videos.submit(VideoRequest("vid_1", spec()))
    original = probe(await videos.download(f"local://{first}.mp4"))
    await videos.submit(VideoRequest("vid_2", spec(aspect_ratio="16:9")))

    again = probe(await videos.download(f"local://{first}.mp4"))

    assert videos.renders == 3
    assert (again.codec, again.width, again.height) == (original.codec, 180, 320)
    assert len(again.frames) == len(original.frames)
    for before, after in zip(original.frames, again.frames, strict=True):
        # the same picture; x264's threads may round a few pixels differently
        difference = ImageStat.Stat(ImageChops.difference(before, after)).mean
        assert max(difference) < 2.0


async def test_a_storage_dir_that_cannot_be_written_is_unavailable(tmp_path: Path) -> None:
    _, render = counting_renderer()
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("in the way")
    videos = LocalVideoGenerator(blocked, renderer=render)

    with pytest.raises(ProviderUnavailable, match="could not store"):
        await videos.submit(VideoRequest("vid_1", titled("A")))


def test_the_memory_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LocalVideoGenerator(max_kept_renders=0)
