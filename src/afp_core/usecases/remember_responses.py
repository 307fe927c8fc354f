"""RecallResponse and RememberResponse: a driver's first answer to an idempotent request, kept
in the database so every process (and a restarted one) replays it.

The answer is stored as plain JSON values in `IdempotencyRecord.result`, under the driver's
scope and key; the `(scope, key)` uniqueness of the idempotency repository decides which of two
concurrent twins is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from afp_core.domain.errors import Conflict, ValidationFailed
from afp_core.domain.idempotency import IdempotencyRecord, check_key
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_SCOPE_LENGTH = 120


def _scope(value: str) -> str:
    if not value or len(value) > MAX_SCOPE_LENGTH:
        raise ValidationFailed(f"an idempotency scope is 1-{MAX_SCOPE_LENGTH} characters")
    return value


@attrs.frozen
class RecallResponseQuery:
    scope: str = attrs.field(converter=_scope)
    key: str = attrs.field(converter=check_key)


@attrs.frozen
class RememberResponseCommand:
    scope: str = attrs.field(converter=_scope)
    key: str = attrs.field(converter=check_key)
    request_hash: str
    result: Mapping[str, object]
    result_ref: str = ""
    now: datetime | None = None


class RecallResponse:
    """The record stored for `(scope, key)`, or None. The caller compares its request hash
    (`record.fingerprint`) before replaying `record.result`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: RecallResponseQuery) -> IdempotencyRecord | None:
        async with self._uow() as uow:
            return await uow.idempotency.get(query.scope, query.key)


class RememberResponse:
    """Store the answer unless one is stored already; returns the record that stays.

    When a concurrent twin stored first (the repository's `Conflict`), the winner is read back
    and returned: callers replay it instead of their own answer.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: RememberResponseCommand) -> IdempotencyRecord:
        record = IdempotencyRecord(
            scope=command.scope,
            key=command.key,
            fingerprint=command.request_hash,
            result_ref=command.result_ref,
            created_at=command.now or self._clock.now(),
            result=dict(command.result),
        )
        for _ in range(2):
            try:
                async with self._uow() as uow:
                    found = await uow.idempotency.get(command.scope, command.key)
                    if found is not None:
                        return found
                    await uow.idempotency.add(record)
                    await uow.commit()
                return record
            except Conflict:
                async with self._uow() as uow:
                    winner = await uow.idempotency.get(command.scope, command.key)
                if winner is not None:
                    return winner
                # the twin that clashed rolled back after all: nothing stayed, so try once more
        raise Conflict(f"idempotency key {command.key!r} is being used concurrently")


__all__ = [
    "RecallResponse",
    "RecallResponseQuery",
    "RememberResponse",
    "RememberResponseCommand",
]
