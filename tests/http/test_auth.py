"""Sign-up, log-in, log-out, API keys, the admin guard and the per-IP limit on auth routes."""

from __future__ import annotations

import pytest
from litestar import get

from afp_http import ApiOptions, RateRule
from afp_http.auth import admin_only
from tests.http.conftest import PASSWORD, Api


async def test_signup_answers_the_user_and_a_working_token(api: Api) -> None:
    answer = await api.client.post(
        "/auth/signup", json={"email": "New@Example.com", "password": PASSWORD}
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["role"] == "user"
    assert set(body) == {"user", "token", "expires_at"}
    me = await api.client.get("/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["id"] == body["user"]["id"]


async def test_a_taken_email_is_409(api: Api) -> None:
    await api.sign_up(email="twice@example.com")
    answer = await api.client.post(
        "/auth/signup", json={"email": "twice@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "conflict"


async def test_a_weak_password_is_422(api: Api) -> None:
    answer = await api.client.post(
        "/auth/signup", json={"email": "weak@example.com", "password": "short"}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


async def test_login_gives_a_session_and_a_wrong_password_is_401(api: Api) -> None:
    caller = await api.sign_up()
    good = await api.client.post("/auth/login", json={"email": caller.email, "password": PASSWORD})
    assert good.status_code == 200
    assert good.json()["token"] != caller.token
    bad = await api.client.post(
        "/auth/login", json={"email": caller.email, "password": "not the password"}
    )
    assert bad.status_code == 401
    assert bad.json()["code"] == "unauthenticated"


async def test_logout_revokes_the_session(api: Api) -> None:
    caller = await api.sign_up()
    assert (await api.client.post("/auth/logout", headers=caller.headers)).status_code == 204
    after = await api.client.get("/me", headers=caller.headers)
    assert after.status_code == 401


async def test_api_keys_are_shown_once_work_and_can_be_revoked(api: Api) -> None:
    caller = await api.sign_up()
    made = await api.client.post("/auth/api-keys", json={"name": "ci"}, headers=caller.headers)
    assert made.status_code == 201
    key = made.json()
    key_headers = {"Authorization": f"Bearer {key['token']}"}
    assert (await api.client.get("/me", headers=key_headers)).status_code == 200

    listed = (await api.client.get("/auth/api-keys", headers=caller.headers)).json()["items"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert "token" not in listed[0]

    gone = await api.client.delete(f"/auth/api-keys/{key['id']}", headers=caller.headers)
    assert gone.status_code == 204
    assert (await api.client.get("/me", headers=key_headers)).status_code == 401


async def test_another_users_api_key_is_not_found(api: Api) -> None:
    owner = await api.sign_up()
    other = await api.sign_up()
    made = (
        await api.client.post("/auth/api-keys", json={"name": "mine"}, headers=owner.headers)
    ).json()
    answer = await api.client.delete(f"/auth/api-keys/{made['id']}", headers=other.headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


async def test_the_admin_guard_answers_403_to_users(api: Api) -> None:
    @get("/admin/ping", guards=[admin_only])
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    api.app.register(ping)
    user = await api.sign_up()
    refused = await api.client.get("/admin/ping", headers=user.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    admin = await api.admin()
    assert (await api.client.get("/admin/ping", headers=admin.headers)).status_code == 200


@pytest.mark.parametrize(
    "options", [ApiOptions(rate_rules={"auth": RateRule(3, 60.0)})], ids=["3-per-minute"]
)
async def test_auth_routes_are_limited_per_client_ip(api: Api) -> None:
    login = {"email": "nobody@example.com", "password": "whatever-it-is"}
    answers = [await api.client.post("/auth/login", json=login) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].json()["code"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1
