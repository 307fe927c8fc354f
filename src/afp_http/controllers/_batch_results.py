"""A batch's results as files: a CSV (one row per item) and a ZIP of the completed videos.

The ZIP is written as it is sent: one video is read from `MediaStorage` at a time and stored
uncompressed (`ZIP_STORED`: an MP4 does not compress), so memory holds one video, never the
archive.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable

from afp_core.usecases import BatchResultRow

RESULT_COLUMNS = (
    "line",
    "url",
    "status",
    "video_id",
    "video_url",
    "error",
    "credits_charged",
    "attempts",
    "variant",  # last: added after the others, so a reader by position keeps working
)


def _cell(value: object) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def results_csv(rows: tuple[BatchResultRow, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for row in rows:
        i = row.item
        cells = (
            i.row_index,
            i.url,
            i.status.value,
            i.video_id,
            row.video_url,
            i.error,
            i.credits_used,
            i.attempts,
            i.variant,
        )
        writer.writerow([_cell(v) for v in cells])
    return out.getvalue()


class _Sink(io.RawIOBase):
    """A write-only, unseekable file that hands back what was written since the last take."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def video_name(row: BatchResultRow) -> str:
    extension = (row.result_key or "").rsplit(".", 1)[-1] if "." in (row.result_key or "") else ""
    variant = f"-v{row.item.variant}" if row.item.variants > 1 else ""
    return f"line-{row.item.row_index:04d}{variant}-{row.item.id}.{extension or 'mp4'}"


async def zip_videos(
    rows: tuple[BatchResultRow, ...], read: Callable[[str], Awaitable[bytes]]
) -> AsyncIterator[bytes]:
    """The ZIP's bytes, chunk by chunk: one entry per row with a stored video."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for row in rows:
            if row.result_key is None:
                continue
            data = await read(row.result_key)
            archive.writestr(video_name(row), data)
            yield sink.take()
    yield sink.take()  # the central directory, written on close


__all__ = ["RESULT_COLUMNS", "results_csv", "video_name", "zip_videos"]
