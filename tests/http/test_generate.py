"""`/generate`: scrape, script, assess and video, with their refusals."""

from __future__ import annotations

import pytest

from afp_http import ApiOptions, RateRule
from tests.http.conftest import PRODUCT_JSON, SCRIPT_JSON, VIDEO_JSON, Api

DEMO_URL = "https://www.amazon.com/dp/B0DEMO0001"


async def test_scrape_answers_the_product_facts(api: Api) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        "/generate/scrape", json={"url": DEMO_URL}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["fetched"] is True
    assert body["product"]["url"] == DEMO_URL
    assert body["product"]["title"]
    assert isinstance(body["product"]["images"], list)


async def test_a_url_that_may_not_be_fetched_is_blocked_url(api: Api) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        "/generate/scrape", json={"url": "file:///etc/passwd"}, headers=caller.headers
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "blocked_url"


async def test_a_shop_that_blocks_robots_says_what_to_do_next(api: Api) -> None:
    api.world.scraper.blocked.add("captcha.example.com")
    caller = await api.sign_up()
    answer = await api.client.post(
        "/generate/scrape",
        json={"url": "https://captcha.example.com/p/1"},
        headers=caller.headers,
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "scrape_blocked"
    assert "by hand" in body["next_steps"]


async def test_scripts_are_written_from_facts_sent_by_hand(api: Api) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        "/generate/script",
        json={"product": PRODUCT_JSON, "options": {"count": 2, "duration_s": 8}},
        headers=caller.headers,
    )
    assert answer.status_code == 200, answer.text
    scripts = answer.json()["scripts"]
    assert len(scripts) == 2
    assert all(s["hook"] and "unsupported_claims" in s for s in scripts)


async def test_assess_scores_and_recommends_a_model(api: Api) -> None:
    caller = await api.sign_up()
    answer = await api.client.post(
        "/generate/assess",
        json={"product": PRODUCT_JSON, "script": SCRIPT_JSON, "model": "afp-local"},
        headers=caller.headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert 0 <= body["risk_score"] <= 100
    assert body["blocked"] is False
    assert body["recommendation"]["model"] == "afp-local"
    assert "UGC" in body["enhanced_prompt"]


async def test_video_is_accepted_with_its_price(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "QUEUED"
    assert body["price"] == 1
    assert body["video_id"]
    credits = (await api.client.get("/credits", headers=caller.headers)).json()
    assert credits["reserved"] == 1


async def test_video_without_credits_is_402(api: Api) -> None:
    caller = await api.sign_up(credits=0)
    answer = await api.client.post("/generate/video", json=VIDEO_JSON, headers=caller.headers)
    assert answer.status_code == 402
    body = answer.json()
    assert body["code"] == "insufficient_credits"
    assert (body["needed"], body["available"]) == (1, 0)


async def test_blocked_content_is_422_and_spends_nothing(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    risky = {
        **SCRIPT_JSON,
        "body": "This bottle cures cancer and guarantees you will lose 30 pounds in a week.",
    }
    answer = await api.client.post(
        "/generate/video", json={**VIDEO_JSON, "script": risky}, headers=caller.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "content_blocked"
    assert (await api.client.get("/credits", headers=caller.headers)).json()["reserved"] == 0


async def test_an_unknown_model_is_a_validation_error(api: Api) -> None:
    caller = await api.sign_up(credits=5)
    answer = await api.client.post(
        "/generate/video", json={**VIDEO_JSON, "model": "nope"}, headers=caller.headers
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


async def test_generate_routes_need_a_token(api: Api) -> None:
    for route in ("scrape", "script", "assess", "video"):
        answer = await api.client.post(f"/generate/{route}", json={})
        assert answer.status_code == 401, route


@pytest.mark.parametrize(
    "options", [ApiOptions(rate_rules={"video": RateRule(2, 60.0)})], ids=["2-videos-a-minute"]
)
async def test_videos_are_limited_per_user(api: Api) -> None:
    first = await api.sign_up(credits=10)
    second = await api.sign_up(credits=10)
    codes = [
        (
            await api.client.post("/generate/video", json=VIDEO_JSON, headers=first.headers)
        ).status_code
        for _ in range(3)
    ]
    assert codes == [202, 202, 429]
    other = await api.client.post("/generate/video", json=VIDEO_JSON, headers=second.headers)
    assert other.status_code == 202
