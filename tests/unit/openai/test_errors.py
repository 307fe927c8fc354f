"""Every adapter of the family maps OpenAI's failures to the same AFP errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from afp_adapters.openai import (
    DEFAULT_TIMEOUT_S,
    OpenAIModerator,
    OpenAIScriptWriter,
    build_openai_client,
)
from afp_core.domain.errors import (
    DomainError,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.script import ScriptOptions
from tests.unit.openai.support import Recorder, bottle, httpx_like, mock_client, respond

Call = Callable[[Any], Awaitable[object]]


def write(client: Any) -> Awaitable[object]:
    return OpenAIScriptWriter(client).write(bottle(), ScriptOptions(duration_s=15))


def moderate(client: Any) -> Awaitable[object]:
    return OpenAIModerator(client).flags("a bottle", ["https://cdn.shop.example/a.jpg"])


def _timeout(request: Any) -> Any:
    raise httpx_like.ReadTimeout("read timed out", request=request)


def _refused(request: Any) -> Any:
    raise httpx_like.ConnectError("connection refused", request=request)


CASES: list[tuple[str, Any, type[DomainError], str]] = [
    ("400", respond("error_400", 400), ProviderRejected, "HTTP 400"),
    ("401", respond("error_401", 401), ProviderRejected, "our OpenAI configuration"),
    ("403", respond("error_403", 403), ProviderRejected, "our OpenAI configuration"),
    ("404", respond("error_404", 404), ProviderRejected, "does not exist"),
    ("422", httpx_like.Response(422, json={"error": None}), ProviderRejected, "HTTP 422"),
    ("429 rate", respond("error_429_rate_limit", 429), ProviderUnavailable, "rate limited"),
    ("429 quota", respond("error_429_insufficient_quota", 429), ProviderOutOfCredits, "quota"),
    ("500", respond("error_500", 500), ProviderUnavailable, "server error 500"),
    ("503", httpx_like.Response(503, text="upstream down"), ProviderUnavailable, "503"),
    ("408", httpx_like.Response(408, json={}), ProviderUnavailable, "HTTP 408"),
    ("timeout", _timeout, ProviderUnavailable, "timed out"),
    ("connection", _refused, ProviderUnavailable, "could not reach OpenAI"),
]


@pytest.mark.parametrize("call", [write, moderate], ids=["script_writer", "moderator"])
@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
async def test_provider_failures_map_to_domain_errors_without_sdk_retries(
    call: Call, reply: Any, error: type[DomainError], message: str
) -> None:
    recorder = Recorder([reply])
    with pytest.raises(error, match=message) as raised:
        await call(mock_client(recorder))
    assert type(raised.value) is error
    assert len(recorder.requests) == 1


async def test_the_request_id_is_in_the_message() -> None:
    recorder = Recorder([respond("error_500", 500, request_id="req_abc123")])
    with pytest.raises(ProviderUnavailable, match="req_abc123"):
        await write(mock_client(recorder))


def test_the_client_builder_turns_sdk_retries_off_and_bounds_the_timeout() -> None:
    client = build_openai_client("sk-test", 12.5, base_url="http://openai.test/v1")
    assert (client.max_retries, client.timeout, str(client.base_url)) == (
        0,
        12.5,
        "http://openai.test/v1/",
    )
    assert build_openai_client("sk-test").timeout == DEFAULT_TIMEOUT_S
