"""The tables of the in-memory database. Each unit of work copies the tables (not the rows)
and replaces them on commit; rows are copied on write, so a rollback is just dropping the copy."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.batch import BatchItem
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.credentials import Credential
from afp_core.domain.events import DomainEvent
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.domain.ids import BatchItemId
from afp_core.domain.jobs import Job
from afp_core.domain.ledger import CreditAccount, Hold, LedgerEntry, LedgerReceipt
from afp_core.domain.payments import Purchase, WebhookDelivery
from afp_core.domain.social import OAuthState, Post, SocialConnection
from afp_core.domain.users import User
from afp_core.domain.video import Video


@attrs.define
class JobRecord:
    id: str
    job: Job
    run_at: datetime
    status: str = "waiting"  # waiting | running | done | failed
    attempts: int = 0
    error: str | None = None
    claimed_at: datetime | None = None  # when a worker took it (`running`): its lease start


@attrs.define
class Tables:
    users: dict[str, User] = attrs.Factory(dict)
    credentials: dict[str, Credential] = attrs.Factory(dict)
    videos: dict[str, Video] = attrs.Factory(dict)
    batches: dict[str, BatchHeader] = attrs.Factory(dict)
    batch_items: dict[tuple[str, str], BatchItem] = attrs.Factory(dict)  # (batch, item)
    batch_rows: dict[str, tuple[BatchItemId, ...]] = attrs.Factory(dict)  # a batch's items
    purchases: dict[str, Purchase] = attrs.Factory(dict)
    webhook_events: dict[tuple[str, str], WebhookDelivery] = attrs.Factory(dict)
    connections: dict[tuple[str, str], SocialConnection] = attrs.Factory(dict)
    oauth_states: dict[str, OAuthState] = attrs.Factory(dict)
    posts: dict[str, Post] = attrs.Factory(dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = attrs.Factory(dict)
    accounts: dict[str, CreditAccount] = attrs.Factory(dict)
    holds: dict[str, Hold] = attrs.Factory(dict)
    entries: list[LedgerEntry] = attrs.Factory(list)
    ledger_keys: dict[tuple[str, str], tuple[str, LedgerReceipt]] = attrs.Factory(dict)
    jobs: dict[str, JobRecord] = attrs.Factory(dict)
    events: list[DomainEvent] = attrs.Factory(list)

    def copy(self) -> Tables:
        """New containers holding the same (treated as read-only) rows."""
        return Tables(
            **{
                field.name: type(value)(value)
                for field in attrs.fields(Tables)
                if (value := getattr(self, field.name)) is not None
            }
        )
