"""A batch CSV as rows: one product URL per line, optional per-row options.

The header names the columns (case, spaces and hyphens do not matter: `Product URL` is
`product_url`). `url` (or its alias `product_url`) is required; the option columns are those
`StartBatch` reads (`model`, `script`, `duration_s`, ...). Empty cells fall back to the batch's
defaults; unnamed columns are ignored. Lines count from 1 (the header is usually line 1), so
an error names the line a spreadsheet shows. A UTF-8 byte order mark is ignored; `;` or tab
separated files (as some spreadsheet locales export) are read too. Pricing and URL checks are
`StartBatch`'s: this only reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from afp_core.domain.batch import MAX_ROWS_DEFAULT, BatchRow
from afp_core.domain.errors import InvalidRows, RowError, ValidationFailed

URL_COLUMN = "url"
URL_ALIASES = frozenset({"url", "product_url"})
OPTION_COLUMNS = frozenset(
    {"script", "language", "tone", "model", "aspect_ratio", "duration_s", "variants", "notes"}
)
_MAX_FIELD_CHARS = 20_000  # a script is long; anything longer is not a cell someone meant


def column_name(header: str) -> str:
    """`Product URL` → `product_url`."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def _delimiter(first_line: str) -> str:
    for candidate in (",", ";", "\t"):
        if candidate in first_line:
            return candidate
    return ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its fields); a `csv.Error` says which line it is on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidRows((RowError(start, "row", f"not valid CSV: {error}"),)) from None
        yield start, fields


def _header(line: int, fields: list[str]) -> list[str]:
    names = [column_name(f) for f in fields]
    errors: list[RowError] = []
    urls = [n for n in names if n in URL_ALIASES]
    if not urls:
        errors.append(RowError(line, URL_COLUMN, "no url column (name it url or product_url)"))
    elif len(urls) > 1:
        errors.append(RowError(line, URL_COLUMN, "more than one url column"))
    seen: set[str] = set()
    for raw, name in zip(fields, names, strict=True):
        if not name:
            continue  # an unnamed column (a trailing separator): its cells are ignored
        if name not in URL_ALIASES and name not in OPTION_COLUMNS:
            known = ", ".join(sorted(OPTION_COLUMNS))
            errors.append(RowError(line, raw.strip(), f"unknown column (known: url, {known})"))
        elif name in seen:
            errors.append(RowError(line, raw.strip(), "appears twice"))
        seen.add(name)
    if errors:
        raise InvalidRows(tuple(errors))
    return [URL_COLUMN if n in URL_ALIASES else n for n in names]


def _row(line: int, columns: list[str], fields: list[str]) -> BatchRow | RowError:
    if len(fields) > len(columns):
        return RowError(line, "row", f"has {len(fields)} cells; the header names {len(columns)}")
    cells = {c: v.strip() for c, v in zip(columns, fields, strict=False) if c}
    for column, value in cells.items():
        if len(value) > _MAX_FIELD_CHARS:
            return RowError(line, column, f"longer than {_MAX_FIELD_CHARS} characters")
    url = cells.pop(URL_COLUMN, "")
    if not url:
        return RowError(line, URL_COLUMN, "is empty")
    return BatchRow(row_index=line, url=url, options={k: v for k, v in cells.items() if v})


def parse_batch_csv(text: str, *, max_rows: int = MAX_ROWS_DEFAULT) -> tuple[BatchRow, ...]:
    """The rows of a batch CSV, or `InvalidRows` naming every bad line and column.

    Blank lines are skipped. More than `max_rows` rows is `ValidationFailed` (reading stops
    there). No data rows gives an empty tuple (`StartBatch` refuses an empty batch).
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InvalidRows((RowError(1, URL_COLUMN, "the file is empty (no header row)"),))
    records = _records(text, _delimiter(text.split("\n", 1)[0]))
    columns: list[str] | None = None
    rows: list[BatchRow] = []
    errors: list[RowError] = []
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue
        if columns is None:
            columns = _header(line, fields)
            continue
        if len(rows) + len(errors) >= max_rows:
            raise ValidationFailed(f"more than {max_rows} rows; a batch takes at most {max_rows}")
        parsed = _row(line, columns, fields)
        if isinstance(parsed, RowError):
            errors.append(parsed)
        else:
            rows.append(parsed)
    if errors:
        raise InvalidRows(tuple(errors))
    return tuple(rows)


__all__ = ["OPTION_COLUMNS", "URL_ALIASES", "column_name", "parse_batch_csv"]
