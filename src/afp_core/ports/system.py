"""Time and identity, injected so the domain stays pure and tests stay deterministic."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time."""

    def now(self) -> datetime:
        """A timezone-aware UTC datetime. Successive calls never go backwards."""
        ...


class IdGenerator(Protocol):
    """Fresh unique ids."""

    def new_id(self) -> str:
        """A new id: at most 28 characters of `[0-9A-Za-z]`, unique for the deployment,
        sortable by creation time (ULID-like), so it fits every provider's order-id limit."""
        ...


__all__ = ["Clock", "IdGenerator"]
