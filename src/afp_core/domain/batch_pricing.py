"""Pricing a batch's rows: every row checked and priced, every problem named, nothing spent.

`StartBatch` and `QuoteBatch` share it, so a quote is exactly what starting would hold.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from afp_core.domain.batch import MAX_ROWS_DEFAULT, BatchRow
from afp_core.domain.batch_csv import OPTION_COLUMNS
from afp_core.domain.errors import InvalidRows, RowError, ValidationFailed
from afp_core.domain.pricing import PlanTier, PriceTable


@attrs.frozen
class BatchDefaults:
    """The options of every row that does not set its own."""

    model: str = "veo3_fast"
    duration_s: int = 8
    aspect_ratio: str = "9:16"

    def as_metadata(self) -> dict[str, str]:
        return {
            "model": self.model,
            "duration_s": str(self.duration_s),
            "aspect_ratio": self.aspect_ratio,
        }


def _row_price(
    row: BatchRow, defaults: BatchDefaults, prices: PriceTable, plan: PlanTier
) -> int | RowError:
    """The row's price, or the first thing wrong with it."""
    parts = urlsplit(row.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return RowError(row.row_index, "url", "must be an http(s) URL with a host")
    for column in sorted(set(row.options) - OPTION_COLUMNS):
        return RowError(row.row_index, column, "unknown column")
    raw_duration = row.options.get("duration_s") or str(defaults.duration_s)
    if not raw_duration.strip().isdigit():
        return RowError(
            row.row_index, "duration_s", f"must be a whole number of seconds, not {raw_duration!r}"
        )
    model = row.options.get("model") or defaults.model
    aspect = row.options.get("aspect_ratio") or defaults.aspect_ratio
    try:
        price = prices.price(model, int(raw_duration), aspect).amount
    except ValidationFailed as error:
        column = "model" if row.options.get("model") or "model" in error.message else "options"
        return RowError(row.row_index, column, error.message)
    if prices.model(model) not in prices.models_for(plan):
        return RowError(
            row.row_index,
            "model",
            f"model {model} is not available on the {plan.name.lower()} plan",
        )
    return price


def price_rows(
    rows: tuple[BatchRow, ...],
    defaults: BatchDefaults,
    prices: PriceTable,
    plan: PlanTier,
    *,
    max_rows: int = MAX_ROWS_DEFAULT,
) -> tuple[int, ...]:
    """Each row's price, in order; `InvalidRows` names every bad or duplicate row."""
    if not rows:
        raise ValidationFailed("the batch has no rows")
    if len(rows) > max_rows:
        raise ValidationFailed(f"{len(rows)} rows; a batch takes at most {max_rows}")
    errors: list[RowError] = []
    priced: list[int] = []
    seen: dict[str, int] = {}
    for row in rows:
        price = _row_price(row, defaults, prices, plan)
        if isinstance(price, RowError):
            errors.append(price)
            continue
        priced.append(price)
        url = row.url.strip()
        if url in seen:
            errors.append(RowError(row.row_index, "url", f"duplicate of line {seen[url]}"))
        seen.setdefault(url, row.row_index)
    if errors:
        raise InvalidRows(tuple(errors))
    return tuple(priced)


__all__ = ["BatchDefaults", "price_rows"]
