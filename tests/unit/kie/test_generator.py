"""Error classification on submit and status, task-id routing, credits."""

from __future__ import annotations

import httpx
import pytest

from afp_adapters.kie import KieModel
from afp_core.domain.errors import (
    DomainError,
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.video import FailureKind, VideoSpec
from afp_core.ports.generation import TaskState, VideoRequest
from tests.unit.kie._support import Kie, envelope, ok

REQUEST = VideoRequest("v1", VideoSpec("veo3_fast", "A mug on a desk", 8, "9:16"))
NOT_FOUND = envelope(422, "recordInfo is null")


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        httpx.WriteError("broken pipe"),
    ],
)
async def test_a_create_call_lost_after_sending_is_outcome_unknown(
    kie: Kie, error: Exception
) -> None:
    generator, _ = kie(error)
    with pytest.raises(ProviderOutcomeUnknown, match="must not be created again"):
        await generator.submit(REQUEST)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.PoolTimeout("no free connection"),
    ],
)
async def test_a_create_call_that_never_left_is_plainly_unavailable(
    kie: Kie, error: Exception
) -> None:
    generator, _ = kie(error)
    with pytest.raises(ProviderUnavailable) as raised:
        await generator.submit(REQUEST)
    assert type(raised.value) is ProviderUnavailable


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (httpx.Response(504, text="<html>Gateway Timeout</html>"), ProviderOutcomeUnknown, "504"),
        (httpx.Response(524, text="error code: 524"), ProviderOutcomeUnknown, "524"),
        (ok({"recordId": "r1"}), ProviderOutcomeUnknown, "without a task id"),
        (ok(None), ProviderOutcomeUnknown, "without a task id"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ProviderUnavailable, "502"),
        (httpx.Response(503, text="busy"), ProviderUnavailable, "503"),
        (httpx.Response(429, text="Too Many Requests"), ProviderUnavailable, "429"),
        (envelope(429, "rate limited"), ProviderUnavailable, "429"),
        (envelope(455, "maintenance"), ProviderUnavailable, "455"),
        (envelope(408, "upstream timeout"), ProviderUnavailable, "408"),
        (envelope(433, "sub-key usage limit"), ProviderOutOfCredits, "usage cap"),
        (envelope(402, "credits insufficient"), ProviderOutOfCredits, "top it up"),
        (envelope(401, "Unauthorized"), ProviderRejected, "AFP_KIE_API_KEY"),
        (httpx.Response(403, text="error code: 1010"), ProviderRejected, "Cloudflare"),
        (
            envelope(400, "Your prompt was flagged for violating policies"),
            ProviderRejected,
            "content policy",
        ),
        (envelope(451, "failed to fetch the image"), ProviderRejected, "451"),
        (envelope(501, "generation failed"), ProviderRejected, "501"),
        (envelope(505, "feature disabled"), ProviderRejected, "505"),
        (envelope(500, "This field is required"), ProviderRejected, "validation"),
        (httpx.Response(200, text="<html>oops</html>"), ProviderOutcomeUnknown, "unexpected"),
    ],
)
async def test_create_answers_are_classified(
    kie: Kie, reply: httpx.Response, error: type[DomainError], words: str
) -> None:
    generator, _ = kie(reply)
    with pytest.raises(error) as raised:
        await generator.submit(REQUEST)
    assert type(raised.value) is error
    assert words in raised.value.message


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("bye")],
)
async def test_status_transport_errors_are_only_ever_unavailable(
    kie: Kie, error: Exception
) -> None:
    generator, _ = kie(error)
    with pytest.raises(ProviderUnavailable) as raised:
        await generator.status("veo:t1")
    assert type(raised.value) is ProviderUnavailable


async def test_status_maps_not_found_to_pending_on_both_families(kie: Kie) -> None:
    generator, _ = kie(NOT_FOUND, envelope(422, "record is null"), envelope(404, "not found"))
    for task_id in ("jobs:t1", "veo:t1", "veo:t2"):
        assert (await generator.status(task_id)).state is TaskState.PENDING


