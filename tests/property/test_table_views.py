"""The in-memory database's views (`afp_adapters.fakes._state`): a unit of work's view of a
table behaves exactly like a private copy of it, and committing it leaves the table exactly as
the copy would be, order included; dropping it leaves the table untouched."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afp_adapters.fakes._state import LogView, Tables, TableView

KEYS = st.integers(0, 12)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, st.integers()),
        st.tuples(st.just("del"), KEYS, st.none()),
        st.tuples(st.just("pop"), KEYS, st.none()),
        st.tuples(st.just("setdefault"), KEYS, st.integers()),
    ),
    max_size=40,
)


def run(
    table: dict[int, int] | TableView[int, int], op: str, key: int, value: int | None
) -> object:
    if op == "set":
        assert value is not None
        table[key] = value
        return None
    if op == "del":
        try:
            del table[key]
        except KeyError:
            return "missing"
        return None
    if op == "pop":
        return table.pop(key, "missing")
    assert value is not None
    return table.setdefault(key, value)


@given(
    committed=st.dictionaries(KEYS, st.integers(), max_size=10),
    ops=OPS,
    commit=st.booleans(),
)
def test_a_view_is_a_private_copy_and_commits_as_one(
    committed: dict[int, int], ops: list[tuple[str, int, int | None]], commit: bool
) -> None:
    base = dict(committed)
    copy = dict(committed)
    view: TableView[int, int] = TableView(base)
    assert list(view.items()) == list(copy.items())  # before any write: the committed dict's
    for op, key, value in ops:
        assert run(view, op, key, value) == run(copy, op, key, value)
        assert list(view.items()) == list(copy.items())  # order included
        assert list(view.values()) == list(copy.values())
        assert list(view) == list(copy)
        assert len(view) == len(copy)
        assert all((k in view) == (k in copy) for k in range(13))
        assert base == committed  # nothing reaches the table before the commit
    if commit:
        view.apply()
        assert list(base.items()) == list(copy.items())
    else:
        assert list(base.items()) == list(committed.items())


@given(committed=st.lists(st.integers(), max_size=6), added=st.lists(st.integers(), max_size=6))
def test_a_log_view_appends_after_the_committed_items(
    committed: list[int], added: list[int]
) -> None:
    base = list(committed)
    view = LogView(base)
    for item in added:
        view.append(item)
    expected = committed + added
    assert list(view) == expected
    assert list(reversed(view)) == expected[::-1]
    assert len(view) == len(expected)
    assert [view[i] for i in range(-len(expected), len(expected))] == expected + expected
    assert view[1:3] == expected[1:3]
    assert base == committed
    view.apply()
    assert base == expected


def test_views_are_taken_of_committed_tables_and_cost_nothing_to_open() -> None:
    committed = Tables()
    committed.users.update({f"u{n}": object() for n in range(1000)})  # type: ignore[misc]
    work = committed.view()
    assert isinstance(work.users, TableView) and len(work.users) == 1000
    assert work.users._base is committed.users  # no copy: what a unit of work costs is its own
    with pytest.raises(TypeError):
        work.view()  # a view of a view would chain forever
    with pytest.raises(ValueError, match="not a view"):
        Tables().apply(work)  # views of other tables
