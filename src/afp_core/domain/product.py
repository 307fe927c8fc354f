"""Product facts: what a scraper (or the user, by hand) knows about a product.

Each fact has a stable id (`title`, `brand`, `bullet:2`, `description:0`, `price`, ...) so that
every claim of a script can point at the fact that supports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import attrs

from afp_core.domain.errors import ValidationFailed

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _tuple_of_str(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationFailed("expected a list of strings, got a string")
    items = tuple(str(v).strip() for v in value)  # type: ignore[attr-defined]
    return tuple(v for v in items if v)


def _title(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValidationFailed("a product needs a title")


@attrs.frozen
class Fact:
    """One statement about the product that a script may rely on."""

    id: str
    text: str


@attrs.frozen
class ImageMeta:
    """What is known about one product image (sizes when the page or a probe told us)."""

    url: str
    width: int | None = None
    height: int | None = None


@attrs.frozen
class ProductFacts:
    """Normalised product data (contract.md: product facts JSON)."""

    url: str
    title: str = attrs.field(validator=_title)
    bullets: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    description: str = ""
    price: Decimal | None = None
    currency: str | None = None
    brand: str | None = None
    images: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    rating: Decimal | None = None
    review_count: int | None = None
    sku: str | None = None
    asin: str | None = None
    categories: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    source: Mapping[str, str] = attrs.field(factory=dict)

    def facts(self) -> tuple[Fact, ...]:
        """Every fact with its id, in a stable order."""
        found: list[Fact] = [Fact("title", self.title)]
        if self.brand:
            found.append(Fact("brand", self.brand))
        found.extend(Fact(f"bullet:{i}", b) for i, b in enumerate(self.bullets))
        sentences = [s for s in _SENTENCE.split(self.description.strip()) if s]
        found.extend(Fact(f"description:{i}", s) for i, s in enumerate(sentences))
        if self.price is not None:
            found.append(Fact("price", f"{self.price} {self.currency or ''}".strip()))
        if self.rating is not None:
            reviews = f" from {self.review_count} reviews" if self.review_count else ""
            found.append(Fact("rating", f"rated {self.rating} out of 5{reviews}"))
        found.extend(Fact(f"category:{i}", c) for i, c in enumerate(self.categories))
        return tuple(found)

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts() if f.id == fact_id), None)

    @property
    def text(self) -> str:
        """All the facts' text, for rules that look at the product as a whole."""
        return " ".join(f.text for f in self.facts())


__all__ = ["Fact", "ImageMeta", "ProductFacts"]
