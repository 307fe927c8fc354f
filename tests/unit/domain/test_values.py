"""Value objects validate on construction: credits, money, pricing, emails, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from afp_core.domain.errors import IdempotencyConflict, ValidationFailed
from afp_core.domain.idempotency import IdempotencyRecord, check_key, fingerprint
from afp_core.domain.money import Credits, Money
from afp_core.domain.pricing import ModelTier, PlanTier, PriceTable, VideoModel, default_price_table
from afp_core.domain.users import normalise_email


def test_credits_are_non_negative_integers() -> None:
    assert Credits(3) + Credits(4) == Credits(7)
    assert Credits(2) * 5 == Credits(10)
    assert not Credits(0)
    assert Credits(1)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValidationFailed):
            Credits(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        Credits(1) - Credits(2)


def test_money_is_an_exact_decimal_with_an_iso_currency() -> None:
    assert Money("9.99", "USD").amount == Decimal("9.99")
    for amount, currency in (("nan", "USD"), ("abc", "USD"), ("1", "usd"), ("1", "US")):
        with pytest.raises(ValidationFailed):
            Money(amount, currency)


def test_the_default_price_table_prices_every_model_and_duration() -> None:
    table = default_price_table()
    assert table.price("veo3_fast", 8) == Credits(10)
    assert table.price("afp-local", 15, "1:1") == Credits(2)
    with pytest.raises(ValidationFailed, match="renders 8 s"):
        table.price("veo3_fast", 10)
    with pytest.raises(ValidationFailed, match="unknown video model"):
        table.price("nope", 8)
    with pytest.raises(ValidationFailed, match="not 1:1"):
        table.price("veo3", 8, "1:1")
    assert table.pack("starter").credits == Credits(100)
    with pytest.raises(ValidationFailed):
        table.pack("gold")


def test_plan_tiers_choose_which_models_a_user_may_render_with() -> None:
    table = default_price_table()
    free = {m.id for m in table.models_for(PlanTier.FREE)}
    pro = {m.id for m in table.models_for(PlanTier.PRO)}
    assert "veo3" not in free and "veo3" in pro
    assert free < pro


def test_a_price_table_refuses_a_model_without_a_price() -> None:
    model = VideoModel("m", ModelTier.STANDARD, (8, 10))
    with pytest.raises(ValidationFailed, match="no price for m at 10 s"):
        PriceTable(models=(model,), prices={("m", 8): Credits(1)})


def test_emails_are_normalised_and_checked() -> None:
    assert normalise_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("", "ann", "ann@", "a b@c.d", "x@" + "y" * 260 + ".com"):
        with pytest.raises(ValidationFailed):
            normalise_email(bad)


def test_fingerprints_ignore_key_order_and_see_every_value() -> None:
    assert fingerprint("op", {"a": 1, "b": 2}) == fingerprint("op", {"b": 2, "a": 1})
    assert fingerprint("op", {"a": 1}) != fingerprint("op", {"a": 2})
    assert fingerprint("op", {"a": 1}) != fingerprint("other", {"a": 1})


def test_a_used_key_replays_its_result_or_conflicts() -> None:
    record = IdempotencyRecord("s", "k", "fp", "video-1", datetime(2026, 1, 1, tzinfo=UTC))
    assert record.replay("fp") == "video-1"
    with pytest.raises(IdempotencyConflict):
        record.replay("other")


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_an_idempotency_key_must_be_short_printable_text(key: str) -> None:
    with pytest.raises(ValidationFailed):
        check_key(key)
