"""Error classification on submit and status, task-id routing, credits."""

from __future__ import annotations

import httpx
import pytest

from afp_adapters.kie import KieModel
from afp_core.domain.errors import (
    DomainError,
    ProviderAccountBlocked,
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.video import FailureKind, VideoSpec
from afp_core.ports.generation import TaskState, VideoRequest
from tests.unit.kie._support import Kie, broken_gzip, envelope, ok

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
        # a gateway answer after the request went out: Kie may have created (and billed) it
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ProviderOutcomeUnknown, "502"),
        (httpx.Response(503, text="busy"), ProviderOutcomeUnknown, "503"),
        (httpx.Response(520, text="error code: 520"), ProviderOutcomeUnknown, "520"),
        (httpx.Response(500, text="Internal Server Error"), ProviderOutcomeUnknown, "500"),
        (envelope(504, "Gateway Time-out", http_status=504), ProviderOutcomeUnknown, "504"),
        (envelope(504, "Gateway Time-out"), ProviderOutcomeUnknown, "504"),
        (envelope(500, "Server Error"), ProviderOutcomeUnknown, "500"),
        (envelope(408, "upstream timeout"), ProviderOutcomeUnknown, "408"),
        (envelope(201, "accepted"), ProviderOutcomeUnknown, "201"),
        # clear refusals: nothing was created, asking again later is safe
        (httpx.Response(429, text="Too Many Requests"), ProviderUnavailable, "429"),
        (envelope(429, "rate limited"), ProviderUnavailable, "429"),
        (envelope(455, "maintenance"), ProviderUnavailable, "455"),
        (httpx.Response(521, text="error code: 521"), ProviderUnavailable, "never reached"),
        (httpx.Response(522, text="error code: 522"), ProviderUnavailable, "never reached"),
        (httpx.Response(523, text="error code: 523"), ProviderUnavailable, "never reached"),
        (httpx.Response(525, text="error code: 525"), ProviderUnavailable, "never reached"),
        (httpx.Response(526, text="error code: 526"), ProviderUnavailable, "never reached"),
        # our account: pause and alert, keep the video
        (envelope(433, "sub-key usage limit"), ProviderAccountBlocked, "usage cap"),
        (envelope(402, "credits insufficient"), ProviderOutOfCredits, "top it up"),
        (envelope(401, "Unauthorized"), ProviderAccountBlocked, "AFP_KIE_API_KEY"),
        (envelope(403, "IP not allowed"), ProviderAccountBlocked, "allow-list"),
        (httpx.Response(401, text="Unauthorized"), ProviderAccountBlocked, "AFP_KIE_API_KEY"),
        (httpx.Response(403, text="error code: 1010"), ProviderAccountBlocked, "Cloudflare"),
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
        (httpx.Response(405, text="<html>Method Not Allowed</html>"), ProviderRejected, "405"),
        (httpx.Response(404, text="<html>Not Found</html>"), ProviderRejected, "base URL"),
        (
            httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
            ProviderOutcomeUnknown,
            "200",
        ),
        (
            httpx.Response(200, content=b'{"code": 200, "data": ' * 60_000 + b"1" + b"}" * 60_000),
            ProviderOutcomeUnknown,
            "200",
        ),
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
    [
        httpx.DecodingError("Error -3 while decompressing data: incorrect header check"),
        httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
        httpx.LocalProtocolError("Illegal header value"),
        httpx.ReadError("reset"),
    ],
)
async def test_any_other_http_error_after_sending_a_create_call_is_outcome_unknown(
    kie: Kie, error: Exception
) -> None:
    generator, _ = kie(error)
    with pytest.raises(ProviderOutcomeUnknown, match="must not be created again"):
        await generator.submit(REQUEST)


async def test_a_200_with_a_body_that_does_not_decode_is_outcome_unknown(kie: Kie) -> None:
    # the request was taken: httpx fails while reading a broken gzip body (review r3/r10)
    generator, replay = kie(broken_gzip)
    with pytest.raises(ProviderOutcomeUnknown, match="DecodingError"):
        await generator.submit(REQUEST)
    assert len(replay.requests) == 1


async def test_an_invalid_base_url_is_unavailable_before_anything_is_sent(kie: Kie) -> None:
    generator, replay = kie(base_url="http://[::1")
    with pytest.raises(ProviderUnavailable) as raised:
        await generator.submit(REQUEST)
    assert type(raised.value) is ProviderUnavailable
    assert replay.requests == []


