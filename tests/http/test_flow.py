"""The whole single-video flow over HTTP: sign up, scrape, script, assess, video, download."""

from __future__ import annotations

from tests.http.conftest import Api

DEMO_URL = "https://www.amazon.com/dp/B0DEMO0001"


async def test_a_seller_goes_from_a_url_to_a_downloaded_video(api: Api) -> None:
    caller = await api.sign_up(credits=10)
    h = caller.headers

    product = (await api.client.post("/generate/scrape", json={"url": DEMO_URL}, headers=h)).json()[
        "product"
    ]
    # what /generate/scrape answers is accepted back as product facts
    product = {k: v for k, v in product.items() if k != "source"}
    scripts = (
        await api.client.post(
            "/generate/script", json={"product": product, "options": {"count": 1}}, headers=h
        )
    ).json()["scripts"]
    script = {k: v for k, v in scripts[0].items() if k not in ("text", "unsupported_claims")}
    request = {"product": product, "script": script, "model": "afp-local"}
    assessment = (await api.client.post("/generate/assess", json=request, headers=h)).json()
    assert assessment["blocked"] is False

    started = await api.client.post(
        "/generate/video", json=request, headers={**h, "Idempotency-Key": "flow-1"}
    )
    assert started.status_code == 202, started.text
    video_id = started.json()["video_id"]

    await api.world.run_jobs()

    status = (await api.client.get(f"/videos/{video_id}/status", headers=h)).json()
    assert status["status"] == "COMPLETED", status
    assert status["download_url"] == f"/videos/{video_id}/file"
    file = await api.client.get(status["download_url"], headers=h)
    assert file.status_code == 200
    assert file.headers["content-type"] == "video/mp4"
    assert file.content == api.world.storage.objects[f"videos/{caller.user_id}/{video_id}.mp4"][0]
    credits = (await api.client.get("/credits", headers=h)).json()
    assert (credits["balance"], credits["reserved"]) == (9, 0)
