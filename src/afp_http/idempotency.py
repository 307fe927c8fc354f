"""`Idempotency-Key` on mutating POSTs: the first response is stored and replayed.

Scope = (user, method, path); the fingerprint is a hash of the parsed body. The same key with
the same body replays the first response (status, body, media type) with `Idempotent-Replayed:
true`; with another body it is `409 idempotency_conflict`. Concurrent duplicates in one process
wait on a lock per scope and key, so the handler runs once. Only successful answers are stored:
a request that failed may be retried with its key.

The store is a port of this package (`ResponseStore`). `UnitOfWorkResponseStore` (the default)
keeps answers in the database through the core's `RecallResponse`/`RememberResponse`, so every
process, and a restarted one, replays them; the `(scope, key)` primary key decides between
twins in different processes. `MemoryResponseStore` keeps answers for `ttl_s` in this process
(for tests and single-process tools).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
from litestar import Response
from pydantic import BaseModel

from afp_core.domain.errors import IdempotencyConflict
from afp_core.domain.idempotency import IdempotencyRecord, check_key, fingerprint
from afp_core.usecases import (
    RecallResponse,
    RecallResponseQuery,
    RememberResponse,
    RememberResponseCommand,
)

REPLAYED_HEADER = "Idempotent-Replayed"
JSON = "application/json"

Produce = Callable[[], Awaitable[tuple[int, BaseModel]]]


@attrs.frozen
class StoredResponse:
    fingerprint: str
    status: int
    body: bytes
    media_type: str


class ResponseStore(Protocol):
    async def get(self, scope: str, key: str) -> StoredResponse | None:
        """The response stored for `(scope, key)`, if any (and not expired)."""
        ...

    async def add(self, scope: str, key: str, response: StoredResponse) -> StoredResponse:
        """Store unless a response is there already; returns the one that stays (the first)."""
        ...


class MemoryResponseStore:
    """Implements `ResponseStore` in this process; answers are forgotten after `ttl_s`."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._items: dict[tuple[str, str], tuple[float, StoredResponse]] = {}

    async def get(self, scope: str, key: str) -> StoredResponse | None:
        found = self._items.get((scope, key))
        if found is None:
            return None
        if found[0] <= self._clock():
            del self._items[(scope, key)]
            return None
        return found[1]

    async def add(self, scope: str, key: str, response: StoredResponse) -> StoredResponse:
        existing = await self.get(scope, key)
        if existing is not None:
            return existing
        self._items[(scope, key)] = (self._clock() + self._ttl_s, response)
        return response


MAX_STORED_SCOPE = 120  # the idempotency table's scope column


def _stored_scope(scope: str) -> str:
    """The scope as stored: a long one (a long path) becomes a hash of itself."""
    if len(scope) <= MAX_STORED_SCOPE:
        return scope
    return "http-sha256:" + hashlib.sha256(scope.encode()).hexdigest()


def _as_json(response: StoredResponse) -> dict[str, object]:
    try:
        return {
            "status": response.status,
            "media_type": response.media_type,
            "text": response.body.decode(),
        }
    except UnicodeDecodeError:
        return {
            "status": response.status,
            "media_type": response.media_type,
            "base64": base64.b64encode(response.body).decode("ascii"),
        }


def _from_record(record: IdempotencyRecord) -> StoredResponse | None:
    """The stored answer, or None for a record that holds none (another layer's key)."""
    data = record.result or {}
    status, media_type = data.get("status"), data.get("media_type")
    if not isinstance(status, int) or not isinstance(media_type, str):
        return None
    if isinstance(text := data.get("text"), str):
        body = text.encode()
    elif isinstance(encoded := data.get("base64"), str):
        body = base64.b64decode(encoded)
    else:
        return None
    return StoredResponse(record.fingerprint, status, body, media_type)


class UnitOfWorkResponseStore:
    """Implements `ResponseStore` on the core's idempotency records: `{status, media_type,
    text | base64}` in the record's result, the request hash as its fingerprint. Answers are
    kept until the records are purged (no TTL here). Takes factories of the use cases (the
    container's providers), so overriding the container later still takes effect."""

    def __init__(
        self, recall: Callable[[], RecallResponse], remember: Callable[[], RememberResponse]
    ) -> None:
        self._recall = recall
        self._remember = remember

    async def get(self, scope: str, key: str) -> StoredResponse | None:
        record = await self._recall().execute(RecallResponseQuery(_stored_scope(scope), key))
        return _from_record(record) if record is not None else None

    async def add(self, scope: str, key: str, response: StoredResponse) -> StoredResponse:
        kept = await self._remember().execute(
            RememberResponseCommand(
                scope=_stored_scope(scope),
                key=key,
                request_hash=response.fingerprint,
                result=_as_json(response),
                result_ref=f"http:{response.status}",
            )
        )
        if kept.fingerprint == response.fingerprint and kept.result == _as_json(response):
            return response  # ours was stored: the caller checks `kept is fresh`
        return _from_record(kept) or response


def _encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def _replay(stored: StoredResponse) -> Response[bytes]:
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.media_type,
        headers={REPLAYED_HEADER: "true"},
    )


class IdempotentResponses:
    """Runs a handler's work once per idempotency key and replays its answer."""

    def __init__(self, store: ResponseStore) -> None:
        self._store = store
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    async def respond(
        self,
        *,
        user_id: str,
        method: str,
        path: str,
        key: str | None,
        payload: object,
        produce: Produce,
    ) -> Response[Any]:
        if key is None:
            status, model = await produce()
            return Response(_encode(model), status_code=status, media_type=JSON)
        key = check_key(key)
        scope = f"http:{user_id}:{method}:{path}"
        request_fp = fingerprint("http", {"body": payload})
        async with self._locked(scope, key):
            found = await self._store.get(scope, key)
            if found is not None:
                return self._checked_replay(found, request_fp, key)
            status, model = await produce()
            fresh = StoredResponse(request_fp, status, _encode(model), JSON)
            kept = await self._store.add(scope, key, fresh)
            if kept is not fresh:  # another process stored first
                return self._checked_replay(kept, request_fp, key)
            return Response(fresh.body, status_code=status, media_type=JSON)

    @staticmethod
    def _checked_replay(found: StoredResponse, request_fp: str, key: str) -> Response[bytes]:
        if found.fingerprint != request_fp:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was already used with a different request"
            )
        return _replay(found)

    def _locked(self, scope: str, key: str) -> _KeyLock:
        return _KeyLock(self._locks, (scope, key))


class _KeyLock:
    """An `asyncio.Lock` per key, dropped when nobody holds or waits for it."""

    def __init__(
        self, locks: dict[tuple[str, str], tuple[asyncio.Lock, int]], name: tuple[str, str]
    ) -> None:
        self._locks = locks
        self._name = name

    async def __aenter__(self) -> None:
        lock, users = self._locks.get(self._name, (asyncio.Lock(), 0))
        self._locks[self._name] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: stop counting as a user
            self._leave()
            raise

    async def __aexit__(self, *_: object) -> None:
        self._locks[self._name][0].release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._locks[self._name]
        if users <= 1:
            del self._locks[self._name]
        else:
            self._locks[self._name] = (lock, users - 1)


__all__ = [
    "REPLAYED_HEADER",
    "IdempotentResponses",
    "MemoryResponseStore",
    "ResponseStore",
    "StoredResponse",
    "UnitOfWorkResponseStore",
]
