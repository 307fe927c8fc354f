"""Structured logs for every driver (CLI, worker, HTTP API): structlog, one line per event.

Tracebacks are printed plainly, never with local variables (they would show request headers,
API keys among them), and any field whose name says it holds a secret is masked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_FIELD = re.compile(r"authorization|api[_-]?key|secret|password|token|signature", re.I)
MASK = "***"


def mask_secrets(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: fields named like secrets never reach the output."""
    for name in list(event):
        if name != "event" and SECRET_FIELD.search(name):
            event[name] = MASK
    return event


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time of writing (a test runner or a daemon may
    swap it, and a logger must never keep writing into a stream that was closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    *, json: bool = False, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Configure structlog for this process: human-readable lines, or JSON (`json=True`)."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_secrets,
    ]
    if json:
        processors.append(structlog.processors.format_exc_info)
    processors.append(renderer)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


__all__ = ["MASK", "configure_logging", "mask_secrets"]
