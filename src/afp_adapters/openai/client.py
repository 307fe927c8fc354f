"""`build_openai_client`: the one way AFP builds its OpenAI client."""

from __future__ import annotations

import openai

DEFAULT_TIMEOUT_S = 60.0


def build_openai_client(
    api_key: str, timeout: float = DEFAULT_TIMEOUT_S, *, base_url: str | None = None
) -> openai.AsyncOpenAI:
    """An `AsyncOpenAI` with SDK retries off and a bounded timeout.

    `max_retries=0`: AFP's resilience wrapper owns retries (the SDK would otherwise retry
    429s, quota exhaustion included, and 5xx twice on its own, and stall a worker for up to
    600 s per attempt). `timeout` bounds each phase of a request (connect, read, write, pool).
    """
    return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


__all__ = ["DEFAULT_TIMEOUT_S", "build_openai_client"]
