"""`/admin`: users and credits, every user's videos, statistics and providers; admins only."""

from __future__ import annotations

import pytest

from afp_core.domain.errors import ProviderUnavailable
from tests.http.conftest import VIDEO_JSON, Api

ADMIN_ROUTES = [
    ("GET", "/admin/users"),
    ("POST", "/admin/users/{id}/credits"),
    ("GET", "/admin/videos"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/providers"),
]
ADJUSTMENT = {"amount": 25, "reason": "support goodwill"}


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_need_a_token_and_the_admin_role(
    api: Api, method: str, path: str
) -> None:
    user = await api.sign_up()
    url = path.format(id=user.user_id)
    body = ADJUSTMENT if method == "POST" else None
    anonymous = await api.client.request(method, url, json=body)
    assert anonymous.status_code == 401
    refused = await api.client.request(method, url, json=body, headers=user.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


async def test_users_are_listed_with_their_credits(api: Api) -> None:
    admin = await api.admin()
    user = await api.sign_up(credits=7)
    page = (await api.client.get("/admin/users?limit=1&offset=1", headers=admin.headers)).json()
    assert page["total"] == 2
    assert [(u["id"], u["role"], u["credits"]["balance"]) for u in page["items"]] == [
        (user.user_id, "user", 7)
    ]
    assert (await api.client.get("/admin/users?limit=0", headers=admin.headers)).status_code == 422


async def test_credits_are_granted_and_taken_back_with_a_reason(api: Api) -> None:
    admin = await api.admin()
    user = await api.sign_up()
    url = f"/admin/users/{user.user_id}/credits"
    granted = await api.client.post(url, json=ADJUSTMENT, headers=admin.headers)
    assert granted.status_code == 200, granted.text
    assert granted.json()["credits"]["balance"] == 25
    assert granted.json()["replayed"] is False
    taken = await api.client.post(
        url, json={"amount": -5, "reason": "correction"}, headers=admin.headers
    )
    assert taken.json()["credits"]["balance"] == 20
    journal = (await api.client.get("/credits/transactions", headers=user.headers)).json()
    assert {e["amount"] for e in journal["items"]} == {25, -5}
    assert any("support goodwill" in (e["reason"] or "") for e in journal["items"])


async def test_a_repeated_adjustment_key_applies_once(api: Api) -> None:
    admin = await api.admin()
    user = await api.sign_up()
    url = f"/admin/users/{user.user_id}/credits"
    headers = {**admin.headers, "Idempotency-Key": "grant-1"}
    await api.client.post(url, json=ADJUSTMENT, headers=headers)
    again = await api.client.post(url, json=ADJUSTMENT, headers=headers)
    assert again.status_code == 200
    assert (await api.world.balance(user.user_id)).balance == 25


async def test_refused_adjustments(api: Api) -> None:
    admin = await api.admin()
    user = await api.sign_up(credits=3)
    url = f"/admin/users/{user.user_id}/credits"
    too_much = await api.client.post(
        url, json={"amount": -10, "reason": "x"}, headers=admin.headers
    )
    assert too_much.status_code == 402
    assert too_much.json()["code"] == "insufficient_credits"
    for body in ({"amount": 0, "reason": "x"}, {"amount": 5, "reason": ""}, {"amount": 5}):
        answer = await api.client.post(url, json=body, headers=admin.headers)
        assert answer.status_code == 422, body
    nobody = await api.client.post(
        "/admin/users/nobody/credits", json=ADJUSTMENT, headers=admin.headers
    )
    assert nobody.status_code == 404
    assert (await api.world.balance(user.user_id)).balance == 3


async def test_every_users_videos_are_listed_and_filtered(api: Api) -> None:
    admin = await api.admin()
    ann = await api.sign_up(credits=5)
    bob = await api.sign_up(credits=5)
    mine = await api.client.post("/generate/video", json=VIDEO_JSON, headers=ann.headers)
    theirs = await api.client.post("/generate/video", json=VIDEO_JSON, headers=bob.headers)
    await api.client.post(f"/videos/{mine.json()['video_id']}/cancel", headers=ann.headers)
    page = (await api.client.get("/admin/videos", headers=admin.headers)).json()
    assert page["total"] == 2
    assert {(v["id"], v["user_id"]) for v in page["items"]} == {
        (mine.json()["video_id"], ann.user_id),
        (theirs.json()["video_id"], bob.user_id),
    }
    queued = (await api.client.get("/admin/videos?status=QUEUED", headers=admin.headers)).json()
    assert [v["id"] for v in queued["items"]] == [theirs.json()["video_id"]]
    assert queued["total"] == 1
    bad = await api.client.get("/admin/videos?status=NOPE", headers=admin.headers)
    assert bad.status_code == 422


async def test_stats_count_users_videos_and_credits_outstanding(api: Api) -> None:
    admin = await api.admin()
    ann = await api.sign_up(credits=5)
    await api.sign_up(credits=2)
    await api.client.post("/generate/video", json=VIDEO_JSON, headers=ann.headers)
    stats = (await api.client.get("/admin/stats", headers=admin.headers)).json()
    assert stats["users"] == 3
    assert stats["videos_by_status"]["QUEUED"] == 1
    assert stats["videos_by_status"]["COMPLETED"] == 0
    assert stats["credits"] == {"balance": 7, "reserved": 1, "available": 6, "debt": 0}


async def test_providers_show_the_adapters_and_the_circuit_breakers(api: Api) -> None:
    admin = await api.admin()
    breaker = api.world.c.breakers().get("kie")

    async def failing() -> None:
        raise ProviderUnavailable("kie is down")

    for _ in range(breaker.failure_threshold):
        with pytest.raises(ProviderUnavailable):
            await breaker.call(failing)
    body = (await api.client.get("/admin/providers", headers=admin.headers)).json()
    assert body["mode"] == "fake"
    assert body["adapters"]["scraper"] == "fake"
    assert body["adapters"]["payments"] == ["fake"]
    assert body["adapters"]["social"] == ["instagram", "tiktok", "youtube"]
    [kie] = body["breakers"]
    assert (kie["name"], kie["state"], kie["failures"]) == ("kie", "open", 5)
    assert kie["retry_after"] > 0
