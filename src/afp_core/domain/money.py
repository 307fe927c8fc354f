"""Amounts: `Credits` (integers, never floats) and `Money` (a decimal and an ISO code)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from afp_core.domain.errors import ValidationFailed


def _non_negative_int(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{attribute.name} must be an integer, got {value!r}")
    if value < 0:
        raise ValidationFailed(f"{attribute.name} must be >= 0, got {value}")


@attrs.frozen(order=True)
class Credits:
    """A non-negative whole number of credits."""

    amount: int = attrs.field(validator=_non_negative_int)

    def __add__(self, other: Credits) -> Credits:
        return Credits(self.amount + other.amount)

    def __sub__(self, other: Credits) -> Credits:
        return Credits(self.amount - other.amount)

    def __mul__(self, times: int) -> Credits:
        return Credits(self.amount * times)

    def __bool__(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        return f"{self.amount} credits"


def _currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationFailed(f"currency must be an ISO 4217 code like 'USD', got {value!r}")


def _decimal(value: Decimal | str | int) -> Decimal:
    try:
        result = Decimal(value)
    except ArithmeticError as exc:
        raise ValidationFailed(f"not a decimal amount: {value!r}") from exc
    if not result.is_finite():
        raise ValidationFailed(f"not a finite amount: {value!r}")
    return result


@attrs.frozen
class Money:
    """An exact amount of a currency (`Decimal`, never float)."""

    amount: Decimal = attrs.field(converter=_decimal)
    currency: str = attrs.field(validator=_currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


__all__ = ["Credits", "Money"]
