"""Create bodies per model: Veo 3.1 (dedicated and jobs), Sora 2 and Sora 2 Pro."""

from __future__ import annotations

from typing import Any

import pytest

from afp_adapters.kie import KieModel
from afp_adapters.kie._requests import build_create_body, compose_prompt
from afp_adapters.kie.models import default_models
from afp_core.domain.errors import ProviderRejected
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import VideoRequest
from tests.unit.kie._support import Kie, ok

IMAGES = ("https://shop.example/a.jpg", "https://shop.example/b.jpg", "https://shop.example/c.jpg")
IMAGES4 = (*IMAGES, "https://shop.example/d.jpg")


def request(
    model: str, duration: int, ratio: str = "9:16", *, image_urls: tuple[str, ...] = ()
) -> VideoRequest:
    return VideoRequest(
        "v1",
        VideoSpec(model, "A mug on a desk", duration, ratio, image_urls=image_urls),
        callback_url="https://afp.example/webhooks/kie?t=tok",
    )


def body_for(req: VideoRequest) -> dict[str, Any]:
    return build_create_body(req, default_models()[req.spec.model])


def test_veo_fast_text_only_is_vertical_by_default_with_no_images_or_generation_type() -> None:
    body = body_for(request("veo3_fast", 8, ratio=""))
    assert body == {
        "prompt": "A mug on a desk",
        "model": "veo3_fast",
        "aspect_ratio": "9:16",
        "enableTranslation": True,
        "callBackUrl": "https://afp.example/webhooks/kie?t=tok",
    }


def test_veo_fast_sends_up_to_three_product_images_as_references() -> None:
    body = body_for(request("veo3_fast", 8, image_urls=IMAGES4))
    assert body["imageUrls"] == list(IMAGES)
    assert body["generationType"] == "REFERENCE_2_VIDEO"


def test_veo_quality_sends_one_image_as_the_reference_frame() -> None:
    body = body_for(request("veo3", 8, "16:9", image_urls=IMAGES))
    assert body["model"] == "veo3"
    assert body["imageUrls"] == [IMAGES[0]]
    assert "generationType" not in body  # REFERENCE_2_VIDEO is Fast-only
    assert body["aspect_ratio"] == "16:9"


def test_no_deprecated_or_unwanted_veo_flags_are_sent() -> None:
    body = body_for(request("veo3_fast", 8))
    assert not {"enableFallback", "watermark", "seeds", "aspectRatio"} & set(body)


def test_sora_text_to_video_uses_orientation_words_and_string_frames() -> None:
    body = body_for(request("sora-2", 15))
    assert body == {
        "model": "sora-2-text-to-video",
        "callBackUrl": "https://afp.example/webhooks/kie?t=tok",
        "input": {
            "prompt": "A mug on a desk",
            "aspect_ratio": "portrait",
            "n_frames": "15",
            "remove_watermark": True,
            "upload_method": "s3",
        },
    }


def test_sora_with_images_switches_to_image_to_video_with_exactly_one_image() -> None:
    body = body_for(request("sora-2", 10, "16:9", image_urls=IMAGES))
    assert body["model"] == "sora-2-image-to-video"
    assert body["input"]["image_urls"] == [IMAGES[0]]
    assert body["input"]["aspect_ratio"] == "landscape"


def test_sora_pro_uses_the_pro_models_and_a_size() -> None:
    text = body_for(request("sora-2-pro", 10))
    image = body_for(request("sora-2-pro", 10, image_urls=IMAGES[:1]))
    assert (text["model"], image["model"]) == (
        "sora-2-pro-text-to-video",
        "sora-2-pro-image-to-video",
    )
    assert text["input"]["size"] == "standard"


def test_veo_can_run_on_the_jobs_family_as_veo_3_1() -> None:
    model = KieModel.veo_on_jobs("veo3_fast", reference_images=True)
    body = build_create_body(request("veo3_fast", 8, image_urls=IMAGES[:2]), model)
    assert body["model"] == "veo-3-1"
    assert body["input"] == {
        "prompt": "A mug on a desk",
        "imageUrls": list(IMAGES[:2]),
        "aspect_ratio": "9:16",
        "enableTranslation": True,
        "generationType": "REFERENCE_2_VIDEO",
        "model": "veo3_fast",
    }


def test_no_callback_url_means_no_callback_field() -> None:
    req = VideoRequest("v", VideoSpec("sora-2", "A mug", 10, "9:16"))
    assert "callBackUrl" not in body_for(req)
    assert "callBackUrl" not in body_for(VideoRequest("v", VideoSpec("veo3", "A mug", 8, "9:16")))


def test_the_spoken_script_joins_the_prompt_once() -> None:
    spec = VideoSpec("veo3", "Scene: kitchen.", 8, "9:16", script_text="This mug keeps tea hot.")
    assert compose_prompt(spec) == (
        'Scene: kitchen.\nThe presenter says, word for word: "This mug keeps tea hot."'
    )
    already = VideoSpec(
        "veo3", "Say: This mug keeps tea hot.", 8, "9:16", script_text=spec.script_text
    )
    assert compose_prompt(already) == "Say: This mug keeps tea hot."


@pytest.mark.parametrize(
    ("req", "words"),
    [
        (request("veo3_fast", 8, "1:1"), "not 1:1"),
        (request("sora-2", 10, "1:1"), "not 1:1"),
        (request("veo3_fast", 10), "8 s"),
        (request("sora-2", 8), "10 or 15 s"),
        (VideoRequest("v", VideoSpec("sora-2", "x" * 5001, 10, "9:16")), "at most 5000"),
        (VideoRequest("v", VideoSpec("veo3", "  ", 8, "9:16")), "empty"),
    ],
)
def test_what_a_model_cannot_render_is_rejected_before_sending(
    req: VideoRequest, words: str
) -> None:
    with pytest.raises(ProviderRejected, match=words):
        body_for(req)


async def test_submit_refuses_unconfigured_models_without_calling_kie(kie: Kie) -> None:
    generator, replay = kie()
    with pytest.raises(ProviderRejected, match="afp-local"):
        await generator.submit(request("afp-local", 8))
    with pytest.raises(ProviderRejected, match="1:1"):
        await generator.submit(request("veo3_fast", 8, "1:1"))
    assert replay.requests == []


async def test_submit_sends_key_user_agent_timeout_and_returns_a_family_task_id(kie: Kie) -> None:
    generator, replay = kie(ok({"taskId": "abc123"}), ok({"task_id": "def456"}), timeout=7.5)
    assert await generator.submit(request("veo3", 8)) == "veo:abc123"
    assert await generator.submit(request("sora-2", 10)) == "jobs:def456"
    sent = replay.requests[0]
    assert sent.headers["authorization"] == "Bearer kie-test-key"
    assert "mozilla" in sent.headers["user-agent"].lower()
    assert sent.extensions["timeout"]["read"] == 7.5
    assert replay.requests[1].url.path == "/api/v1/jobs/createTask"


async def test_a_custom_base_url_is_used(kie: Kie) -> None:
    generator, replay = kie(ok({"taskId": "x"}), base_url="https://kie.proxy.example/")
    await generator.submit(request("veo3", 8))
    assert str(replay.requests[0].url) == "https://kie.proxy.example/api/v1/veo/generate"
