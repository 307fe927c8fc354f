"""`OpenAIModerator` over recorded moderation payloads."""

from __future__ import annotations

import pytest

from afp_adapters.openai import OpenAIModerator
from tests.unit.openai.support import Recorder, httpx_like, mock_client, payload, respond

IMAGES = ["https://cdn.shop.example/a.jpg", "https://cdn.shop.example/b.jpg"]


async def test_flagged_categories_come_back_sorted_under_openais_names() -> None:
    recorder = Recorder([respond("moderation_flagged")])
    flags = await OpenAIModerator(mock_client(recorder)).flags("some script", IMAGES)
    assert flags == ["self-harm/intent", "violence", "violence/graphic"]


async def test_clean_content_has_no_flags() -> None:
    recorder = Recorder([respond("moderation_clean")])
    assert await OpenAIModerator(mock_client(recorder)).flags("a water bottle", IMAGES) == []


async def test_text_and_every_image_go_in_one_multimodal_call() -> None:
    recorder = Recorder([respond("moderation_clean")])

    await OpenAIModerator(mock_client(recorder)).flags("a water bottle", IMAGES)

    assert len(recorder.requests) == 1
    assert recorder.requests[0].url.path == "/v1/moderations"
    assert recorder.body() == {
        "model": "omni-moderation-latest",
        "input": [
            {"type": "text", "text": "a water bottle"},
            {"type": "image_url", "image_url": {"url": IMAGES[0]}},
            {"type": "image_url", "image_url": {"url": IMAGES[1]}},
        ],
    }


async def test_images_alone_are_sent_without_an_empty_text_part() -> None:
    recorder = Recorder([respond("moderation_clean")])
    await OpenAIModerator(mock_client(recorder), model="omni-moderation-2024-09-26").flags(
        "  ", IMAGES[:1]
    )
    assert recorder.body()["input"] == [{"type": "image_url", "image_url": {"url": IMAGES[0]}}]
    assert recorder.body()["model"] == "omni-moderation-2024-09-26"


async def test_nothing_to_check_makes_no_call() -> None:
    recorder = Recorder([respond("moderation_clean")])
    assert await OpenAIModerator(mock_client(recorder)).flags("", []) == []
    assert recorder.requests == []


async def test_own_thresholds_add_categories_openai_did_not_flag() -> None:
    recorder = Recorder([respond("moderation_flagged")])
    moderator = OpenAIModerator(mock_client(recorder), thresholds={"harassment": 0.1})
    assert "harassment" in await moderator.flags("some script", [])
    strict = OpenAIModerator(mock_client(recorder), thresholds={"harassment": 0.5})
    assert "harassment" not in await strict.flags("some script", [])


def test_a_threshold_for_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown moderation categories"):
        OpenAIModerator(mock_client(Recorder([])), thresholds={"violent": 0.5})


async def test_flagged_without_a_category_is_still_a_flag() -> None:
    body = payload("moderation_clean")
    body["results"][0]["flagged"] = True
    recorder = Recorder([httpx_like.Response(200, json=body)])
    assert await OpenAIModerator(mock_client(recorder)).flags("text", []) == ["unspecified"]


async def test_the_text_only_illicit_categories_may_be_null() -> None:
    body = payload("moderation_clean")
    body["results"][0]["categories"] |= {"illicit": None, "illicit/violent": None}
    recorder = Recorder([httpx_like.Response(200, json=body)])
    assert await OpenAIModerator(mock_client(recorder)).flags("text", IMAGES) == []


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ({"id": "modr-1", "model": "omni-moderation-latest", "results": []}, "no result"),
        ({"id": "modr-1", "model": "omni-moderation-latest"}, "expected shape"),
        ({"id": "modr-1", "model": "omni-moderation-latest", "results": "x"}, "expected shape"),
        ({"id": "modr-1", "model": "m", "results": [{"flagged": False}]}, "expected shape"),
        ({"results": [{"categories": None, "category_scores": None}]}, "expected shape"),
    ],
)
async def test_an_answer_without_a_verdict_is_unavailable_never_clean(
    reply: dict[str, object], words: str
) -> None:
    from afp_core.domain.errors import ProviderUnavailable

    recorder = Recorder([httpx_like.Response(200, json=reply)])
    with pytest.raises(ProviderUnavailable, match=words):
        await OpenAIModerator(mock_client(recorder)).flags("a water bottle", IMAGES)


async def test_an_html_page_with_status_200_is_unavailable() -> None:
    from afp_core.domain.errors import ProviderUnavailable

    page = httpx_like.Response(
        200, text="<html>captive portal</html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(ProviderUnavailable, match="expected shape"):
        await OpenAIModerator(mock_client(Recorder([page]))).flags("a water bottle", IMAGES)
