"""One contract for every `ScriptWriter`: the fake and OpenAI (offline, recorded answers).

The OpenAI writer talks to a mock transport that answers like the model: the first `count`
scripts of a recorded five-script answer, `count` read from the request it was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from afp_adapters.fakes import FakeScriptWriter
from afp_adapters.openai import OpenAIScriptWriter
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import ScriptOptions
from afp_core.ports.generation import ScriptWriter
from tests.unit.openai.support import bottle, httpx_like, mock_client, payload

pytestmark = pytest.mark.contract

_ASKED = re.compile(r"Write exactly (\d+) script")


def _model(request: Any) -> Any:
    system = json.loads(request.content)["messages"][0]["content"]
    count = int(_ASKED.search(system).group(1))  # type: ignore[union-attr]
    answer = payload("chat_five_scripts")
    message = answer["choices"][0]["message"]
    scripts = json.loads(message["content"])["scripts"][:count]
    message["content"] = json.dumps({"scripts": scripts})
    return httpx_like.Response(200, json=answer)


@pytest.fixture(params=["fake", "openai"])
def writer(request: pytest.FixtureRequest) -> Iterator[ScriptWriter]:
    if request.param == "fake":
        yield FakeScriptWriter()
    else:
        yield OpenAIScriptWriter(mock_client(_model))


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


@pytest.mark.parametrize("count", [1, 3, 5])
async def test_it_writes_count_scripts_with_distinct_hooks_and_angles(
    writer: ScriptWriter, count: int
) -> None:
    scripts = await writer.write(bottle(), ScriptOptions(count=count, duration_s=15))
    assert len(scripts) == count
    assert len({_key(s.hook) for s in scripts}) == count
    assert len({_key(s.angle) for s in scripts}) == count
    assert len({s.id for s in scripts}) == count


async def test_every_claim_cites_facts_the_product_has(writer: ScriptWriter) -> None:
    product = bottle()
    known = {f.id for f in product.facts()}
    scripts = await writer.write(product, ScriptOptions(count=5, duration_s=15))
    claims = [c for s in scripts for c in s.claims]
    assert claims
    assert all(c.fact_ids and set(c.fact_ids) <= known for c in claims)
    assert all(not s.unsupported_claims(product) for s in scripts)


async def test_scripts_carry_the_requested_language_tone_audience_and_duration(
    writer: ScriptWriter,
) -> None:
    options = ScriptOptions(language="de", tone="calm", audience="hikers", count=2, duration_s=15)
    scripts = await writer.write(bottle(), options)
    assert {(s.language, s.tone, s.audience, s.duration_s) for s in scripts} == {
        ("de", "calm", "hikers", 15)
    }


async def test_every_script_has_a_hook_a_body_and_a_call_to_action(writer: ScriptWriter) -> None:
    for script in await writer.write(bottle(), ScriptOptions(count=3, duration_s=15)):
        assert script.hook.strip()
        assert script.body.strip()
        assert script.call_to_action.strip()


async def test_a_product_with_only_a_title_still_gets_scripts(writer: ScriptWriter) -> None:
    product = ProductFacts(url="https://shop.example/p/bare", title="HydroPeak Bottle")
    scripts = await writer.write(product, ScriptOptions(count=1, duration_s=15))
    assert len(scripts) == 1
