"""The callback parser port of the HTTP driver: provider callbacks verified on raw bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ParsedCallback(Protocol):
    @property
    def task_id(self) -> str: ...


class CallbackParser(Protocol):
    def parse(self, body: bytes, headers: Mapping[str, str]) -> ParsedCallback:
        """The callback's task id; `InvalidSignature` or `ValidationFailed` otherwise."""
        ...


def kie_callbacks_of(container: Any) -> CallbackParser | None:
    """The container's Kie.ai callback verifier (`container.kie_callbacks`), when wired."""
    provider = getattr(container, "kie_callbacks", None)
    return None if provider is None else provider()


__all__ = ["CallbackParser", "ParsedCallback", "kie_callbacks_of"]