async def test_the_api_key_is_never_in_a_local_variable_or_a_repr(kie: Kie) -> None:
    # a traceback rendered with locals (the worker's exception log) must not show the key
    generator, replay = kie(broken_gzip)
    with pytest.raises(ProviderOutcomeUnknown) as raised:
        await generator.submit(REQUEST)
    assert replay.requests[0].headers["authorization"] == "Bearer kie-test-key"
    seen: list[str] = []
    error: BaseException | None = raised.value
    while error is not None:
        trace = error.__traceback__
        while trace is not None:
            seen += [repr(value) for value in trace.tb_frame.f_locals.values()]
            trace = trace.tb_next
        error = error.__cause__ or error.__context__
    assert len(seen) > 10, "the traceback should reach into httpx"
    assert not [text for text in seen if "kie-test-key" in text]
    assert "kie-test-key" not in repr(vars(generator))


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("bye"),
        httpx.DecodingError("incorrect header check"),
        httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
    ],
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


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (envelope(401, "You do not have access permissions"), "AFP_KIE_API_KEY"),
        (envelope(401, "Unauthorized", http_status=401), "AFP_KIE_API_KEY"),
        (envelope(403, "IP not allowed"), "allow-list"),
        (httpx.Response(403, text="error code: 1010"), "Cloudflare"),
        (envelope(402, "The current credits are insufficient"), "out of credits"),
        (envelope(433, "usage cap exceeded"), "usage cap"),
    ],
)
async def test_status_on_our_account_problems_is_unavailable_and_names_them(
    kie: Kie, reply: httpx.Response, words: str
) -> None:
    # our key refused is not this video's failure: the core polls on until the deadline
    generator, _ = kie(reply)
    with pytest.raises(ProviderUnavailable, match=words) as raised:
        await generator.status("veo:t1")
    assert type(raised.value) is ProviderUnavailable
    assert "deadline" in raised.value.message


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="<html><title>Just a moment...</title>Privacy Policy</html>"),
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(400, text="<html>400 Bad Request</html>"),
        httpx.Response(405, text="Method Not Allowed"),
        httpx.Response(403, text="<html>Forbidden: content policy</html>"),
        httpx.Response(500, text="Internal Server Error: prohibited"),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
        envelope(500, "invalid response from upstream, try later"),
        envelope(500, "Your prompt was flagged by the policy check", http_status=500),
        envelope(400, "taskId is invalid"),
        envelope(451, "Failed to fetch the image"),
        envelope(429, "rate limited"),
        envelope(455, "maintenance"),
    ],
)
async def test_status_never_fails_a_task_on_an_answer_that_is_not_a_record(
    kie: Kie, reply: httpx.Response
) -> None:
    # only a parsed record's task-level fields (and Kie's known 422 record messages) decide
    generator, _ = kie(reply)
    with pytest.raises(ProviderUnavailable) as raised:
        await generator.status("veo:t1")
    assert type(raised.value) is ProviderUnavailable
    assert "refused by content policy" not in raised.value.message


async def test_status_on_a_wrong_base_url_says_so(kie: Kie) -> None:
    generator, _ = kie(httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ProviderUnavailable, match="base URL"):
        await generator.status("jobs:t1")


async def test_status_of_a_success_record_without_a_url_yet_keeps_polling(kie: Kie) -> None:
    generator, _ = kie(ok({"taskId": "veo_task_1", "successFlag": 1, "response": None}))
    status = await generator.status("veo:veo_task_1")
    assert (status.state, status.failure) == (TaskState.RUNNING, None)


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


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (envelope(401, "Unauthorized"), ProviderAccountBlocked),
        (envelope(402, "credits insufficient"), ProviderOutOfCredits),
        (httpx.Response(403, text="error code: 1010"), ProviderAccountBlocked),
        (httpx.Response(502, text="<html>Bad Gateway: policy</html>"), ProviderUnavailable),
        (envelope(500, "Server Error"), ProviderUnavailable),
        (ok("inf"), ProviderUnavailable),
        (ok("nan"), ProviderUnavailable),
    ],
)
async def test_credit_balance_failures_are_classified(
    kie: Kie, reply: httpx.Response, error: type[DomainError]
) -> None:
    generator, _ = kie(reply)
    with pytest.raises(error) as raised:
        await generator.credits()
    assert type(raised.value) is error


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
