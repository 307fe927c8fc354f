"""What one source (JSON-LD, microdata, OpenGraph, a heuristic...) says about the product."""

from __future__ import annotations

from decimal import Decimal

import attrs


@attrs.define
class Candidate:
    """Field values from one source; empty fields mean the source said nothing."""

    source: str
    title: str = ""
    description: str = ""
    price: Decimal | None = None
    currency: str | None = None
    regular_price: Decimal | None = None
    brand: str | None = None
    images: list[str] = attrs.Factory(list)
    rating: Decimal | None = None
    review_count: int | None = None
    sku: str | None = None
    mpn: str | None = None
    categories: list[str] = attrs.Factory(list)


__all__ = ["Candidate"]
