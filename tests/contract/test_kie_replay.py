"""Every published Kie.ai payload in `../shared/fixtures/kie/`, replayed through the adapter.

Requests built must equal the recorded request bodies field by field (minus fields the adapter
deliberately never sends, each with its reason); responses, errors and callbacks must map to
the right `TaskStatus`, exception or `KieCallback`. A fixture file that no table below claims
fails `test_every_fixture_file_is_covered`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from afp_adapters.fakes import FakeVideoGenerator, fake_mp4
from afp_adapters.kie import (
    KieCallbackVerifier,
    KieFamily,
    KieModel,
    KieVideoGenerator,
    default_models,
)
from afp_adapters.kie._envelope import read_envelope
from afp_adapters.kie._records import first_http_url
from afp_core.domain.errors import (
    DomainError,
    ProviderAccountBlocked,
    ProviderOutcomeUnknown,
    ProviderOutOfCredits,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.video import FailureKind, VideoSpec
from afp_core.ports.generation import TaskState, VideoGenerator, VideoRequest
from tests.replay import Replay

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "kie"

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(
        not FIXTURES.is_dir(),
        reason=f"the shared Kie.ai fixtures are not checked out next to the repo ({FIXTURES})",
    ),
]

MP4 = fake_mp4("kie replay")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_reply(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=load(name))


@pytest.fixture
async def kie() -> AsyncIterator[Callable[..., tuple[KieVideoGenerator, Replay]]]:
    clients: list[httpx.AsyncClient] = []

    def make(
        *replies: httpx.Response | Exception, **options: Any
    ) -> tuple[KieVideoGenerator, Replay]:
        replay = Replay(*replies)
        client = httpx.AsyncClient(transport=httpx.MockTransport(replay))
        clients.append(client)
        return KieVideoGenerator("kie-test-key", client=client, **options), replay

    yield make
    for client in clients:
        await client.aclose()


Kie = Callable[..., tuple[KieVideoGenerator, Replay]]


# ---------------------------------------------------------------- create requests

# fixture -> (AFP model config, request, create reply, expected task id, fields never sent)
REQUEST_CASES: dict[str, tuple[KieModel, VideoRequest, str, str, dict[str, str]]] = {
    "veo_generate_request.json": (
        KieModel.veo(
            "veo3_fast", reference_images=True, extra={"watermark": "MyBrand", "seeds": 12345}
        ),
        VideoRequest(
            "v1",
            VideoSpec(
                model="veo3_fast",
                prompt="A dog playing in a park",
                duration_s=8,
                aspect_ratio="16:9",
                image_urls=("http://example.com/image1.jpg", "http://example.com/image2.jpg"),
            ),
            callback_url="http://your-callback-url.com/complete",
        ),
        "veo_generate_response.json",
        "veo:veo_task_abcdef123456",
        {"enableFallback": "deprecated (doc § 2.1: remove it from requests)"},
    ),
    "jobs_createtask_request_sora2_t2v.json": (
        default_models()["sora-2"],
        VideoRequest(
            "v2",
            VideoSpec(
                model="sora-2",
                prompt="A professor stands at the front of a lively classroom...",
                duration_s=10,
                aspect_ratio="16:9",
            ),
            callback_url="https://your-domain.com/api/callback",
        ),
        "jobs_createtask_response.json",
        "jobs:task_sora-2-image-to-video_1765184045509",
        {"progressCallBackUrl": "its payload is undocumented (doc § 3.4)"},
    ),
    "jobs_createtask_request_sora2_i2v.json": (
        default_models()["sora-2"],
        VideoRequest(
            "v3",
            VideoSpec(
                model="sora-2",
                prompt="A claymation conductor passionately leads a claymation orchestra...",
                duration_s=10,
                aspect_ratio="16:9",
                image_urls=(
                    "https://file.aiquickdraw.com/custom-page/akr/section-images/"
                    "17594315607644506ltpf.jpg",
                ),
            ),
            callback_url="https://your-domain.com/api/callback",
        ),
        "jobs_createtask_response_with_recordid.json",
        "jobs:e931f4f2...",
        {"progressCallBackUrl": "its payload is undocumented (doc § 3.4)"},
    ),
}
CREATE_REPLIES = {case[2] for case in REQUEST_CASES.values()}


def field_differences(
    recorded: Any, built: Any, skipped: dict[str, str], where: str = ""
) -> list[str]:
    """Every field whose value differs, is missing or is extra, as readable lines."""
    if not (isinstance(recorded, dict) and isinstance(built, dict)):
        return (
            [] if recorded == built else [f"{where or '.'}: recorded {recorded!r}, built {built!r}"]
        )
    problems = []
    for key in sorted(set(recorded) | set(built)):
        path = f"{where}.{key}"
        if key in skipped:
            if key in built:
                problems.append(f"{path}: sent, but must never be ({skipped[key]})")
            continue
        if key not in built:
            problems.append(f"{path}: missing from the built request")
        elif key not in recorded:
            problems.append(f"{path}: not in the recorded request")
        else:
            problems += field_differences(recorded[key], built[key], skipped, path)
    return problems


@pytest.mark.parametrize("fixture", sorted(REQUEST_CASES))
async def test_create_requests_equal_the_recorded_bodies_field_by_field(
    kie: Kie, fixture: str
) -> None:
    model, request, reply, expected_id, skipped = REQUEST_CASES[fixture]
    generator, replay = kie(fixture_reply(reply), models={request.spec.model: model})

    task_id = await generator.submit(request)

    assert task_id == expected_id
    sent = replay.requests[0]
    family_path = (
        "/api/v1/veo/generate" if model.family is KieFamily.VEO else "/api/v1/jobs/createTask"
    )
    assert (sent.method, sent.url.host, sent.url.path) == ("POST", "api.kie.ai", family_path)
    assert sent.headers["authorization"] == "Bearer kie-test-key"
    assert sent.headers["content-type"] == "application/json"
    assert field_differences(load(fixture), replay.body(), skipped) == []


# ---------------------------------------------------------------- error envelopes

ERROR_CASES: dict[str, tuple[type[DomainError], str]] = {
    # our key refused: pause and alert (the video is kept), never fail it
    "error_401_no_access.json": (ProviderAccountBlocked, "configuration problem"),
    "error_401_auth_failed_http200.json": (ProviderAccountBlocked, "configuration problem"),
    "error_402_insufficient_credits.json": (ProviderOutOfCredits, "out of credits"),
    # "occurred while processing the request": the task may exist, never create it again
    "error_500_generic.json": (ProviderOutcomeUnknown, "500"),
    "error_500_missing_field.json": (ProviderRejected, "validation"),
    "jobs_createtask_unknown_model_422.json": (ProviderRejected, "model"),
    # 4K upgrades are never requested (VideoSpec has no resolution); the reply still classifies
    "veo_get4k_processing_422.json": (ProviderRejected, "4k is processing"),
}


@pytest.mark.parametrize("http_status", [200, "code"])
@pytest.mark.parametrize("fixture", sorted(ERROR_CASES))
async def test_error_envelopes_on_submit_raise_the_right_domain_error(
    kie: Kie, fixture: str, http_status: int | str
) -> None:
    error, words = ERROR_CASES[fixture]
    status = load(fixture)["code"] if http_status == "code" else 200
    generator, _ = kie(fixture_reply(fixture, status))
    spec = VideoSpec(model="veo3_fast", prompt="a mug on a desk", duration_s=8, aspect_ratio="9:16")

    with pytest.raises(error) as raised:
        await generator.submit(VideoRequest("v", spec))

    assert type(raised.value) is error
    assert words.lower() in raised.value.message.lower()


@pytest.mark.parametrize(
    ("fixture", "error"),
    [
        ("error_401_no_access.json", ProviderAccountBlocked),
        ("error_401_auth_failed_http200.json", ProviderAccountBlocked),
        ("error_402_insufficient_credits.json", ProviderOutOfCredits),
        ("error_500_generic.json", ProviderUnavailable),
    ],
)
async def test_error_envelopes_on_status_and_credits_raise_too(
    kie: Kie, fixture: str, error: type[DomainError]
) -> None:
    generator, _ = kie(fixture_reply(fixture), fixture_reply(fixture))
    # a status read never fails the video on our account's problem: it is only unavailable
    # (the core polls on until the deadline); the admin's credit view names the problem
    with pytest.raises(ProviderUnavailable) as raised:
        await generator.status("jobs:task_1")
    assert type(raised.value) is ProviderUnavailable
    with pytest.raises(error) as raised_too:
        await generator.credits()
    assert type(raised_too.value) is error


# ---------------------------------------------------------------- task records

# fixture -> (task id polled, expected path, state, result URL, failure, words in message)
STATUS_CASES: dict[str, tuple[str, str, TaskState, str | None, FailureKind | None, str]] = {
    "veo_recordinfo_success.json": (
        "veo:veo_task_abcdef123456",
        "/api/v1/veo/record-info",
        TaskState.SUCCEEDED,
        "http://example.com/video1.mp4",
        None,
        "1080p",
    ),
    "veo_recordinfo_generating.json": (
        "veo:a1b2c3d4e5f6g7h8i9j0",
        "/api/v1/veo/record-info",
        TaskState.RUNNING,
        None,
        None,
        "",
    ),
    "jobs_recordinfo_success_sora2.json": (
        "jobs:task_12345678",
        "/api/v1/jobs/recordInfo",
        TaskState.SUCCEEDED,
        "https://example.com/generated-image.jpg",  # the clean one, not resultWaterMarkUrls
        None,
        "",
    ),
    "jobs_recordinfo_success_v2_with_response.json": (
        "jobs:e931f4f24b0f6d5bc4744c719d3f67f3",
        "/api/v1/jobs/recordInfo",
        TaskState.SUCCEEDED,
        "https://.../images/....png",
        None,
        "",
    ),
    "jobs_recordinfo_fail.json": (
        "jobs:task_12345678",
        "/api/v1/jobs/recordInfo",
        TaskState.FAILED,
        None,
        FailureKind.TERMINAL,
        "prohibited content",
    ),
    "jobs_recordinfo_not_found_422.json": (
        "jobs:task_just_created",
        "/api/v1/jobs/recordInfo",
        TaskState.PENDING,
        None,
        None,
        "does not know",
    ),
}


@pytest.mark.parametrize("fixture", sorted(STATUS_CASES))
async def test_task_records_map_to_task_statuses(kie: Kie, fixture: str) -> None:
    task_id, path, state, url, failure, words = STATUS_CASES[fixture]
    generator, replay = kie(fixture_reply(fixture))

    status = await generator.status(task_id)

    assert (status.state, status.result_url, status.failure) == (state, url, failure)
    assert words in status.message
    sent = replay.requests[0]
    assert (sent.method, sent.url.path) == ("GET", path)
    assert sent.url.params["taskId"] == task_id.split(":", 1)[1]


async def test_a_task_unknown_on_veo_too_is_pending(kie: Kie) -> None:
    generator, _ = kie(fixture_reply("jobs_recordinfo_not_found_422.json"))
    assert (await generator.status("veo:veo_task_new")).state is TaskState.PENDING


# ---------------------------------------------------------------- credits and downloads


async def test_the_credit_balance_is_read(kie: Kie) -> None:
    generator, replay = kie(fixture_reply("common_credit_response.json"))
    assert await generator.credits() == 100
    assert replay.requests[0].url.path == "/api/v1/chat/credit"


async def test_an_expired_result_url_is_reminted_once_and_downloaded(kie: Kie) -> None:
    recorded = load("common_download_url_request.json")
    generator, replay = kie(
        httpx.Response(403, text="Forbidden"),
        fixture_reply("common_download_url_response.json"),
        httpx.Response(200, content=MP4),
    )

    assert await generator.download(recorded["url"]) == MP4

    remint = replay.requests[1]
    assert (remint.method, remint.url.path) == ("POST", "/api/v1/common/download-url")
    assert field_differences(recorded, replay.body(1), {}) == []
    assert str(replay.requests[2].url) == load("common_download_url_response.json")["data"]
    assert "authorization" not in replay.requests[0].headers  # no API key to file hosts


# ---------------------------------------------------------------- callbacks

# fixture -> (family, task id as submit returns it, state hint, result URL, failure, code)
CALLBACK_CASES: dict[str, tuple[KieFamily, str, TaskState, str | None, FailureKind | None, int]] = {
    "veo_callback_success.json": (
        KieFamily.VEO,
        "veo:veo_task_abcdef123456",
        TaskState.SUCCEEDED,
        "http://example.com/video1.mp4",
        None,
        200,
    ),
    "veo_callback_fail_400_content_policy.json": (
        KieFamily.VEO,
        "veo:veo_task_abcdef123456",
        TaskState.FAILED,
        None,
        FailureKind.TERMINAL,
        400,
    ),
    "veo_callback_fail_422_flow_rejected.json": (
        KieFamily.VEO,
        "veo:veo_task_abcdef123456",
        TaskState.FAILED,
        None,
        FailureKind.TERMINAL,
        422,
    ),
    "veo_4k_callback_success.json": (
        KieFamily.VEO,
        "veo:veo_task_example123",
        TaskState.SUCCEEDED,
        "https://file.aiquickdraw.com/v/example_task_1234567890.mp4",
        None,
        200,
    ),
    "veo_4k_callback_fail.json": (
        KieFamily.VEO,
        "veo:veo_task_abcdef123456",
        TaskState.FAILED,
        None,
        FailureKind.RETRYABLE,
        500,
    ),
    "jobs_callback_success_sora2.json": (
        KieFamily.JOBS,
        "jobs:e989621f54392584b05867f87b160672",
        TaskState.SUCCEEDED,
        "https://example.com/generated-image.jpg",
        None,
        200,
    ),
    "jobs_callback_success_sora2_i2v_watermark.json": (
        KieFamily.JOBS,
        "jobs:e989621f54392584b05867f87b160672",
        TaskState.SUCCEEDED,
        "https://example.com/generated-image.jpg",
        None,
        200,
    ),
    "jobs_callback_fail.json": (
        KieFamily.JOBS,
        "jobs:bd3a37c523149e4adf45a3ddb5faf1a8",
        TaskState.FAILED,
        None,
        FailureKind.RETRYABLE,  # failCode 500 "Internal server error"
        501,
    ),
}


@pytest.mark.parametrize("fixture", sorted(CALLBACK_CASES))
def test_callbacks_parse_unsigned(fixture: str) -> None:
    family, task_id, state, url, failure, code = CALLBACK_CASES[fixture]
    callback = KieCallbackVerifier(None).parse((FIXTURES / fixture).read_bytes(), {})
    assert (callback.family, callback.task_id, callback.state) == (family, task_id, state)
    assert (callback.result_url, callback.failure, callback.code) == (url, failure, code)
    assert callback.provider_task_id == task_id.split(":", 1)[1]
    assert not callback.signed


@pytest.mark.parametrize("fixture", sorted(CALLBACK_CASES))
def test_callbacks_parse_signed(fixture: str) -> None:
    verifier = KieCallbackVerifier("whk-secret", clock=lambda: 1_760_000_000.0)
    _, task_id, state, *_ = CALLBACK_CASES[fixture]
    headers = {
        "X-Webhook-Timestamp": "1760000000",
        "X-Webhook-Signature": verifier.signature(task_id.split(":", 1)[1], "1760000000"),
    }
    callback = verifier.parse((FIXTURES / fixture).read_bytes(), headers)
    assert (callback.task_id, callback.state, callback.signed) == (task_id, state, True)


async def test_a_callback_names_the_task_id_submit_returned(kie: Kie) -> None:
    generator, _ = kie(fixture_reply("veo_generate_response.json"))
    spec = VideoSpec(model="veo3_fast", prompt="a mug", duration_s=8, aspect_ratio="9:16")
    task_id = await generator.submit(VideoRequest("v", spec))
    callback = KieCallbackVerifier(None).parse(
        (FIXTURES / "veo_callback_success.json").read_bytes(), {}
    )
    assert callback.task_id == task_id


# ---------------------------------------------------------------- not used by the port

# Replies of endpoints the adapter does not call, with the reason; each is still checked to
# unwrap and yield its URL, so adopting the endpoint later starts from a working parser.
DOCUMENTED_ONLY: dict[str, tuple[str, str, str]] = {
    "veo_get1080p_response.json": (
        "1080p upgrades are not requested: VideoSpec carries no resolution, and the upgrade "
        "is a separate step polled after success",
        "resultUrl",
        "https://tempfile.aiquickdraw.com/p/42f4f8facbb040c0ade87c27cb2d5e58_1749711595.mp4",
    ),
    "file_upload_response.json": (
        "uploads are not needed: product image URLs are already public",
        "downloadUrl",
        "https://tempfile.redpandaai.co/kieai/528618/kie-studio/1788331086662-khed0yx8az.png",
    ),
}


@pytest.mark.parametrize("fixture", sorted(DOCUMENTED_ONLY))
def test_upgrade_and_upload_replies_unwrap_to_their_url(fixture: str) -> None:
    _, key, url = DOCUMENTED_ONLY[fixture]
    envelope = read_envelope(fixture_reply(fixture))
    assert envelope.ok and first_http_url(envelope.data[key]) == url


# ---------------------------------------------------------------- parity with the fake


@pytest.fixture(params=["fake", "kie"])
async def generator(request: pytest.FixtureRequest, kie: Kie) -> tuple[VideoGenerator, str]:
    """A generator and the id of a task it does not know."""
    if request.param == "fake":
        return FakeVideoGenerator(), "task_fake_999999"
    made, _ = kie(fixture_reply("jobs_recordinfo_not_found_422.json"))
    return made, "jobs:task_unknown"


async def test_every_generator_reports_an_unknown_task_as_pending(
    generator: tuple[VideoGenerator, str],
) -> None:
    made, unknown = generator
    status = await made.status(unknown)
    assert (status.state, status.result_url, status.failure) == (TaskState.PENDING, None, None)


# ---------------------------------------------------------------- coverage


COVERED = (
    set(REQUEST_CASES)
    | CREATE_REPLIES
    | set(ERROR_CASES)
    | set(STATUS_CASES)
    | set(CALLBACK_CASES)
    | set(DOCUMENTED_ONLY)
    | {
        "common_credit_response.json",  # test_the_credit_balance_is_read
        "common_download_url_request.json",  # test_an_expired_result_url_is_reminted...
        "common_download_url_response.json",
    }
)


def coverage_gaps(directory: Path) -> tuple[set[str], set[str]]:
    """(files no test replays, names the tests claim that are gone)."""
    present = {path.name for path in directory.iterdir() if path.name != "SOURCES.md"}
    return present - COVERED, COVERED - present


def test_every_fixture_file_is_covered() -> None:
    uncovered, gone = coverage_gaps(FIXTURES)
    assert uncovered == set(), "new Kie.ai fixtures that no test replays"
    assert gone == set(), "tests name Kie.ai fixtures that are gone"


def test_the_coverage_check_notices_a_new_fixture(tmp_path: Path) -> None:
    for name in COVERED:
        (tmp_path / name).write_text("{}")
    (tmp_path / "veo_extend_response.json").write_text("{}")
    assert coverage_gaps(tmp_path) == ({"veo_extend_response.json"}, set())


def test_model_defaults_cover_every_kie_model_of_the_price_table() -> None:
    from afp_core.domain.pricing import default_price_table

    kie_models = {m.id for m in default_price_table().models if m.id != "afp-local"}
    assert set(default_models()) == kie_models
