"""`/bulk` schemas: a batch as JSON rows, its quote, start, status, progress, retry and cancel
answers."""

from __future__ import annotations

import math

from pydantic import Field

from afp_core.domain.batch import (
    MAX_ROWS_DEFAULT,
    MAX_VARIANTS,
    BatchItem,
    BatchProgress,
    BatchRow,
)
from afp_core.usecases import (
    CancelBatchResult,
    GetBatchStatusResult,
    QuoteBatchResult,
    RetryBatchItemsResult,
    StartBatchResult,
)
from afp_http.schemas._base import In, Out

_MODEL = Field(default=None, min_length=1, max_length=64)
_ASPECT = Field(default=None, min_length=1, max_length=16)
_DURATION = Field(default=None, ge=1, le=600)
_BUDGET = Field(
    default=None,
    ge=1,
    description="Credits the batch may ever spend, retries included; a batch that would cost"
    " more is refused (422 `budget_exceeded`)",
)


class BatchDefaultsIn(In):
    """Options for every row that does not set its own."""

    model: str | None = _MODEL
    duration_s: int | None = _DURATION
    aspect_ratio: str | None = _ASPECT
    budget: int | None = _BUDGET


class BatchRowIn(In):
    """One product: its URL and, optionally, its own options (the CSV's columns)."""

    url: str = Field(min_length=1, max_length=2048)
    model: str | None = _MODEL
    duration_s: int | None = _DURATION
    aspect_ratio: str | None = _ASPECT
    script: str | None = Field(default=None, max_length=20_000)
    language: str | None = Field(default=None, max_length=32)
    tone: str | None = Field(default=None, max_length=64)
    variants: int | None = Field(
        default=None,
        ge=1,
        le=10,  # as before; above MAX_VARIANTS the batch's validation names the row
        description=f"Videos of this product, one per script: 1 to {MAX_VARIANTS}",
    )
    notes: str | None = Field(default=None, max_length=2_000)

    def to_domain(self, line: int) -> BatchRow:
        options = self.model_dump(exclude={"url"}, exclude_none=True)
        return BatchRow(
            row_index=line, url=self.url, options={k: str(v) for k, v in options.items()}
        )


class StartBatchIn(BatchDefaultsIn):
    """A batch as JSON; errors name a row by its position in `rows`, counting from 1."""

    rows: list[BatchRowIn] = Field(min_length=1, max_length=MAX_ROWS_DEFAULT)

    def to_rows(self) -> tuple[BatchRow, ...]:
        return tuple(row.to_domain(n) for n, row in enumerate(self.rows, start=1))


class QuotedRowOut(Out):
    line: int
    url: str
    price: int = Field(description="What the row holds: its price times its variants")
    variants: int = Field(description="How many videos the row makes")


class BatchQuoteOut(Out):
    rows: list[QuotedRowOut]
    total_items: int
    total: int = Field(description="What starting this batch would hold, in credits")
    available: int = Field(description="The caller's available credits now")
    affordable: bool
    budget: int | None
    within_budget: bool

    @classmethod
    def of(cls, result: QuoteBatchResult) -> BatchQuoteOut:
        return cls(
            rows=[
                QuotedRowOut(line=r.line, url=r.url, price=r.price, variants=r.variants)
                for r in result.rows
            ],
            total_items=result.total_items,
            total=result.total,
            available=result.available,
            affordable=result.affordable,
            budget=result.budget,
            within_budget=result.within_budget,
        )


class BatchStartedOut(Out):
    batch_id: str
    status: str
    total_items: int
    credits_reserved: int = Field(description="Held now for every item; settled per item")
    budget: int | None = None

    @classmethod
    def of(cls, result: StartBatchResult) -> BatchStartedOut:
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            total_items=result.total_items,
            credits_reserved=result.credits_reserved,
            budget=result.budget,
        )


class BatchRetriedOut(Out):
    batch_id: str
    status: str
    items_retried: int
    credits_reserved: int = Field(description="Held now, on a new hold, for the retried items")

    @classmethod
    def of(cls, result: RetryBatchItemsResult) -> BatchRetriedOut:
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            items_retried=result.items_retried,
            credits_reserved=result.credits_reserved,
        )


class BatchProgressOut(Out):
    total: int
    processed: int
    pending: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    credits_reserved: int
    credits_captured: int
    credits_released: int

    @classmethod
    def of(cls, p: BatchProgress) -> BatchProgressOut:
        return cls(
            total=p.total,
            processed=p.processed,
            pending=p.pending,
            running=p.running,
            succeeded=p.succeeded,
            failed=p.failed,
            cancelled=p.cancelled,
            credits_reserved=p.credits_reserved,
            credits_captured=p.credits_captured,
            credits_released=p.credits_released,
        )


class BatchItemOut(Out):
    id: str
    line: int = Field(description="The row's line in the CSV (or its position in `rows`)")
    url: str
    variant: int = Field(description="Which of its row's videos this is, from 1")
    status: str
    video_id: str | None
    error: str | None
    price: int
    credits_charged: int
    attempts: int = Field(description="1, plus one per retry of this item")

    @classmethod
    def of(cls, item: BatchItem) -> BatchItemOut:
        return cls(
            id=item.id,
            line=item.row_index,
            url=item.url,
            variant=item.variant,
            status=item.status.value,
            video_id=item.video_id,
            error=item.error,
            price=item.price,
            credits_charged=item.credits_used,
            attempts=item.attempts,
        )


class BatchCreditsOut(Out):
    """From the ledger, over every hold of the batch (its own and each retry's)."""

    reserved: int = Field(description="Ever held for the batch")
    captured: int = Field(description="Charged for completed items")
    released: int = Field(description="Given back (failed, cancelled or expired)")
    held: int = Field(description="Still held for items not yet ended")


class BatchStatusOut(Out):
    batch_id: str
    status: str
    progress: BatchProgressOut
    credits: BatchCreditsOut | None
    budget: int | None
    eta_s: int | None = Field(
        description="Seconds left, from the mean item time so far; null before any item ended"
    )
    items: list[BatchItemOut]

    @classmethod
    def of(cls, result: GetBatchStatusResult) -> BatchStatusOut:
        c = result.credits
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            progress=BatchProgressOut.of(result.progress),
            credits=None
            if c is None
            else BatchCreditsOut(
                reserved=c.reserved, captured=c.captured, released=c.released, held=c.held
            ),
            budget=result.budget,
            eta_s=None if result.eta is None else math.ceil(result.eta.total_seconds()),
            items=[BatchItemOut.of(i) for i in result.items],
        )


class BatchCancelledOut(Out):
    batch_id: str
    status: str
    items_cancelled: int
    credits_released: int

    @classmethod
    def of(cls, result: CancelBatchResult) -> BatchCancelledOut:
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            items_cancelled=result.items_cancelled,
            credits_released=result.credits_released,
        )
