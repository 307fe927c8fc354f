"""Idempotency semantics shared by every adapter.

A request is identified by `(scope, key)`; its *fingerprint* is a hash of the operation and its
payload. Same key + same fingerprint: return the stored result and write nothing. Same key +
different fingerprint: `IdempotencyConflict`, and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from afp_core.domain.errors import IdempotencyConflict, ValidationFailed

MAX_KEY_LENGTH = 200


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if attrs.has(type(value)):
        return json.dumps(attrs.asdict(value, recurse=True), default=_default, sort_keys=True)  # type: ignore[arg-type]
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(operation: str, payload: Mapping[str, object]) -> str:
    """A stable hash of an operation and its payload (order of keys does not matter)."""
    text = json.dumps({"op": operation, "payload": payload}, sort_keys=True, default=_default)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(f"idempotency key must be 1-{MAX_KEY_LENGTH} printable characters")
    return key


@attrs.frozen
class IdempotencyRecord:
    """A used key: who used it, for what request, and a reference to the first result.

    `result` optionally keeps the first result itself (plain JSON values), for callers that
    replay an answer rather than reload what `result_ref` names (e.g. a stored HTTP response).
    """

    scope: str
    key: str
    fingerprint: str
    result_ref: str
    created_at: datetime
    result: Mapping[str, object] | None = None

    def replay(self, fingerprint_: str) -> str:
        """The stored result reference, or `IdempotencyConflict` if the request differs."""
        if fingerprint_ != self.fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {self.key!r} was already used with a different request"
            )
        return self.result_ref


__all__ = ["MAX_KEY_LENGTH", "IdempotencyRecord", "check_key", "fingerprint"]
