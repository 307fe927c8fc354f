"""Idempotent answers live in the database: a new app (another process, a restart) on the same
database replays them; `/metrics` reads the video counts from there too."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.http.conftest import PASSWORD, VIDEO_JSON, Api, build_api_app
from tests.world import World


async def test_a_new_app_on_the_same_database_replays_the_first_answer(sqlite_url: str) -> None:
    first_world = World(database_url=sqlite_url)
    async with AsyncTestClient(app=build_api_app(first_world)) as client:
        api = Api(first_world, client.app, client)
        caller = await api.sign_up(credits=5)
        headers = {**caller.headers, "Idempotency-Key": "video-across-restarts"}
        first = await client.post("/generate/video", json=VIDEO_JSON, headers=headers)
        assert first.status_code == 202, first.text
        assert "idempotent-replayed" not in first.headers

    second_world = World(database_url=sqlite_url)
    async with AsyncTestClient(app=build_api_app(second_world)) as client:
        login = await client.post("/auth/login", json={"email": caller.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {
            "Authorization": f"Bearer {login.json()['token']}",
            "Idempotency-Key": "video-across-restarts",
        }
        again = await client.post("/generate/video", json=VIDEO_JSON, headers=headers)
        assert again.status_code == 202
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        other = await client.post(
            "/generate/video", json={**VIDEO_JSON, "duration_s": 10}, headers=headers
        )
        assert other.status_code == 409
        assert other.json()["code"] == "idempotency_conflict"
        credits = (await client.get("/credits", headers=headers)).json()
    assert credits["reserved"] == 1  # one video held for, not two


async def test_metrics_show_videos_by_status(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    assert answer.status_code == 202
    text = (await api.client.get("/metrics")).text
    assert 'afp_videos{status="QUEUED"} 1.0' in text
    assert 'afp_videos{status="COMPLETED"} 0.0' in text
