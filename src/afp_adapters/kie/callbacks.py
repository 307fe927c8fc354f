"""Kie.ai callbacks (`POST /webhooks/kie`): parse both families, verify the optional signature.

A callback is a hint, never the truth: it names a task to poll now. The signature, when Kie's
`webhookHmacKey` is configured (`AFP_KIE_WEBHOOK_HMAC_KEY`), is
`base64(HMAC-SHA256(key, taskId + "." + X-Webhook-Timestamp))` in `X-Webhook-Signature`; it
covers the task id and the timestamp only, not the body (doc § 5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from afp_adapters.kie._envelope import as_int
from afp_adapters.kie._records import failed, jobs_status, result_url, succeeded
from afp_adapters.kie.models import KieFamily, task_id_for
from afp_core.domain.errors import InvalidSignature, ValidationFailed
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState

SIGNATURE_HEADER = "x-webhook-signature"
TIMESTAMP_HEADER = "x-webhook-timestamp"
DEFAULT_TOLERANCE_S = 300.0
_JOBS_MARKERS = ("state", "model", "param", "resultJson", "failCode", "successFlag")
_MS_THRESHOLD = 100_000_000_000  # a timestamp above this is in milliseconds


@attrs.frozen
class KieCallback:
    """What one callback says. `task_id` is in the form `KieVideoGenerator.submit` returns
    (`veo:<id>` / `jobs:<id>`), so it matches the stored task id; `provider_task_id` is Kie's."""

    task_id: str
    provider_task_id: str
    family: KieFamily
    state: TaskState  # a hint: poll the task before believing it
    code: int | None = None
    result_url: str | None = None
    failure: FailureKind | None = None
    message: str = ""
    signed: bool = False  # True when the signature was checked and matched


def _task_id(payload: Mapping[str, Any]) -> str | None:
    data = payload.get("data")
    candidates: list[object] = []
    if isinstance(data, Mapping):
        candidates += [data.get("taskId"), data.get("task_id")]
    candidates += [payload.get("taskId"), payload.get("task_id")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def _family(data: Mapping[str, Any]) -> KieFamily:
    """Jobs callbacks carry the whole record (`state`, `model`, `param`, ...); Veo callbacks
    carry `info`, `promptJson`, `fallbackFlag` or only the task id."""
    return KieFamily.JOBS if any(key in data for key in _JOBS_MARKERS) else KieFamily.VEO


def _decode(body: bytes) -> Mapping[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON, bad UTF-8, nested too deep
        raise ValidationFailed("the Kie.ai callback is not JSON") from exc
    if not isinstance(payload, Mapping):
        raise ValidationFailed("the Kie.ai callback is not a JSON object")
    return payload


def _hint(family: KieFamily, payload: Mapping[str, Any], data: Mapping[str, Any]) -> KieCallback:
    code = as_int(payload.get("code"))
    message = str(payload.get("msg") or payload.get("message") or "")
    provider_id = _task_id(payload) or ""
    task_id = task_id_for(family, provider_id)
    if family is KieFamily.JOBS:
        status = jobs_status(data)
        if status.state is TaskState.RUNNING and code not in (None, 200) and "state" not in data:
            status = failed(code, message, "the Kie.ai task failed")
    elif code in (None, 200):
        status = succeeded(data, [])
    else:
        status = failed(code, message, "the Veo render failed")
    return KieCallback(
        task_id=task_id,
        provider_task_id=provider_id,
        family=family,
        state=status.state,
        code=code,
        result_url=status.result_url or result_url(data),
        failure=status.failure,
        message=status.message or message,
    )


class KieCallbackVerifier:
    """Parses Kie.ai callbacks; with an HMAC key, refuses any whose signature is missing, wrong
    or older (or newer) than `tolerance_s` with `InvalidSignature`. Without a key nothing is
    verified (`signed=False`): the caller must treat the callback as a bare hint."""

    def __init__(
        self,
        hmac_key: str | None,
        *,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = hmac_key.encode() if hmac_key else None
        self._tolerance_s = tolerance_s
        self._clock = clock

    @property
    def verifies(self) -> bool:
        return self._key is not None

    def parse(self, body: bytes, headers: Mapping[str, str]) -> KieCallback:
        """The callback's hint. `ValidationFailed` for a body that is not a Kie callback."""
        payload = _decode(body)
        provider_id = _task_id(payload)
        if provider_id is None:
            raise ValidationFailed("the Kie.ai callback names no task id")
        data = payload.get("data")
        record: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if self._key is not None:
            self._verify(provider_id, headers)
        try:
            callback = _hint(_family(record), payload, record)
        except RecursionError as exc:  # a record nested too deep to read
            raise ValidationFailed("the Kie.ai callback is nested too deeply to read") from exc
        return attrs.evolve(callback, signed=self._key is not None)

    def signature(self, provider_task_id: str, timestamp: str) -> str:
        """The signature Kie.ai sends for a task id and timestamp (also handy in tests)."""
        if self._key is None:
            raise ValueError("no Kie.ai webhook HMAC key is configured")
        message = f"{provider_task_id}.{timestamp}".encode()
        return base64.b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode()

    def _verify(self, provider_task_id: str, headers: Mapping[str, str]) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        given = lowered.get(SIGNATURE_HEADER, "").strip()
        stamp = lowered.get(TIMESTAMP_HEADER, "").strip()
        if not given or not stamp:
            raise InvalidSignature("the Kie.ai callback is not signed")
        seconds = as_int(stamp)
        if seconds is None:
            raise InvalidSignature("the Kie.ai callback timestamp is not a unix time")
        when = seconds / 1000 if seconds > _MS_THRESHOLD else float(seconds)
        if abs(self._clock() - when) > self._tolerance_s:
            raise InvalidSignature("the Kie.ai callback timestamp is stale")
        expected = self.signature(provider_task_id, stamp)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise InvalidSignature("the Kie.ai callback signature does not match")


def parse_callback(
    body: bytes, headers: Mapping[str, str], *, hmac_key: str | None = None
) -> KieCallback:
    """`KieCallbackVerifier(hmac_key).parse(body, headers)`, for one-off use."""
    return KieCallbackVerifier(hmac_key).parse(body, headers)


__all__ = [
    "DEFAULT_TOLERANCE_S",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "KieCallback",
    "KieCallbackVerifier",
    "parse_callback",
]
