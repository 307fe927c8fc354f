"""Pricing a batch's rows: every row checked and priced, every problem named, nothing spent.

`StartBatch` and `QuoteBatch` share it, so a quote is exactly what starting would hold.

A row's `variants` (1 to `MAX_VARIANTS`, default 1) asks for that many videos of its product,
each on a script of its own: the row becomes that many items and costs that many times its
price. A row with its own `script` makes one video of exactly that script.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from afp_core.domain.batch import MAX_ROWS_DEFAULT, MAX_VARIANTS, BatchRow
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


@attrs.frozen
class PricedRow:
    """A valid row, the price of one of its videos and how many it makes."""

    row: BatchRow
    unit_price: int
    variants: int = 1

    @property
    def price(self) -> int:
        """What the whole row holds."""
        return self.unit_price * self.variants


def _variants(row: BatchRow) -> int | RowError:
    raw = row.options.get("variants", "").strip() or "1"
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_VARIANTS:
        return RowError(
            row.row_index,
            "variants",
            f"must be a whole number from 1 to {MAX_VARIANTS}, not {raw!r}",
        )
    if int(raw) > 1 and row.options.get("script", "").strip():
        return RowError(
            row.row_index,
            "variants",
            "a row with its own script makes one video of it; leave variants empty or 1",
        )
    return int(raw)


def _row_price(
    row: BatchRow, defaults: BatchDefaults, prices: PriceTable, plan: PlanTier
) -> PricedRow | RowError:
    """The row priced, or the first thing wrong with it."""
    parts = urlsplit(row.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return RowError(row.row_index, "url", "must be an http(s) URL with a host")
    for column in sorted(set(row.options) - OPTION_COLUMNS):
        return RowError(row.row_index, column, "unknown column")
    variants = _variants(row)
    if isinstance(variants, RowError):
        return variants
    raw_duration = row.options.get("duration_s") or str(defaults.duration_s)
    if not raw_duration.strip().isdecimal():
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
    return PricedRow(row, price, variants)


def price_rows(
    rows: tuple[BatchRow, ...],
    defaults: BatchDefaults,
    prices: PriceTable,
    plan: PlanTier,
    *,
    max_rows: int = MAX_ROWS_DEFAULT,
) -> tuple[PricedRow, ...]:
    """Each row priced, in order; `InvalidRows` names every bad or duplicate row. A batch
    makes at most `max_rows` videos, variants included."""
    if not rows:
        raise ValidationFailed("the batch has no rows")
    if len(rows) > max_rows:
        raise ValidationFailed(f"{len(rows)} rows; a batch takes at most {max_rows}")
    errors: list[RowError] = []
    priced: list[PricedRow] = []
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
    videos = sum(p.variants for p in priced)
    if videos > max_rows:
        raise ValidationFailed(
            f"{videos} videos with the variants asked for; a batch makes at most {max_rows}"
        )
    return tuple(priced)


__all__ = ["BatchDefaults", "PricedRow", "price_rows"]
