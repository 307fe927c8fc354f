"""`KieVideoGenerator`: the `VideoGenerator` port on Kie.ai, over plain httpx.

No retries here: the resilience wrapper retries, breaks and rate-limits. This adapter only
classifies every failure precisely so that wrapper (and the core) can decide.

Task ids: `submit` returns `<family>:<Kie task id>` (`veo:…` or `jobs:…`) so `status` knows which
endpoint to ask without any state. `status` also takes a plain Kie id: `veo_task_…` is asked on
Veo and `task_…` on jobs; any other plain id on the only configured family, else on jobs first
and then on Veo when jobs does not know it.

Not-found: a task Kie does not know (yet) is PENDING, however old; the port does not carry the
creation time, so the core's render deadline decides when to give up on it.

Create (`submit`) bills, so once the request may have left, only a clear refusal is retryable
(`ProviderUnavailable`); anything unclear is `ProviderOutcomeUnknown` (see `_envelope`).
Status reads trust only task-level fields of a parsed record and Kie's known record messages:
every other answer (a gateway page, a 5xx, our key refused) raises `ProviderUnavailable`, so
the core polls again until the video's deadline and never fails a video on a transport hiccup.

The API key lives only in a `httpx.Auth` given to calls to Kie's API (never to the file host
serving results, never set on a shared client); its repr hides the key.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from afp_adapters.kie._download import fetch_video
from afp_adapters.kie._envelope import (
    Envelope,
    account_problem,
    create_error,
    is_not_found,
    read_envelope,
    read_error,
)
from afp_adapters.kie._records import jobs_status, veo_status
from afp_adapters.kie._requests import build_create_body, create_path
from afp_adapters.kie.models import KieFamily, KieModel, TaskRef, default_models, task_id_for
from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from afp_core.domain.video import FailureKind
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest

DEFAULT_BASE_URL = "https://api.kie.ai"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
# Cloudflare in front of Kie.ai may answer 403 "error code: 1010" to clients without a
# browser-like User-Agent (doc § 1).
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; afp-kie/0.1; +https://kie.ai)"
_RECORD_PATHS = {
    KieFamily.VEO: "/api/v1/veo/record-info",
    KieFamily.JOBS: "/api/v1/jobs/recordInfo",
}
# Raised before a single byte of the request left: repeating the create call is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class _KieAuth(httpx.Auth):
    """Adds `Authorization: Bearer <key>` to the requests it is given (only Kie's API calls).

    Holding the key here, not in per-call header dicts, keeps it out of tracebacks that show
    locals; the repr hides it."""

    def __init__(self, api_key: str) -> None:
        self._value = f"Bearer {api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return "<Kie.ai API key auth (hidden)>"


class KieVideoGenerator:
    """Implements `VideoGenerator` (and `credits()` for the admin health view).

    `models` maps AFP model ids (`VideoSpec.model`) to `KieModel`s; `client` may be shared (it
    is then not closed here). Every call has a timeout; `download` caps the size it reads.
    """

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.AsyncClient | None = None,
        base_url: str = DEFAULT_BASE_URL,
        models: Mapping[str, KieModel] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        download_timeout: httpx.Timeout | float = DEFAULT_DOWNLOAD_TIMEOUT,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if not api_key:
            raise ValueError("the Kie.ai API key is empty (set AFP_KIE_API_KEY)")
        self._auth = _KieAuth(api_key)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient()
        self._base_url = base_url.rstrip("/")
        self._models = dict(default_models() if models is None else models)
        self._timeout = _as_timeout(timeout)
        self._download_timeout = _as_timeout(download_timeout)
        self._max_download_bytes = max_download_bytes
        self._user_agent = user_agent
        self._api_headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._families = frozenset(model.family for model in self._models.values())

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ port

    async def submit(self, request: VideoRequest) -> str:
        model = self._models.get(request.spec.model)
        if model is None:
            known = ", ".join(sorted(self._models)) or "none"
            raise ProviderRejected(
                f"no Kie.ai model is configured for {request.spec.model!r} (configured: {known})"
            )
        body = build_create_body(request, model)
        action = f"create the {request.spec.model} task"
        try:
            response = await self._client.post(
                self._url(create_path(model)),
                json=body,
                headers=self._api_headers,
                auth=self._auth,
                timeout=self._timeout,
            )
        except (*_NOT_SENT, httpx.InvalidURL) as exc:
            raise ProviderUnavailable(f"Kie.ai could not {action}: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:  # read timeouts, dropped connections, bad gzip...
            raise ProviderOutcomeUnknown(
                f"Kie.ai could not {action}: {_describe(exc)} after the request was sent; "
                "the task may exist (and be billed), so it must not be created again blindly"
            ) from exc
        try:
            envelope = read_envelope(response)
            provider_id = _created_task_id(envelope.data) if envelope.ok else None
        except (ValueError, TypeError, RecursionError) as exc:
            raise ProviderOutcomeUnknown(
                f"Kie.ai could not {action}: its answer (HTTP {response.status_code}) could not "
                f"be read ({type(exc).__name__}); the task may exist, so it must not be created "
                "again blindly"
            ) from exc
        if not envelope.ok:
            raise create_error(envelope, action=action)
        if provider_id is None:
            raise ProviderOutcomeUnknown(
                f"Kie.ai answered the {request.spec.model} create call without a task id; "
                "a task may exist, so it must not be created again blindly"
            )
        return task_id_for(model.family, provider_id)

    async def status(self, task_id: str) -> TaskStatus:
        ref = TaskRef.parse(task_id)
        if ref.family is not None:
            return await self._status_on(ref.family, ref.provider_id)
        if len(self._families) == 1:
            return await self._status_on(next(iter(self._families)), ref.provider_id)
        found = await self._status_on(KieFamily.JOBS, ref.provider_id)
        if found.state is TaskState.PENDING and found.message == _NOT_VISIBLE:
            return await self._status_on(KieFamily.VEO, ref.provider_id)
        return found

    async def download(self, result_url: str) -> bytes:
        return await fetch_video(
            self._client,
            result_url,
            remint=self._remint,
            http_timeout=self._download_timeout,
            max_bytes=self._max_download_bytes,
            user_agent=self._user_agent,
        )

    # ------------------------------------------------------------------ extras

    async def credits(self) -> int:
        """The account's credit balance (`GET /api/v1/chat/credit`); 1 credit ≈ US$0.005."""
        action = "read the credit balance"
        envelope = await self._get("/api/v1/chat/credit", {}, action=action)
        if not envelope.ok:  # our account's problems as they are: this is the admin's view
            has_account_code = account_problem(envelope.code, envelope.message) is not None
            if envelope.is_json or has_account_code:
                raise envelope.error(action)
            raise read_error(envelope, action=action)
        balance = envelope.data
        if isinstance(balance, str):
            try:
                balance = float(balance)
            except ValueError:
                balance = None
        unreadable = isinstance(balance, float) and not math.isfinite(balance)
        if unreadable or isinstance(balance, bool) or not isinstance(balance, int | float):
            raise ProviderUnavailable(f"Kie.ai sent an unreadable credit balance: {balance!r:.200}")
        return int(balance)

    # ------------------------------------------------------------------ helpers

    async def _status_on(self, family: KieFamily, provider_id: str) -> TaskStatus:
        action = "read the task status"
        envelope = await self._get(_RECORD_PATHS[family], {"taskId": provider_id}, action=action)
        if envelope.ok:
            try:
                if family is KieFamily.VEO:
                    return veo_status(envelope.data)
                return jobs_status(envelope.data)
            except (ValueError, TypeError, RecursionError) as exc:
                raise ProviderUnavailable(
                    f"Kie.ai could not {action}: an unreadable task record ({type(exc).__name__})"
                ) from exc
        if envelope.is_json:  # Kie's own record messages, the only non-200 answers trusted
            if is_not_found(envelope.code, envelope.message):
                return TaskStatus(TaskState.PENDING, message=_NOT_VISIBLE)
            if envelope.code == 422 and "14 days" in envelope.message:
                return TaskStatus(
                    TaskState.FAILED,
                    failure=FailureKind.TERMINAL,
                    message=f"Kie.ai keeps task records for 14 days only ({envelope.message})",
                )
            if envelope.code == 422 and any(
                text in envelope.message.lower() for text in _NOT_READY
            ):
                return TaskStatus(TaskState.RUNNING, message=f"Kie.ai: {envelope.message}")
        raise _status_unavailable(envelope, action=action, path=_RECORD_PATHS[family])

    async def _get(self, path: str, params: Mapping[str, str], *, action: str) -> Envelope:
        return await self._call("GET", path, action=action, params=params)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        action: str,
        params: Mapping[str, str] | None = None,
        json: object = None,
    ) -> Envelope:
        """A repeatable call to Kie's API: any failure to get an answer is unavailable."""
        try:
            response = await self._client.request(
                method,
                self._url(path),
                params=params,
                json=json,
                headers=self._api_headers,
                auth=self._auth,
                timeout=self._timeout,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ProviderUnavailable(f"Kie.ai could not {action}: {_describe(exc)}") from exc
        try:
            return read_envelope(response)
        except (ValueError, TypeError, RecursionError) as exc:
            raise ProviderUnavailable(
                f"Kie.ai could not {action}: an unreadable answer (HTTP {response.status_code})"
            ) from exc

    async def _remint(self, url: str) -> str:
        """A fresh 20-minute link for an expired Kie result URL (`/common/download-url`)."""
        action = "re-issue the download link"
        envelope = await self._call(
            "POST", "/api/v1/common/download-url", action=action, json={"url": url}
        )
        if not envelope.ok:
            raise read_error(envelope, action=action)
        fresh = envelope.data
        if not isinstance(fresh, str) or not fresh.startswith(("http://", "https://")):
            raise ProviderUnavailable(f"Kie.ai could not {action}: no URL in {fresh!r:.200}")
        return fresh

    def _url(self, path: str) -> str:
        return f"{self._base_url}{path}"


_NOT_VISIBLE = "Kie.ai does not know the task (yet)"
# Veo record-info 422 messages that may only mean "not finished": keep polling (doc § 2.2)
_NOT_READY = ("record status is not success", "record result data is empty")


def _as_timeout(value: httpx.Timeout | float) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _status_unavailable(envelope: Envelope, *, action: str, path: str) -> ProviderUnavailable:
    """Why a record query gave no answer about the task. Never a verdict on the task: no word
    heuristics here, the core polls again until the video's deadline."""
    code, status = envelope.code, envelope.http_status
    said = f"Kie.ai could not {action} ({code}: {envelope.message or 'no message'})"
    problem = account_problem(code, envelope.message)
    if problem is not None:
        return ProviderUnavailable(f"{said}: {problem}; polling goes on until the video's deadline")
    if not envelope.is_json and status == 404:
        return ProviderUnavailable(
            f"Kie.ai has no endpoint {path} (HTTP 404): check the Kie.ai base URL"
        )
    if not envelope.is_json:
        return ProviderUnavailable(
            f"{said}: an HTTP {status} answer that is not Kie's JSON (a gateway or proxy page), "
            "not the task's outcome; polling goes on"
        )
    return ProviderUnavailable(f"{said}: not an answer about the task; polling goes on")


def _created_task_id(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    for key in ("taskId", "task_id"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DOWNLOAD_TIMEOUT",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_TIMEOUT",
    "KieVideoGenerator",
]
