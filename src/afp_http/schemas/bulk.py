"""`/bulk` schemas: a batch as JSON rows, its start, status, progress and cancel answers."""

from __future__ import annotations

from pydantic import Field

from afp_core.domain.batch import MAX_ROWS_DEFAULT, BatchItem, BatchProgress, BatchRow
from afp_core.usecases import CancelBatchResult, GetBatchStatusResult, StartBatchResult
from afp_http.schemas._base import In, Out

_MODEL = Field(default=None, min_length=1, max_length=64)
_ASPECT = Field(default=None, min_length=1, max_length=16)
_DURATION = Field(default=None, ge=1, le=600)


class BatchDefaultsIn(In):
    """Options for every row that does not set its own."""

    model: str | None = _MODEL
    duration_s: int | None = _DURATION
    aspect_ratio: str | None = _ASPECT


class BatchRowIn(In):
    """One product: its URL and, optionally, its own options (the CSV's columns)."""

    url: str = Field(min_length=1, max_length=2048)
    model: str | None = _MODEL
    duration_s: int | None = _DURATION
    aspect_ratio: str | None = _ASPECT
    script: str | None = Field(default=None, max_length=20_000)
    language: str | None = Field(default=None, max_length=32)
    tone: str | None = Field(default=None, max_length=64)
    variants: int | None = Field(default=None, ge=1, le=10)
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


class BatchStartedOut(Out):
    batch_id: str
    status: str
    total_items: int
    credits_reserved: int = Field(description="Held now for every item; settled per item")

    @classmethod
    def of(cls, result: StartBatchResult) -> BatchStartedOut:
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            total_items=result.total_items,
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
    status: str
    video_id: str | None
    error: str | None
    price: int
    credits_charged: int

    @classmethod
    def of(cls, item: BatchItem) -> BatchItemOut:
        return cls(
            id=item.id,
            line=item.row_index,
            url=item.url,
            status=item.status.value,
            video_id=item.video_id,
            error=item.error,
            price=item.price,
            credits_charged=item.credits_used,
        )


class BatchStatusOut(Out):
    batch_id: str
    status: str
    progress: BatchProgressOut
    items: list[BatchItemOut]

    @classmethod
    def of(cls, result: GetBatchStatusResult) -> BatchStatusOut:
        return cls(
            batch_id=result.batch_id,
            status=result.status.value,
            progress=BatchProgressOut.of(result.progress),
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
