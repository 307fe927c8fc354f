"""One contract for every `ContentModerator`: the fake and OpenAI (offline, recorded answers).

Both are set up to flag the word "gore" as violence: the fake through its triggers, the
OpenAI mock transport by answering the recorded flagged result when the text contains it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from afp_adapters.fakes import FakeContentModerator
from afp_adapters.openai import OpenAIModerator
from afp_adapters.openai.moderator import CATEGORIES
from afp_core.ports.generation import ContentModerator
from tests.unit.openai.support import httpx_like, mock_client, payload

pytestmark = pytest.mark.contract

IMAGES = ["https://cdn.shop.example/a.jpg"]


def _model(request: Any) -> Any:
    parts = json.loads(request.content)["input"]
    text = " ".join(p.get("text", "") for p in parts)
    name = "moderation_flagged" if "gore" in text.lower() else "moderation_clean"
    return httpx_like.Response(200, json=payload(name))


@pytest.fixture(params=["fake", "openai"])
def moderator(request: pytest.FixtureRequest) -> Iterator[ContentModerator]:
    if request.param == "fake":
        yield FakeContentModerator({"gore": "violence"})
    else:
        yield OpenAIModerator(mock_client(_model))


async def test_clean_content_has_no_flags(moderator: ContentModerator) -> None:
    assert list(await moderator.flags("A steel bottle that keeps drinks cold.", IMAGES)) == []


async def test_flagged_content_names_the_category(moderator: ContentModerator) -> None:
    flags = list(await moderator.flags("Full of GORE and blood.", IMAGES))
    assert "violence" in flags
    assert flags == sorted(set(flags))
    assert set(flags) <= CATEGORIES


async def test_nothing_to_check_has_no_flags(moderator: ContentModerator) -> None:
    assert list(await moderator.flags("", [])) == []
