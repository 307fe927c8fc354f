"""Every error is an RFC 9457 problem with a stable code; nothing internal leaks."""

from __future__ import annotations

from litestar import get

from afp_http.problems import PROBLEM_MEDIA_TYPE
from tests.http.conftest import Api

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "instance"}


async def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    answer = await api.client.get("/no/such/route")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = answer.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["code"] == "not_found"
    assert body["type"] == "https://afp.dev/problems/not_found"
    assert body["instance"] == "/no/such/route"
    assert body["status"] == 404


async def test_a_wrong_method_is_a_405_problem(api: Api) -> None:
    answer = await api.client.delete("/health")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"


async def test_a_body_past_the_cap_is_a_413_problem(api: Api) -> None:
    caller = await api.sign_up()
    huge = {"url": "https://shop.example.com/" + "a" * 1_100_000}
    answer = await api.client.post("/generate/scrape", json=huge, headers=caller.headers)
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


async def test_a_body_that_does_not_match_its_schema_lists_the_fields(api: Api) -> None:
    answer = await api.client.post("/auth/signup", json={"email": "a@example.com"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "validation_error"
    assert any(e["field"] == "password" for e in body["errors"])


async def test_request_schemas_refuse_fields_a_client_may_not_set(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    from tests.http.conftest import VIDEO_JSON

    for sneaky in ({"price": 0}, {"status": "COMPLETED"}, {"user_id": "someone"}):
        answer = await api.client.post(
            "/generate/video", json={**VIDEO_JSON, **sneaky}, headers=caller.headers
        )
        assert answer.status_code == 422, sneaky
        assert answer.json()["code"] == "validation_error"


async def test_a_missing_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    answer = await api.client.get("/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["code"] == "unauthenticated"


async def test_an_unknown_token_is_401(api: Api) -> None:
    answer = await api.client.get("/me", headers={"Authorization": "Bearer afp_s_" + "x" * 43})
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthenticated"


async def test_an_unexpected_error_is_a_500_that_leaks_nothing(api: Api) -> None:
    @get("/boom", opt={"public": True})
    async def boom() -> None:
        raise RuntimeError("secret database password hunter2")

    api.app.register(boom)
    answer = await api.client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == "req-123"
    assert "hunter2" not in answer.text
    assert "RuntimeError" not in answer.text


async def test_the_request_id_is_echoed_or_made_up(api: Api) -> None:
    given = await api.client.get("/health", headers={"X-Request-ID": "abc-1"})
    assert given.headers["x-request-id"] == "abc-1"
    made = await api.client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] not in ("", "bad id with spaces")
    missing = await api.client.get("/nowhere")
    assert len(missing.headers["x-request-id"]) == 32
