"""`limit`/`offset` query parameters and the page envelope `{items, limit, offset, total}`."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import attrs
from litestar.params import QueryParameter
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


@attrs.frozen
class PageRequest:
    limit: int
    offset: int


def provide_page(
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page (1-100)")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, QueryParameter(ge=0, description="Items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit, offset)


class Page(BaseModel, Generic[T]):
    """One page of a list; `total` is given when it is cheap to know."""

    items: list[T]
    limit: int
    offset: int
    total: int | None = None


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "PageRequest", "provide_page"]
