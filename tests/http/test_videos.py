"""`/videos`: own videos only; status from the database; cancel; download."""

from __future__ import annotations

from tests.http.conftest import VIDEO_JSON, Api, Caller


async def _start(api: Api, caller: Caller) -> str:
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["video_id"])


async def test_list_get_and_status_show_the_callers_videos(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    ids = [await _start(api, caller) for _ in range(3)]
    page = (await api.client.get("/videos?limit=2", headers=caller.headers)).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert {v["id"] for v in page["items"]} <= set(ids)

    one = (await api.client.get(f"/videos/{ids[0]}", headers=caller.headers)).json()
    assert (one["id"], one["status"], one["model"], one["price"]) == (
        ids[0],
        "QUEUED",
        "afp-local",
        1,
    )
    status = (await api.client.get(f"/videos/{ids[0]}/status", headers=caller.headers)).json()
    assert status["status"] == "QUEUED"
    assert status["download_url"] is None
    assert api.world.generator.task_ids() == []  # the provider was never asked


async def test_videos_can_be_filtered_by_status(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _start(api, caller)
    await _start(api, caller)
    await api.client.post(f"/videos/{video_id}/cancel", headers=caller.headers)
    page = (await api.client.get("/videos?status=CANCELLED", headers=caller.headers)).json()
    assert [v["id"] for v in page["items"]] == [video_id]
    assert page["total"] == 1
    bad = await api.client.get("/videos?status=NOPE", headers=caller.headers)
    assert bad.status_code == 422


async def test_another_users_video_is_not_found_everywhere(api: Api) -> None:
    owner = await api.sign_up(credits=5)
    other = await api.sign_up(credits=5)
    video_id = await _start(api, owner)
    for method, path in (
        ("GET", f"/videos/{video_id}"),
        ("GET", f"/videos/{video_id}/status"),
        ("GET", f"/videos/{video_id}/file"),
        ("POST", f"/videos/{video_id}/cancel"),
    ):
        answer = await api.client.request(method, path, headers=other.headers)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"
    assert (await api.client.get("/videos", headers=other.headers)).json()["items"] == []


async def test_cancel_releases_the_credits_once(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _start(api, caller)
    answer = await api.client.post(f"/videos/{video_id}/cancel", headers=caller.headers)
    assert answer.status_code == 200
    assert answer.json() == {"video_id": video_id, "status": "CANCELLED", "released": 1}
    credits = (await api.client.get("/credits", headers=caller.headers)).json()
    assert (credits["balance"], credits["reserved"]) == (5, 0)
    again = await api.client.post(f"/videos/{video_id}/cancel", headers=caller.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


async def test_a_video_without_a_file_yet_has_no_download(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _start(api, caller)
    answer = await api.client.get(f"/videos/{video_id}/file", headers=caller.headers)
    assert answer.status_code == 404


async def test_on_sqlite_the_status_poll_reads_through_the_status_reader(
    sqlite_url: str,
) -> None:
    """On a SQL database the route answers from `VideoStatusReads` (not a unit of work): the
    owner sees each committed change at once, another user gets 404."""
    from litestar.testing import AsyncTestClient

    from afp_adapters.sql.status_reads import SqliteStatusReads
    from afp_core.domain.ids import VideoId
    from afp_core.usecases import CancelVideoCommand
    from tests.http.conftest import build_api_app
    from tests.world import World

    world = World(database_url=sqlite_url)
    assert isinstance(world.c.status_reads(), SqliteStatusReads)
    app = build_api_app(world)
    async with AsyncTestClient(app=app) as client:
        api = Api(world, app, client)
        owner, other = await api.sign_up(credits=5), await api.sign_up()
        video_id = await _start(api, owner)
        path = f"/videos/{video_id}/status"
        assert (await client.get(path, headers=owner.headers)).json()["status"] == "QUEUED"
        await world.c.cancel_video().execute(CancelVideoCommand(owner.user_id, VideoId(video_id)))
        assert (await client.get(path, headers=owner.headers)).json()["status"] == "CANCELLED"
        assert (await client.get(path, headers=other.headers)).status_code == 404
