"""What the local renderer makes passes the check every stored result goes through."""

from __future__ import annotations

from afp_adapters.local_video import LocalVideoGenerator
from afp_core.domain.media import check_mp4
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import VideoRequest


async def test_a_local_render_is_accepted_as_an_mp4_video() -> None:
    videos = LocalVideoGenerator(None, width=180, height=320, fps=12)
    spec = VideoSpec("local", "A bottle on a desk.", 1, "9:16", script_text="Cold all day.")
    status = await videos.status(await videos.submit(VideoRequest("vid_1", spec)))
    assert status.result_url is not None
    check_mp4(await videos.download(status.result_url))
