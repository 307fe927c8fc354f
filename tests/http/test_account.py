"""`/me`, `/credits`, `/credits/transactions` and `/pricing`."""

from __future__ import annotations

from tests.http.conftest import Api


async def test_me_shows_the_user_and_their_credits(api: Api) -> None:
    caller = await api.sign_up(credits=7)
    body = (await api.client.get("/me", headers=caller.headers)).json()
    assert body["id"] == caller.user_id
    assert body["email"] == caller.email
    assert body["role"] == "user"
    assert body["credits"] == {"balance": 7, "reserved": 0, "available": 7, "debt": 0}


async def test_credits_show_the_balance(api: Api) -> None:
    caller = await api.sign_up(credits=3)
    answer = await api.client.get("/credits", headers=caller.headers)
    assert answer.json()["available"] == 3


async def test_the_journal_is_paginated_newest_first(api: Api) -> None:
    caller = await api.sign_up()
    for amount in (1, 2, 3):
        await api.grant(caller.user_id, amount)
    first = (await api.client.get("/credits/transactions?limit=2", headers=caller.headers)).json()
    assert [e["amount"] for e in first["items"]] == [3, 2]
    assert (first["limit"], first["offset"]) == (2, 0)
    rest = (
        await api.client.get("/credits/transactions?limit=2&offset=2", headers=caller.headers)
    ).json()
    assert [e["amount"] for e in rest["items"]] == [1]
    assert rest["items"][0]["type"] == "GRANT"
    assert first["total"] == rest["total"] == 3


async def test_page_sizes_outside_1_to_100_are_refused(api: Api) -> None:
    caller = await api.sign_up()
    for query in ("limit=0", "limit=101", "offset=-1"):
        answer = await api.client.get(f"/credits/transactions?{query}", headers=caller.headers)
        assert answer.status_code == 422, query
        assert answer.json()["code"] == "validation_error"


async def test_pricing_is_public_and_lists_models_and_packs(api: Api) -> None:
    body = (await api.client.get("/pricing")).json()
    local = next(m for m in body["models"] if m["id"] == "afp-local")
    assert local["credits_by_duration_s"]["8"] == 1
    assert {p["id"] for p in body["packs"]} >= {"starter", "creator", "studio"}
    starter = next(p for p in body["packs"] if p["id"] == "starter")
    assert (starter["credits"], starter["price"], starter["currency"]) == (100, "9.00", "USD")
