"""`POST /webhooks/kie`: verified on raw bytes, a hint that schedules a poll."""

from __future__ import annotations

import json

from afp_adapters.kie import KieCallbackVerifier
from afp_core.domain.ids import VideoId
from tests.http.conftest import VIDEO_JSON, Api

NOW = "1767268800"  # the verifier's clock in conftest
VERIFIER = KieCallbackVerifier("kie-hmac-test")


def _signed(task: str, stamp: str = NOW) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"code": 200, "msg": "success", "data": {"taskId": task}}).encode()
    headers = {
        "X-Webhook-Timestamp": stamp,
        "X-Webhook-Signature": VERIFIER.signature(task, stamp),
        "Content-Type": "application/json",
    }
    return body, headers


async def test_a_signed_callback_for_a_known_task_schedules_a_poll(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    started = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    video_id = VideoId(started.json()["video_id"])
    await api.world.runner.run_due()  # submits the render
    async with api.world.uow() as uow:  # as if Kie.ai had made the task
        video = await uow.videos.get_any(video_id)
        video.provider_task_id = "veo:task-1"
        await uow.videos.save(video)
        await uow.commit()
    body, headers = _signed("task-1")
    answer = await api.client.post("/webhooks/kie", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "scheduled": True}


async def test_a_callback_for_an_unknown_task_is_acknowledged(api: Api) -> None:
    body, headers = _signed("nobody-knows")
    answer = await api.client.post("/webhooks/kie", content=body, headers=headers)
    assert answer.json() == {"received": True, "scheduled": False}


async def test_a_bad_or_missing_signature_is_401(api: Api) -> None:
    body, headers = _signed("task-1")
    forged = {**headers, "X-Webhook-Signature": "AAAA"}
    for sent in (forged, {"Content-Type": "application/json"}):
        answer = await api.client.post("/webhooks/kie", content=body, headers=sent)
        assert answer.status_code == 401
        assert answer.json()["code"] == "invalid_signature"


async def test_a_body_that_is_not_a_callback_is_422(api: Api) -> None:
    answer = await api.client.post("/webhooks/kie", content=b"not json")
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"
