"""The tables of the in-memory database.

A unit of work sees the committed tables through views (`Tables.view`): reads fall through to
the committed containers, writes and deletions are kept in the view, and a commit applies them
to the committed containers in place (`Tables.apply`). So a unit of work costs what it touches,
not what the database holds (copying every table per unit of work made a long test suite or
demo slow down as its data grew). Rows are treated as read-only and replaced on write, so a
rollback is just dropping the views. Units of work run one at a time (the database's lock), so
nothing else writes the committed containers while a view is open.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, MutableMapping, ValuesView
from datetime import datetime
from typing import Any, Protocol, TypeVar, overload

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


K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class TableView(MutableMapping[K, V]):
    """One committed table as a unit of work sees it: its own writes and deletions over the
    committed dict, iterated in the order a copy of the dict would have after the same
    changes (an updated key keeps its place; a new or re-added key goes last)."""

    __slots__ = ("_base", "_gone", "_put")

    def __init__(self, base: dict[K, V]) -> None:
        self._base = base
        self._put: dict[K, V] = {}
        self._gone: set[K] = set()  # committed keys deleted (or deleted and added again: last)

    @property
    def _clean(self) -> bool:
        """Nothing written yet: reads can go straight to the committed dict, at its speed."""
        return not self._put and not self._gone

    def __getitem__(self, key: K) -> V:
        if key in self._put:
            return self._put[key]
        if key in self._gone:
            raise KeyError(key)
        return self._base[key]

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def __setitem__(self, key: K, value: V) -> None:
        self._put[key] = value

    def __delitem__(self, key: K) -> None:
        if key in self._put:
            del self._put[key]
        elif key not in self._base or key in self._gone:
            raise KeyError(key)
        if key in self._base:
            self._gone.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._put or (key not in self._gone and key in self._base)

    def _added(self, key: K) -> bool:
        """Whether `key` is iterated after the committed ones (new, or deleted and re-added)."""
        return key in self._gone or key not in self._base

    def __iter__(self) -> Iterator[K]:
        if self._clean:
            return iter(self._base)
        return self._changed_keys()

    def _changed_keys(self) -> Iterator[K]:
        for key in self._base:
            if key not in self._gone:
                yield key
        yield from [key for key in self._put if self._added(key)]

    def __len__(self) -> int:
        return len(self._base) - len(self._gone) + sum(map(self._added, self._put))

    def apply(self) -> None:
        """Make this view's changes to the committed dict."""
        for key in self._gone:
            del self._base[key]
        self._base.update(self._put)


class _Values(ValuesView[V]):
    _mapping: TableView[Any, V]

    def __iter__(self) -> Iterator[V]:
        view = self._mapping
        if view._clean:
            return iter(view._base.values())
        return (view[key] for key in view)


class _Items(ItemsView[K, V]):
    _mapping: TableView[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        view = self._mapping
        if view._clean:
            return iter(view._base.items())
        return ((key, view[key]) for key in view)


class Log(Protocol[T]):
    """An append-only table (the journal, the event log): a list, or a unit of work's view."""

    def append(self, item: T, /) -> None: ...
    def extend(self, items: Iterable[T], /) -> None: ...
    def __iter__(self) -> Iterator[T]: ...
    def __reversed__(self) -> Iterator[T]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int, /) -> T: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[T]: ...


class LogView:
    """An append-only committed list as a unit of work sees it: the committed items, then the
    ones it appended."""

    __slots__ = ("_added", "_base")

    def __init__(self, base: list[T]) -> None:
        self._base: list[object] = base  # type: ignore[assignment]
        self._added: list[object] = []

    def append(self, item: object) -> None:
        self._added.append(item)

    def extend(self, items: Iterable[object]) -> None:
        self._added.extend(items)

    def __iter__(self) -> Iterator[object]:
        yield from self._base
        yield from self._added

    def __reversed__(self) -> Iterator[object]:
        yield from reversed(self._added)
        yield from reversed(self._base)

    def __len__(self) -> int:
        return len(self._base) + len(self._added)

    def __getitem__(self, index: int | slice) -> object:
        if isinstance(index, slice):
            return list(self)[index]
        size = len(self)
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError(index)
        base = len(self._base)
        return self._base[position] if position < base else self._added[position - base]

    def apply(self) -> None:
        self._base.extend(self._added)


@attrs.define
class Tables:
    """The committed tables (plain dicts and lists), or a unit of work's views of them."""

    users: MutableMapping[str, User] = attrs.Factory(dict)
    credentials: MutableMapping[str, Credential] = attrs.Factory(dict)
    videos: MutableMapping[str, Video] = attrs.Factory(dict)
    batches: MutableMapping[str, BatchHeader] = attrs.Factory(dict)
    batch_items: MutableMapping[tuple[str, str], BatchItem] = attrs.Factory(dict)  # (batch, item)
    batch_rows: MutableMapping[str, tuple[BatchItemId, ...]] = attrs.Factory(dict)  # its items
    purchases: MutableMapping[str, Purchase] = attrs.Factory(dict)
    webhook_events: MutableMapping[tuple[str, str], WebhookDelivery] = attrs.Factory(dict)
    connections: MutableMapping[tuple[str, str], SocialConnection] = attrs.Factory(dict)
    oauth_states: MutableMapping[str, OAuthState] = attrs.Factory(dict)
    posts: MutableMapping[str, Post] = attrs.Factory(dict)
    idempotency: MutableMapping[tuple[str, str], IdempotencyRecord] = attrs.Factory(dict)
    accounts: MutableMapping[str, CreditAccount] = attrs.Factory(dict)
    holds: MutableMapping[str, Hold] = attrs.Factory(dict)
    entries: Log[LedgerEntry] = attrs.Factory(list)
    ledger_keys: MutableMapping[tuple[str, str], tuple[str, LedgerReceipt]] = attrs.Factory(dict)
    jobs: MutableMapping[str, JobRecord] = attrs.Factory(dict)
    events: Log[DomainEvent] = attrs.Factory(list)

    def view(self) -> Tables:
        """A unit of work's views of these (committed) tables: O(number of tables)."""
        views: dict[str, object] = {}
        for field in attrs.fields(Tables):
            table = getattr(self, field.name)
            if isinstance(table, dict):
                views[field.name] = TableView(table)
            elif isinstance(table, list):
                views[field.name] = LogView(table)
            else:
                raise TypeError(f"{field.name}: views are taken of the committed tables only")
        return Tables(**views)  # type: ignore[arg-type]

    def apply(self, work: Tables) -> None:
        """Commit: make the changes of `work` (from `self.view()`) to these tables in place."""
        for field in attrs.fields(Tables):
            view = getattr(work, field.name)
            if not isinstance(view, TableView | LogView) or (
                view._base is not getattr(self, field.name)
            ):
                raise ValueError(f"{field.name}: not a view of these tables")
            view.apply()
