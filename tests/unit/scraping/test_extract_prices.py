from decimal import Decimal

import pytest

from afp_adapters.scraping.extract.prices import (
    currency_of,
    parse_count,
    parse_number,
    parse_price,
    parse_rating,
)


@pytest.mark.parametrize(
    ("text", "separator", "expected", "currency"),
    [
        ("$8.99", ".", "8.99", "USD"),
        ("£48.99", None, "48.99", "GBP"),
        ("8,71 €", ",", "8.71", "EUR"),
        ("100,00\u00a0€", ",", "100.00", "EUR"),
        ("1.149,00 €", None, "1149.00", "EUR"),
        ("1.234,56", ",", "1234.56", None),
        ("1,234.56", None, "1234.56", None),
        ("2 480 €", ",", "2480", "EUR"),
        ("2\u202f480,50 €", ",", "2480.50", "EUR"),
        ("CDN$ 29.99", None, "29.99", "CAD"),
        ("US$11.99 / Set", None, "11.99", "USD"),
        ("GBP 1.99", None, "1.99", "GBP"),
        ("R$ 1.299,90", None, "1299.90", "BRL"),
        ("¥2,480", None, "2480", "JPY"),
        ("48,00", None, "48.00", None),
        ("109€ 109€ 109", None, "109", "EUR"),
        ("34.000", None, "34000", None),
        ("1'299.00 CHF", None, "1299.00", "CHF"),
    ],
)
def test_prices_are_read_in_every_regional_format(
    text: str, separator: str | None, expected: str, currency: str | None
) -> None:
    assert parse_price(text, decimal_separator=separator) == (Decimal(expected), currency)


def test_the_known_marketplace_currency_wins_over_the_symbol() -> None:
    assert parse_price("$29.99", currency="CAD") == (Decimal("29.99"), "CAD")


def test_text_without_a_number_is_no_price() -> None:
    assert parse_price("Currently unavailable.") == (None, None)
    assert parse_number("") is None


def test_the_marketplace_separator_settles_ambiguous_amounts() -> None:
    assert parse_number("34.000", ",") == Decimal("34000")
    assert parse_number("34,000", ",") == Decimal("34.000")


def test_a_currency_code_beats_a_symbol() -> None:
    assert currency_of("AU$ 10 AUD") == "AUD"
    assert currency_of("no money here") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.6 out of 5 stars", "4.6"),
        ("4,7 von 5 Sternen", "4.7"),
        ("3,6 sur 5\u00a0étoiles", "3.6"),
        ("4,1 de 5 estrellas", "4.1"),
        ("5つ星のうち4.2", "4.2"),
        ("4.757894736842105", "4.76"),
        ("5.0", "5"),
    ],
)
def test_ratings_are_read_in_every_locale(text: str, expected: str) -> None:
    assert parse_rating(text) == Decimal(expected)


def test_a_rating_outside_the_scale_is_dropped() -> None:
    assert parse_rating("42 of them") is None
    assert parse_rating("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("422 ratings", 422),
        ("21,200 ratings", 21200),
        ("1.091 Sternebewertungen", 1091),
        ("2 480 évaluations", 2480),
        ("2\u00a0480 évaluations", 2480),
        ("(3592 Reviews)", 3592),
    ],
)
def test_review_counts_drop_every_thousands_separator(text: str, expected: int) -> None:
    assert parse_count(text) == expected


def test_a_missing_count_is_none_not_zero() -> None:
    assert parse_count("no reviews yet") is None
