"""Prices, ratings and counts written in any marketplace's format.

"$8.99", "8,71 €", "1.149,00 €", "2 480", "CDN$ 29.99", "GBP 1.99", "48,00": one number and
an optional currency. The caller passes the decimal separator when it knows the marketplace
(without it "34.000" is read as thirty-four thousand, as shops write it)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"\d(?:[\d.,'\s\u00a0\u202f\u2009]*\d)?")
_ISO = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_SEPARATORS = re.compile(r"[\s\u00a0\u202f\u2009']")
CURRENCIES = frozenset(
    {
        "USD",
        "EUR",
        "GBP",
        "CAD",
        "AUD",
        "MXN",
        "BRL",
        "JPY",
        "INR",
        "CNY",
        "SEK",
        "PLN",
        "TRY",
        "AED",
        "SAR",
        "EGP",
        "SGD",
        "CHF",
        "NOK",
        "DKK",
        "CZK",
        "HUF",
        "ZAR",
        "NZD",
        "HKD",
        "KRW",
        "RON",
        "BGN",
        "ILS",
        "THB",
        "MYR",
        "IDR",
        "PHP",
        "VND",
        "RUB",
        "UAH",
        "CLP",
        "COP",
        "PEN",
        "ARS",
    }
)
# Longest first, so that "US$" wins over "$" and "R$" over "$".
_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("CDN$", "CAD"),
    ("US$", "USD"),
    ("AU$", "AUD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("MX$", "MXN"),
    ("S$", "SGD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("R$", "BRL"),
    ("zł", "PLN"),
    ("kr", "SEK"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("￥", "JPY"),
    ("₹", "INR"),
    ("₺", "TRY"),
    ("TL", "TRY"),
    ("$", "USD"),
)


def currency_of(text: str) -> str | None:
    """The ISO code written in `text`, else the one its symbol suggests ("$" → USD)."""
    for found in _ISO.finditer(text):
        if found.group(1) in CURRENCIES:
            return found.group(1)
    return next((iso for symbol, iso in _SYMBOLS if symbol in text), None)


def parse_number(text: str, decimal_separator: str | None = None) -> Decimal | None:
    """The first number in `text`. Spaces, no-break spaces and apostrophes group thousands."""
    found = _NUMBER.search(text or "")
    if not found:
        return None
    raw = _SEPARATORS.sub("", found.group(0)).strip(".,")
    sep = decimal_separator or _guess_separator(raw)
    other = "," if sep == "." else "."
    raw = raw.replace(other, "")
    if raw.count(sep) > 1:  # "1.234.567" with "." as the decimal separator is a thousands run
        raw = raw.replace(sep, "")
    try:
        return Decimal(raw.replace(sep, "."))
    except InvalidOperation:
        return None


def _guess_separator(raw: str) -> str:
    dot, comma = raw.rfind("."), raw.rfind(",")
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","
    mark = "." if dot >= 0 else ","
    if raw.count(mark) > 1:
        return "," if mark == "." else "."  # "1.234.567": the dots group thousands
    position = max(dot, comma)
    if position < 0:
        return "."
    digits_after = len(raw) - position - 1
    if digits_after == 3:  # "34.000", "1,234": thousands, as shops write whole amounts
        return "," if mark == "." else "."
    return mark


def parse_price(
    text: str, *, decimal_separator: str | None = None, currency: str | None = None
) -> tuple[Decimal | None, str | None]:
    """(amount, ISO currency). `currency`, when known, wins over the symbol in the text."""
    amount = parse_number(text, decimal_separator)
    if amount is None:
        return None, None
    return amount, currency or currency_of(text)


def parse_rating(text: str) -> Decimal | None:
    """Average stars: "4,7 von 5 Sternen", "3,6 sur 5 étoiles", "5つ星のうち4.2", "4.65"."""
    if not text:
        return None
    japanese = re.search(r"のうち\s*(\d+(?:[.,]\d+)?)", text)
    first = japanese.group(1) if japanese else text
    found = re.search(r"\d+(?:[.,]\d+)?", first)
    if not found:
        return None
    value = Decimal(found.group(0).replace(",", "."))
    if not Decimal(0) <= value <= Decimal(10):
        return None
    rounded = format(value.quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")
    return Decimal(rounded)


def parse_count(text: str) -> int | None:
    """A whole number with any thousands separator: "21,200", "1.091", "2 480", "(3592 Reviews)"."""
    found = re.search(r"\d[\d.,\s\u00a0\u202f\u2009']*", text or "")
    if not found:
        return None
    digits = re.sub(r"\D", "", found.group(0))
    return int(digits) if digits else None


__all__ = [
    "CURRENCIES",
    "currency_of",
    "parse_count",
    "parse_number",
    "parse_price",
    "parse_rating",
]
