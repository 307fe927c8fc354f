"""`/auth/oauth/{provider}` and `/social`: connect, list, disconnect, publish and poll posts."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from afp_adapters.fakes import FakeSocialPublisher
from tests.http.conftest import VIDEO_JSON, Api, Caller

CALLBACK = "http://127.0.0.1:8000/auth/oauth/tiktok/callback"


async def _authorize(api: Api, caller: Caller, provider: str = "tiktok") -> str:
    answer = await api.client.get(
        f"/auth/oauth/{provider}", headers=caller.headers, follow_redirects=False
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def _state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


async def _connect(api: Api, caller: Caller, provider: str = "tiktok") -> None:
    state = _state(await _authorize(api, caller, provider))
    answer = await api.client.get(
        f"/auth/oauth/{provider}/callback", params={"state": state, "code": "ok"}
    )
    assert answer.status_code == 200, answer.text


async def _completed_video(api: Api, caller: Caller) -> str:
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    assert answer.status_code == 202, answer.text
    await api.world.run_jobs()
    video_id = str(answer.json()["video_id"])
    status = (await api.client.get(f"/videos/{video_id}", headers=caller.headers)).json()
    assert status["status"] == "COMPLETED", status
    return video_id


async def _publish(api: Api, caller: Caller, video_id: str, **extra: Any) -> Any:
    body = {"video_id": video_id, "provider": "tiktok", "caption": "Cold for 24 hours #ad"}
    return await api.client.post("/social/publish", json={**body, **extra}, headers=caller.headers)


async def test_connecting_redirects_to_the_platform_with_pkce(api: Api) -> None:
    caller = await api.sign_up()
    location = await _authorize(api, caller)
    assert location.startswith("https://tiktok.fake.invalid/oauth/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]


async def test_the_authorization_url_can_be_answered_as_json(api: Api) -> None:
    caller = await api.sign_up()
    answer = await api.client.get("/auth/oauth/youtube?redirect=false", headers=caller.headers)
    assert answer.status_code == 200
    assert answer.json()["authorization_url"].startswith("https://youtube.fake.invalid/")


async def test_an_unknown_platform_is_422_and_connecting_needs_a_token(api: Api) -> None:
    caller = await api.sign_up()
    unknown = await api.client.get("/auth/oauth/myspace", headers=caller.headers)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "validation_error"
    anonymous = await api.client.get("/auth/oauth/tiktok", follow_redirects=False)
    assert anonymous.status_code == 401


async def test_the_callback_keeps_the_connection_once(api: Api) -> None:
    caller = await api.sign_up()
    state = _state(await _authorize(api, caller))
    params = {"state": state, "code": "ok"}
    answer = await api.client.get("/auth/oauth/tiktok/callback", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "provider": "tiktok",
        "status": "CONNECTED",
        "account_name": "tiktok demo account",
    }
    again = await api.client.get("/auth/oauth/tiktok/callback", params=params)
    assert again.status_code == 422
    assert "expired" in again.json()["detail"]


async def test_a_declined_or_refused_sign_in_is_not_kept(api: Api) -> None:
    caller = await api.sign_up()
    state = _state(await _authorize(api, caller))
    declined = await api.client.get(
        "/auth/oauth/tiktok/callback", params={"state": state, "error": "access_denied"}
    )
    assert declined.status_code == 422
    state = _state(await _authorize(api, caller))
    refused = await api.client.get(
        "/auth/oauth/tiktok/callback", params={"state": state, "code": "denied"}
    )
    assert refused.status_code == 502
    assert refused.json()["code"] == "provider_rejected"
    missing = await api.client.get("/auth/oauth/tiktok/callback", params={"code": "ok"})
    assert missing.status_code in (400, 422)
    listed = await api.client.get("/social/connections", headers=caller.headers)
    assert listed.json() == {"items": []}


async def test_connections_are_listed_per_user_and_can_be_disconnected(api: Api) -> None:
    caller = await api.sign_up()
    other = await api.sign_up()
    await _connect(api, caller)
    items = (await api.client.get("/social/connections", headers=caller.headers)).json()["items"]
    assert [(c["provider"], c["status"]) for c in items] == [("tiktok", "CONNECTED")]
    assert "access_token" not in str(items)
    theirs = await api.client.get("/social/connections", headers=other.headers)
    assert theirs.json() == {"items": []}

    done = await api.client.delete("/social/connections/tiktok", headers=caller.headers)
    assert done.status_code == 200
    assert done.json() == {"provider": "tiktok", "status": "REVOKED", "revoked_at_provider": True}
    twice = await api.client.delete("/social/connections/tiktok", headers=caller.headers)
    assert twice.status_code == 200
    never = await api.client.delete("/social/connections/youtube", headers=caller.headers)
    assert never.status_code == 404
    unknown = await api.client.delete("/social/connections/myspace", headers=caller.headers)
    assert unknown.status_code == 422
    assert (await api.client.get("/social/connections")).status_code == 401


async def test_a_completed_video_is_published_and_its_post_polled(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _completed_video(api, caller)
    await _connect(api, caller)
    answer = await _publish(api, caller, video_id)
    assert answer.status_code == 202, answer.text
    post_id = answer.json()["post_id"]
    assert answer.json()["status"] == "PUBLISHING"

    polled = (await api.client.get(f"/social/posts/{post_id}", headers=caller.headers)).json()
    assert polled["status"] == "PUBLISHING"  # nothing is sent until the job runs

    await api.world.run_jobs()
    post = (await api.client.get(f"/social/posts/{post_id}", headers=caller.headers)).json()
    assert (post["status"], post["video_id"], post["provider"]) == (
        "PUBLISHED",
        video_id,
        "tiktok",
    )
    assert post["post_url"].startswith("https://tiktok.fake.invalid/p/")
    async with api.world.db.unit_of_work() as uow:  # the row in `video_posts`
        row = await uow.posts.get_any(post_id)
    assert (row.post_url, row.publish_id) == (post["post_url"], "pub-tiktok-1")
    assert row.publish_started_at is not None
    [request] = _fake(api).requests
    assert request.ai_disclosure is True
    page = (await api.client.get("/social/posts?limit=10", headers=caller.headers)).json()
    assert [p["id"] for p in page["items"]] == [post_id]
    assert (page["limit"], page["offset"]) == (10, 0)
    skipped = (await api.client.get("/social/posts?offset=1", headers=caller.headers)).json()
    assert skipped["items"] == []


async def test_publish_replays_for_the_same_idempotency_key(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _completed_video(api, caller)
    await _connect(api, caller)
    headers = {**caller.headers, "Idempotency-Key": "post-1"}
    body = {"video_id": video_id, "provider": "tiktok", "caption": "hi"}
    first = await api.client.post("/social/publish", json=body, headers=headers)
    again = await api.client.post("/social/publish", json=body, headers=headers)
    assert first.json()["post_id"] == again.json()["post_id"]
    await api.world.run_jobs()
    assert len(_fake(api).published) == 1
    other = await api.client.post(
        "/social/publish", json={**body, "caption": "other"}, headers=headers
    )
    assert other.status_code == 409


def _tiktok() -> Any:
    from afp_core.domain.social import SocialProvider

    return SocialProvider.TIKTOK


def _fake(api: Api) -> FakeSocialPublisher:
    publisher = api.world.c.publishers()[_tiktok()]
    assert isinstance(publisher, FakeSocialPublisher)
    return publisher


async def test_publish_refuses_what_cannot_be_published(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    video_id = await _completed_video(api, caller)
    not_connected = await _publish(api, caller, video_id)
    assert not_connected.status_code == 422
    assert "connect" in not_connected.json()["detail"]

    await _connect(api, caller)
    queued = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    unfinished = await _publish(api, caller, queued.json()["video_id"])
    assert unfinished.status_code == 422
    assert "not finished" in unfinished.json()["detail"]

    for bad in ({"provider": "myspace"}, {"caption": "x" * 2201}, {"user_id": "someone"}):
        answer = await _publish(api, caller, video_id, **bad)
        assert answer.status_code == 422, bad
    assert (await api.client.post("/social/publish", json={})).status_code == 401


async def test_another_users_video_and_post_are_not_found(api: Api) -> None:
    owner = await api.sign_up(credits=5)
    other = await api.sign_up(credits=5)
    video_id = await _completed_video(api, owner)
    await _connect(api, owner)
    await _connect(api, other)
    post_id = (await _publish(api, owner, video_id)).json()["post_id"]
    theirs = await _publish(api, other, video_id)
    assert theirs.status_code == 404
    peek = await api.client.get(f"/social/posts/{post_id}", headers=other.headers)
    assert peek.status_code == 404
    assert peek.json()["code"] == "not_found"
    assert (await api.client.get("/social/posts", headers=other.headers)).json()["items"] == []


async def test_a_lapsed_grant_shows_as_needs_reconnect_and_publishing_asks_to_reconnect(
    api: Api,
) -> None:
    from afp_core.domain.errors import ReconnectRequired

    caller = await api.sign_up(credits=5)
    video_id = await _completed_video(api, caller)
    await _connect(api, caller)
    publisher = _fake(api)
    publisher.refresh_error = ReconnectRequired("invalid_grant")
    async with api.world.db.unit_of_work() as uow:  # the tokens are due for a refresh
        connection = await uow.connections.get(caller.user_id, _tiktok())
        assert connection is not None
        connection.expires_at = api.world.clock.now()
        await uow.connections.save(connection)
        await uow.commit()
    first = (await _publish(api, caller, video_id)).json()["post_id"]
    await api.world.run_jobs()
    post = (await api.client.get(f"/social/posts/{first}", headers=caller.headers)).json()
    assert post["status"] == "FAILED"
    assert "connect your account again" in post["error"]
    items = (await api.client.get("/social/connections", headers=caller.headers)).json()["items"]
    assert [c["status"] for c in items] == ["NEEDS_RECONNECT"]

    again = await _publish(api, caller, video_id)
    assert again.status_code == 409
    assert again.json()["code"] == "reconnect_required"
    publisher.refresh_error = None
    await _connect(api, caller)
    assert (await _publish(api, caller, video_id)).status_code == 202


async def test_disconnecting_a_lapsed_connection_deletes_it_without_calling_the_platform(
    api: Api,
) -> None:
    caller = await api.sign_up()
    await _connect(api, caller)
    async with api.world.db.unit_of_work() as uow:
        connection = await uow.connections.get(caller.user_id, _tiktok())
        assert connection is not None
        connection.mark_needs_reconnect()
        await uow.connections.save(connection)
        await uow.commit()
    done = await api.client.delete("/social/connections/tiktok", headers=caller.headers)
    assert done.json() == {"provider": "tiktok", "status": "REVOKED", "revoked_at_provider": False}
    assert _fake(api).revoked == []
