"""The `VideoGenerator` contract, run against the fake, the local renderer and Kie.ai (offline).

Kie.ai is played by a small stateful stand-in behind `httpx.MockTransport`: it answers with the
recorded payload shapes of `../shared/fixtures/kie/` (task created, still generating, success
with `resultJson`, the 422 "recordInfo is null" of an unknown task) and serves the result file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import httpx
import pytest

from afp_adapters.fakes import FakeVideoGenerator, fake_mp4
from afp_adapters.kie import KieVideoGenerator
from afp_adapters.local_video import LocalVideoGenerator
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import TaskState, VideoGenerator, VideoRequest

pytestmark = pytest.mark.contract

SPEC = VideoSpec(
    model="sora-2",
    prompt="A creator shows the HydraPeak bottle on camera, vertical UGC style.",
    duration_s=10,
    aspect_ratio="9:16",
    image_urls=("https://cdn.example.com/bottle.jpg",),
    script_text="This bottle keeps drinks cold for 24 hours. Tap the link.",
)
MAX_POLLS = 5


class KieStandIn:
    """Enough of Kie.ai's jobs API to render one task: generating once, then success."""

    def __init__(self) -> None:
        self.polls: dict[str, int] = {}
        self.created = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/jobs/createTask"):
            self.created += 1
            task_id = f"task_sora-2-image-to-video_{self.created}"
            self.polls[task_id] = 0
            return _ok({"taskId": task_id})
        if path.endswith("/jobs/recordInfo"):
            task_id = request.url.params["taskId"]
            if task_id not in self.polls:
                return httpx.Response(
                    200, json={"code": 422, "msg": "recordInfo is null", "data": None}
                )
            self.polls[task_id] += 1
            if self.polls[task_id] == 1:
                return _ok({"taskId": task_id, "state": "generating", "resultJson": ""})
            result = {"resultUrls": [f"https://tempfile.kie.test/{task_id}.mp4"]}
            return _ok({"taskId": task_id, "state": "success", "resultJson": json.dumps(result)})
        if request.url.host == "tempfile.kie.test":
            return httpx.Response(
                200, content=fake_mp4(path), headers={"content-type": "video/mp4"}
            )
        return httpx.Response(404, json={"code": 404, "msg": "not found", "data": None})


def _ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"code": 200, "msg": "success", "data": data})


@pytest.fixture(params=["fake", "local", "kie"])
async def generator(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[VideoGenerator]:
    if request.param == "fake":
        yield FakeVideoGenerator()
    elif request.param == "local":
        yield LocalVideoGenerator(tmp_path, width=180, height=320, fps=12)
    else:
        client = httpx.AsyncClient(transport=httpx.MockTransport(KieStandIn()))
        async with client:
            yield KieVideoGenerator("kie-test-key", client=client)


async def _finished(generator: VideoGenerator, task_id: str) -> str:
    for _ in range(MAX_POLLS):
        status = await generator.status(task_id)
        assert status.state is not TaskState.FAILED, status.message
        if status.state is TaskState.SUCCEEDED:
            assert status.result_url
            return status.result_url
    pytest.fail(f"task {task_id} did not finish within {MAX_POLLS} polls")


async def test_a_submitted_task_finishes_and_its_video_can_be_downloaded(
    generator: VideoGenerator,
) -> None:
    task_id = await generator.submit(VideoRequest("v1", SPEC))
    assert isinstance(task_id, str) and task_id
    video = await generator.download(await _finished(generator, task_id))
    assert video[4:8] == b"ftyp"  # an MP4 file, whatever renders it


async def test_two_videos_get_two_tasks(generator: VideoGenerator) -> None:
    first = await generator.submit(VideoRequest("v1", SPEC))
    second = await generator.submit(
        VideoRequest("v2", attrs.evolve(SPEC, script_text="Another line, another video."))
    )
    assert first != second


async def test_a_task_the_provider_does_not_know_is_pending_not_failed(
    generator: VideoGenerator,
) -> None:
    unknown = {
        FakeVideoGenerator: "fake-task-unknown",
        LocalVideoGenerator: "local-unknown-000000000000",
        KieVideoGenerator: "jobs:task_never_created",
    }[type(generator)]
    assert (await generator.status(unknown)).state is TaskState.PENDING