async def test_status_of_a_record_past_kies_retention_fails_for_good(kie: Kie) -> None:
    generator, _ = kie(envelope(422, "Temporarily supports records within 14 days"))
    status = await generator.status("veo:old")
    assert (status.state, status.failure) == (TaskState.FAILED, FailureKind.TERMINAL)


@pytest.mark.parametrize("message", ["record status is not success", "record result data is empty"])
async def test_status_keeps_polling_on_not_finished_yet_messages(kie: Kie, message: str) -> None:
    generator, _ = kie(envelope(422, message))
    assert (await generator.status("veo:t1")).state is TaskState.RUNNING


async def test_status_on_a_refused_query_fails_the_task_but_auth_errors_raise(kie: Kie) -> None:
    generator, _ = kie(envelope(400, "taskId is invalid"), envelope(401, "Unauthorized"))
    assert (await generator.status("jobs:bad")).state is TaskState.FAILED
    with pytest.raises(ProviderRejected, match="configuration problem"):
        await generator.status("jobs:t1")


async def test_status_on_a_wrong_base_url_says_so(kie: Kie) -> None:
    generator, _ = kie(httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ProviderRejected, match="base URL"):
        await generator.status("jobs:t1")


@pytest.mark.parametrize(
    ("task_id", "path"),
    [
        ("veo:abc", "/api/v1/veo/record-info"),
        ("jobs:abc", "/api/v1/jobs/recordInfo"),
        ("veo_task_abcdef123456", "/api/v1/veo/record-info"),
        ("task_sora-2-text-to-video_1765184045509", "/api/v1/jobs/recordInfo"),
        ("jobs:veo:odd", "/api/v1/jobs/recordInfo"),
    ],
)
async def test_task_ids_route_to_their_family(kie: Kie, task_id: str, path: str) -> None:
    generator, replay = kie(ok({"state": "generating", "successFlag": 0}))
    await generator.status(task_id)
    assert replay.requests[0].url.path == path
    assert replay.requests[0].url.params["taskId"] == task_id.removeprefix("veo:").removeprefix(
        "jobs:"
    )


async def test_an_ambiguous_plain_id_asks_jobs_then_veo(kie: Kie) -> None:
    generator, replay = kie(NOT_FOUND, ok({"successFlag": 0}))
    status = await generator.status("e931f4f24b0f6d5bc4744c719d3f67f3")
    assert status.state is TaskState.RUNNING
    assert [r.url.path for r in replay.requests] == [
        "/api/v1/jobs/recordInfo",
        "/api/v1/veo/record-info",
    ]


async def test_a_plain_id_with_one_configured_family_asks_only_that_family(kie: Kie) -> None:
    generator, replay = kie(ok({"successFlag": 0}), models={"veo3": KieModel.veo("veo3")})
    await generator.status("0123abcd")
    assert [r.url.path for r in replay.requests] == ["/api/v1/veo/record-info"]


@pytest.mark.parametrize(("data", "balance"), [(100, 100), (12.7, 12), ("42", 42)])
async def test_credits_read_the_balance(kie: Kie, data: object, balance: int) -> None:
    generator, replay = kie(ok(data))
    assert await generator.credits() == balance
    assert replay.requests[0].headers["authorization"] == "Bearer kie-test-key"


async def test_an_unreadable_balance_is_unavailable(kie: Kie) -> None:
    generator, _ = kie(ok({"credits": 1}))
    with pytest.raises(ProviderUnavailable, match="unreadable"):
        await generator.credits()


async def test_an_empty_api_key_is_a_configuration_error() -> None:
    from afp_adapters.kie import KieVideoGenerator

    with pytest.raises(ValueError, match="AFP_KIE_API_KEY"):
        KieVideoGenerator("")


async def test_an_owned_client_is_closed() -> None:
    from afp_adapters.kie import KieVideoGenerator

    async with KieVideoGenerator("k") as generator:
        assert generator is not None
