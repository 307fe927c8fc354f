"""`Idempotency-Key`: replay, conflict, concurrency."""

from __future__ import annotations

import asyncio

from tests.http.conftest import VIDEO_JSON, Api


async def test_the_same_key_and_body_replays_the_first_answer(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    headers = {**caller.headers, "Idempotency-Key": "video-1"}
    first = await api.client.post("/generate/video", json=VIDEO_JSON, headers=headers)
    second = await api.client.post("/generate/video", json=VIDEO_JSON, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(api.world.db.tables.videos) == 1
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 1


async def test_the_same_key_with_another_body_is_409(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    headers = {**caller.headers, "Idempotency-Key": "video-1"}
    await api.client.post("/generate/video", json=VIDEO_JSON, headers=headers)
    other = {**VIDEO_JSON, "duration_s": 10}
    answer = await api.client.post("/generate/video", json=other, headers=headers)
    assert answer.status_code == 409
    assert answer.json()["code"] == "idempotency_conflict"


async def test_keys_are_scoped_to_the_user(api: Api) -> None:
    first = await api.sign_up(credits=5)
    second = await api.sign_up(credits=5)
    for caller in (first, second):
        answer = await api.client.post(
            "/generate/video",
            json=VIDEO_JSON,
            headers={**caller.headers, "Idempotency-Key": "shared"},
        )
        assert answer.status_code == 202
        assert "idempotent-replayed" not in answer.headers
    assert len(api.world.db.tables.videos) == 2


async def test_concurrent_duplicates_run_once(api: Api) -> None:
    caller = await api.sign_up(credits=50)
    headers = {**caller.headers, "Idempotency-Key": "burst"}
    answers = await asyncio.gather(
        *(api.client.post("/generate/video", json=VIDEO_JSON, headers=headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["video_id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    assert len(api.world.db.tables.videos) == 1


async def test_a_failed_request_does_not_use_up_its_key(api: Api) -> None:
    caller = await api.sign_up(credits=0)
    headers = {**caller.headers, "Idempotency-Key": "retry-me"}
    refused = await api.client.post("/generate/video", json=VIDEO_JSON, headers=headers)
    assert refused.status_code == 402
    await api.grant(caller.user_id, 5)
    accepted = await api.client.post("/generate/video", json=VIDEO_JSON, headers=headers)
    assert accepted.status_code == 202


async def test_an_empty_or_overlong_key_is_refused(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post(
        "/generate/video",
        json=VIDEO_JSON,
        headers={**caller.headers, "Idempotency-Key": "k" * 201},
    )
    assert answer.status_code == 422
