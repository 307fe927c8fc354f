"""Background jobs as values: a name, a small JSON-able payload and when to run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

JobPayload = Mapping[str, str | int | None]


class JobName:
    """The jobs the core defers; handlers are wired in the composition root."""

    SUBMIT_VIDEO = "submit_video"
    POLL_VIDEO = "poll_video"
    SETTLE_VIDEO = "settle_video"
    PROCESS_BATCH_ITEM = "process_batch_item"
    PUBLISH_POST = "publish_post"  # the one platform call that starts a post
    REFRESH_POST = "refresh_post"  # one step of a post in progress, until it is final
    REFRESH_CONNECTIONS = "refresh_connections"  # recurring: tokens due on a schedule
    EXPIRE_HOLDS = "expire_holds"
    SWEEP = "sweep"  # recurring: stuck videos, expired holds, jobs of dead workers


@attrs.frozen
class Job:
    name: str
    payload: JobPayload
    run_at: datetime
    dedupe_key: str | None = None  # a second job with the same key is dropped
    attempts: int = 0


__all__ = ["Job", "JobName", "JobPayload"]
