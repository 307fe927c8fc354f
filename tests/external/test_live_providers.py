"""Smoke tests against the real providers: marked `external`, off by default.

Run them by hand with real keys: `AFP_OPENAI_API_KEY=... AFP_KIE_API_KEY=...
.venv/bin/pytest -m external tests/external`. Each costs a few cents at most: no render is
ever started (Kie.ai is only asked for the account's credit balance).
"""

from __future__ import annotations

import os

import pytest

from afp_adapters.kie import KieVideoGenerator
from afp_adapters.openai import OpenAIModerator, OpenAIScriptWriter, build_openai_client
from afp_core.domain.script import ScriptOptions
from tests.world import PRODUCT

pytestmark = pytest.mark.external


def _key(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set")
    return value


async def test_openai_writes_grounded_scripts_and_moderates() -> None:
    client = build_openai_client(_key("AFP_OPENAI_API_KEY"))
    scripts = await OpenAIScriptWriter(client).write(PRODUCT, ScriptOptions(count=2))
    fact_ids = {f.id for f in PRODUCT.facts()}
    assert scripts
    assert all(set(c.fact_ids) <= fact_ids for s in scripts for c in s.claims)
    assert await OpenAIModerator(client).flags("A steel water bottle.", ()) == []


async def test_kie_answers_with_the_account_balance() -> None:
    async with KieVideoGenerator(_key("AFP_KIE_API_KEY")) as kie:
        assert await kie.credits() >= 0
