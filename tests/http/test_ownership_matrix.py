"""Every route that takes a resource id: another user gets 404 (admin routes: 403), and the
owner's resource is untouched. The table is checked against the app's route table, so a new
route with a path parameter cannot be added without a row here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from tests.http.conftest import VIDEO_JSON, Api, Caller
from tests.http.test_social import _completed_video, _connect

Witness = Callable[[Api, Caller, str], Awaitable[None]]


async def _api_key(api: Api, owner: Caller) -> str:
    answer = await api.client.post("/auth/api-keys", json={"name": "ci"}, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _video(api: Api, owner: Caller) -> str:
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=owner.headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["video_id"])


async def _batch(api: Api, owner: Caller) -> str:
    rows = [{"url": "https://www.amazon.com/dp/B0DEMO0001", "model": "afp-local"}]
    answer = await api.client.post("/bulk/start-batch", json={"rows": rows}, headers=owner.headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["batch_id"])


async def _connection(api: Api, owner: Caller) -> str:
    await _connect(api, owner, "tiktok")
    return "tiktok"


async def _post(api: Api, owner: Caller) -> str:
    video_id = await _completed_video(api, owner)
    await _connect(api, owner, "tiktok")
    body = {"video_id": video_id, "provider": "tiktok", "caption": "mine"}
    answer = await api.client.post("/social/publish", json=body, headers=owner.headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["post_id"])


async def _user(api: Api, owner: Caller) -> str:
    return str(owner.user_id)


async def _key_unrevoked(api: Api, owner: Caller, key_id: str) -> None:
    keys = (await api.client.get("/auth/api-keys", headers=owner.headers)).json()["items"]
    assert [k["revoked_at"] for k in keys if k["id"] == key_id] == [None]


async def _video_queued(api: Api, owner: Caller, video_id: str) -> None:
    answer = await api.client.get(f"/videos/{video_id}", headers=owner.headers)
    assert answer.json()["status"] == "QUEUED"


async def _batch_running(api: Api, owner: Caller, batch_id: str) -> None:
    answer = await api.client.get(f"/bulk/batch/{batch_id}/status", headers=owner.headers)
    assert answer.status_code == 200
    assert answer.json()["status"] != "CANCELLED"


async def _still_connected(api: Api, owner: Caller, provider: str) -> None:
    items = (await api.client.get("/social/connections", headers=owner.headers)).json()["items"]
    assert [c["status"] for c in items if c["provider"] == provider] == ["CONNECTED"]


async def _post_readable(api: Api, owner: Caller, post_id: str) -> None:
    answer = await api.client.get(f"/social/posts/{post_id}", headers=owner.headers)
    assert answer.status_code == 200


async def _balance_unchanged(api: Api, owner: Caller, _: str) -> None:
    assert (await api.world.balance(owner.user_id)).balance == 5


@attrs.frozen
class Case:
    method: str
    path: str  # Litestar's path format: `{name}` for each parameter
    make: Callable[[Api, Caller], Awaitable[str]]
    witness: Witness
    expected: int = 404
    body: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


CASES = [
    Case("DELETE", "/auth/api-keys/{key_id}", _api_key, _key_unrevoked),
    Case("GET", "/videos/{video_id}", _video, _video_queued),
    Case("GET", "/videos/{video_id}/status", _video, _video_queued),
    Case("GET", "/videos/{video_id}/file", _video, _video_queued),
    Case("POST", "/videos/{video_id}/cancel", _video, _video_queued),
    Case("GET", "/bulk/batch/{batch_id}/status", _batch, _batch_running),
    Case("POST", "/bulk/batch/{batch_id}/cancel", _batch, _batch_running),
    Case("GET", "/bulk/batch/{batch_id}/results.csv", _batch, _batch_running),
    Case("GET", "/bulk/batch/{batch_id}/results.zip", _batch, _batch_running),
    Case("POST", "/bulk/batch/{batch_id}/retry", _batch, _batch_running),
    Case("DELETE", "/social/connections/{provider}", _connection, _still_connected),
    Case("GET", "/social/posts/{post_id}", _post, _post_readable),
    Case(
        "POST",
        "/admin/users/{user_id}/credits",
        _user,
        _balance_unchanged,
        expected=403,
        body={"amount": -5, "reason": "not yours"},
    ),
]

# paths with a parameter that names no one's resource
NOT_OWNED = {
    ("GET", "/auth/oauth/{provider}"),  # starts the caller's own sign-in to a platform
    ("GET", "/auth/oauth/{provider}/callback"),  # public: the single-use state says whose
    ("GET", "/schema/{path}"),  # the public OpenAPI document and its renderers
    ("GET", "/media/{key}"),  # a signed link: the signature is the credential (test_media.py)
}


def _parameter_routes(api: Api) -> set[tuple[str, str]]:
    return {
        (method, route.path_format)
        for route in api.app.routes
        if "{" in route.path_format
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


async def test_the_matrix_covers_every_route_with_a_path_parameter(api: Api) -> None:
    covered = {(c.method, c.path) for c in CASES}
    assert len(covered) == len(CASES)
    assert covered | NOT_OWNED == _parameter_routes(api)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_another_user_cannot_reach_the_resource(api: Api, case: Case) -> None:
    if (case.method, case.path) not in _parameter_routes(api):  # a route still being built
        pytest.skip(f"{case.id} is not in this app")
    owner = await api.sign_up(credits=5)
    other = await api.sign_up(credits=5)
    resource = await case.make(api, owner)
    name = case.path[case.path.index("{") + 1 : case.path.index("}")]
    path = case.path.replace("{" + name + "}", resource)

    answer = await api.client.request(case.method, path, json=case.body, headers=other.headers)
    assert answer.status_code == case.expected, answer.text
    assert answer.json()["code"] == ("not_found" if case.expected == 404 else "forbidden")
    await case.witness(api, owner, resource)
