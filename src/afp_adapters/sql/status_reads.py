"""`VideoStatusReads` without SQLAlchemy's async machinery: the status poll's one point read.

Through the async engine a read costs ~0.45 ms of CPU (a greenlet, a thread hop per call on
SQLite, result processing); these readers do the same indexed read for ~15 µs (SQLite) and
~0.15 ms (PostgreSQL). Both read committed data only, outside any transaction, and find the
video by primary key and owner, so another user's video is `NotFound` as everywhere else.

- `SqliteStatusReads`: a dedicated `sqlite3` connection, `query_only`, in autocommit, used
  inline on the event loop's thread. The database is in WAL mode, so a read never waits for the
  writer; a `busy_timeout` of 100 ms bounds the rare wait (a checkpoint) — the loop is blocked
  for at most that.
- `PostgresStatusReads`: a small psycopg connection pool (autocommit, statements prepared by
  psycopg after a few executions), opened on first use, closed with the database; reads
  waiting at the same moment share one query.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from urllib.parse import quote

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from afp_core.domain.errors import NotFound
from afp_core.domain.ids import UserId, VideoId
from afp_core.domain.video import VideoStatus
from afp_core.ports.repositories import VideoState

_SQLITE = "SELECT id, status, updated_at, error_reason FROM videos WHERE id = ? AND user_id = ?"
_POSTGRES_MANY = (
    "SELECT id, user_id, status, updated_at, error_reason FROM videos WHERE id = ANY(%s)"
)


def _missing(video_id: VideoId) -> NotFound:
    return NotFound(f"video {video_id} not found")


class SqliteStatusReads:
    """Implements `VideoStatusReads` on the SQLite file of `url` (a SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        if not database or database == ":memory:":
            raise ValueError("SqliteStatusReads needs a SQLite file")
        self._path = database
        self._connection: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            uri = f"file:{quote(self._path)}?mode=rw"  # never creates a missing database
            connection = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA busy_timeout = 100")
            connection.execute("PRAGMA query_only = 1")
            self._connection = connection
        return self._connection

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        row = self._open().execute(_SQLITE, (video_id, user_id)).fetchone()
        if row is None:
            raise _missing(video_id)
        updated = datetime.fromisoformat(row[2]).replace(tzinfo=UTC)  # stored naive, in UTC
        return VideoState(VideoId(row[0]), VideoStatus(row[1]), updated, row[3])

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresStatusReads:
    """Implements `VideoStatusReads` on PostgreSQL with its own pool of `max_size`.

    Reads that arrive together are answered by one query (`id = ANY(...)`), the DataLoader
    pattern: a request waits for at most one loop tick, then the next free connection takes
    every read waiting at that moment. Under light load that is one query per read, as before;
    under 64 pollers it is a few queries for dozens of reads, so the cost per read falls instead
    of the queue growing. Each read still checks its own owner.
    """

    def __init__(self, url: str, *, max_size: int = 4, open_timeout_s: float = 10.0) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._max_size = max_size
        self._open_timeout_s = open_timeout_s
        self._pool: AsyncConnectionPool | None = None
        self._opening = asyncio.Lock()
        self._waiting: list[tuple[VideoId, UserId, asyncio.Future[VideoState]]] = []
        self._flush_pending = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def _open(self) -> AsyncConnectionPool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    pool = AsyncConnectionPool(
                        self._conninfo,
                        min_size=1,
                        max_size=self._max_size,
                        kwargs={"autocommit": True},
                        open=False,
                    )
                    try:
                        await pool.open(wait=True, timeout=self._open_timeout_s)
                    except BaseException:
                        await pool.close()
                        raise
                    self._pool = pool
        return self._pool

    async def state_of(self, user_id: UserId, video_id: VideoId) -> VideoState:
        pool = await self._open()
        future: asyncio.Future[VideoState] = asyncio.get_running_loop().create_future()
        self._waiting.append((video_id, user_id, future))
        if not self._flush_pending:
            self._flush_pending = True
            task = asyncio.create_task(self._flush(pool))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self, pool: AsyncConnectionPool) -> None:
        batch: list[tuple[VideoId, UserId, asyncio.Future[VideoState]]] = []
        try:
            async with pool.connection() as connection:
                batch, self._waiting = self._waiting, []
                self._flush_pending = False
                ids = list({video_id for video_id, _, _ in batch})
                cursor = await connection.execute(_POSTGRES_MANY, (ids,))
                rows = {row[0]: row for row in await cursor.fetchall()}
        except BaseException as error:
            if not batch:  # failed before taking its reads: fail those waiting now
                batch, self._waiting = self._waiting, []
                self._flush_pending = False
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for video_id, user_id, future in batch:
            if future.done():  # the request went away
                continue
            row = rows.get(video_id)
            if row is None or row[1] != user_id:
                future.set_exception(_missing(video_id))
            else:
                updated: datetime = row[3]
                state = VideoState(VideoId(row[0]), VideoStatus(row[2]), updated, row[4])
                future.set_result(state)

    async def close(self) -> None:
        for task in list(self._flushes):
            await task
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


__all__ = ["PostgresStatusReads", "SqliteStatusReads"]
