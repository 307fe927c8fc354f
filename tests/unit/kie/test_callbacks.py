"""Callback parsing and the optional HMAC signature (task id + "." + timestamp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from afp_adapters.kie import KieCallbackVerifier, KieFamily, parse_callback
from afp_core.domain.errors import InvalidSignature, ValidationFailed
from afp_core.ports.generation import TaskState

NOW = 1_760_000_000.0
KEY = "whk-secret"
BODY = json.dumps(
    {
        "code": 200,
        "msg": "Veo3.1 video generated successfully.",
        "data": {"taskId": "veo_task_1", "info": {"resultUrls": ["https://cdn.example/1.mp4"]}},
    }
).encode()


def kie_signature(task_id: str, timestamp: str, key: str = KEY) -> str:
    """Computed independently of the adapter, straight from Kie's documented formula."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verifier() -> KieCallbackVerifier:
    return KieCallbackVerifier(KEY, clock=lambda: NOW)


def signed_headers(timestamp: int = int(NOW), task_id: str = "veo_task_1") -> dict[str, str]:
    return {
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": kie_signature(task_id, str(timestamp)),
    }


def test_a_good_signature_verifies() -> None:
    callback = verifier().parse(BODY, signed_headers())
    assert callback.signed
    assert (callback.task_id, callback.state) == ("veo:veo_task_1", TaskState.SUCCEEDED)
    assert callback.result_url == "https://cdn.example/1.mp4"


def test_header_names_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in signed_headers().items()}
    assert verifier().parse(BODY, headers).signed


def test_a_signature_made_with_another_key_is_refused() -> None:
    headers = signed_headers()
    headers["X-Webhook-Signature"] = kie_signature("veo_task_1", str(int(NOW)), key="other")
    with pytest.raises(InvalidSignature, match="does not match"):
        verifier().parse(BODY, headers)


def test_a_signature_for_another_task_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verifier().parse(BODY, signed_headers(task_id="veo_task_2"))


@pytest.mark.parametrize("skew", [-301, 301, -86_400])
def test_stale_or_future_timestamps_are_refused_even_when_signed_correctly(skew: int) -> None:
    with pytest.raises(InvalidSignature, match="stale"):
        verifier().parse(BODY, signed_headers(timestamp=int(NOW) + skew))


def test_timestamps_within_the_window_pass() -> None:
    assert verifier().parse(BODY, signed_headers(timestamp=int(NOW) - 299)).signed


def test_a_millisecond_timestamp_is_understood() -> None:
    assert verifier().parse(BODY, signed_headers(timestamp=int(NOW) * 1000)).signed


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Webhook-Timestamp": str(int(NOW))},
        {"X-Webhook-Signature": kie_signature("veo_task_1", str(int(NOW)))},
        {"X-Webhook-Timestamp": "yesterday", "X-Webhook-Signature": "abc"},
    ],
)
def test_missing_or_malformed_signature_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature):
        verifier().parse(BODY, headers)


def test_without_a_key_nothing_is_verified_and_the_callback_says_so() -> None:
    unsigned = KieCallbackVerifier(None)
    assert not unsigned.verifies
    callback = unsigned.parse(BODY, {"X-Webhook-Signature": "garbage"})
    assert not callback.signed
    assert parse_callback(BODY, {}).task_id == "veo:veo_task_1"
    with pytest.raises(ValueError, match=r"no Kie\.ai webhook HMAC key"):
        unsigned.signature("veo_task_1", "1")


def test_the_verifier_helper_matches_kies_formula() -> None:
    assert verifier().signature("t", "1") == kie_signature("t", "1")


@pytest.mark.parametrize(
    "payload",
    [
        {"code": 200, "data": {"task_id": "veo_task_1", "result_urls": ["https://x/1.mp4"]}},
        {"code": 200, "taskId": "veo_task_1", "data": None},
    ],
)
def test_the_task_id_is_found_in_data_task_id_or_at_the_top(payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    callback = verifier().parse(body, signed_headers())
    assert (callback.provider_task_id, callback.family) == ("veo_task_1", KieFamily.VEO)


def test_a_jobs_callback_keeps_the_jobs_family() -> None:
    body = json.dumps(
        {"code": 200, "data": {"taskId": "abc", "state": "generating", "model": "sora-2"}}
    ).encode()
    callback = parse_callback(body, {})
    assert (callback.task_id, callback.state) == ("jobs:abc", TaskState.RUNNING)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"code": 200, "data": {}}', "no task id"),
        (b'{"code": 200, "data": {"taskId": ""}}', "no task id"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # RecursionError in the JSON parser
        (b'{"data": ' * 50_000 + b"1" + b"}" * 50_000, "not JSON"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_bodies_that_are_not_kie_callbacks_are_invalid(body: bytes, words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        parse_callback(body, {}, hmac_key=KEY)


def test_a_success_callback_without_a_url_is_a_running_hint_not_a_failure() -> None:
    body = json.dumps({"code": 200, "msg": "success", "data": {"taskId": "veo_task_1"}}).encode()
    callback = parse_callback(body, {})
    assert (callback.state, callback.failure, callback.result_url) == (
        TaskState.RUNNING,
        None,
        None,
    )
