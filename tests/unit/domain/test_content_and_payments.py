"""Product facts have ids claims can cite; purchases refund proportionally, once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from afp_core.domain.errors import IllegalTransition, ValidationFailed
from afp_core.domain.ids import PurchaseId, ScriptId, UserId
from afp_core.domain.money import Money
from afp_core.domain.payments import PaymentProviderName, Purchase, PurchaseStatus
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script, ScriptOptions

PRODUCT = ProductFacts(
    url="https://x.test/p",
    title="Lamp",
    brand="Lumo",
    bullets=("Warm light", "USB-C"),
    description="Dimmable. Battery lasts 8 hours.",
    price=Decimal("19.90"),
    currency="EUR",
    rating=Decimal("4.5"),
    review_count=120,
)


def test_every_fact_has_a_stable_id() -> None:
    ids = [f.id for f in PRODUCT.facts()]
    assert ids == [
        "title",
        "brand",
        "bullet:0",
        "bullet:1",
        "description:0",
        "description:1",
        "price",
        "rating",
    ]
    assert PRODUCT.fact("description:1") is not None
    assert PRODUCT.fact("description:1").text == "Battery lasts 8 hours."  # type: ignore[union-attr]


def test_a_claim_is_supported_only_by_facts_the_product_has() -> None:
    assert Claim("usb-c charging", ("bullet:1",)).is_supported_by(PRODUCT)
    assert not Claim("cures insomnia", ()).is_supported_by(PRODUCT)
    assert not Claim("solar", ("bullet:7",)).is_supported_by(PRODUCT)
    script = Script(
        ScriptId("s"),
        "hook",
        "body",
        "cta",
        claims=(Claim("usb-c", ("bullet:1",)), Claim("solar", ("bullet:9",))),
    )
    assert [c.text for c in script.unsupported_claims(PRODUCT)] == ["solar"]


def test_products_need_a_title_and_lists_not_strings() -> None:
    with pytest.raises(ValidationFailed):
        ProductFacts(url="https://x.test", title="  ")
    with pytest.raises(ValidationFailed):
        ProductFacts(url="https://x.test", title="t", bullets="one string")  # type: ignore[arg-type]


def test_script_options_are_checked() -> None:
    with pytest.raises(ValidationFailed):
        ScriptOptions(count=0)
    with pytest.raises(ValidationFailed):
        ScriptOptions(duration_s=7)


def purchase() -> Purchase:
    return Purchase(
        PurchaseId("p"),
        UserId("u"),
        "starter",
        100,
        Money("10.00", "USD"),
        PaymentProviderName.FAKE,
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_purchase_is_paid_once() -> None:
    p = purchase()
    assert p.mark_paid("pay_1") is True
    assert p.mark_paid("pay_1") is False
    assert p.status is PurchaseStatus.PAID


def test_refunds_claw_back_the_refunded_share_once() -> None:
    p = purchase()
    with pytest.raises(IllegalTransition):
        p.refund_to(Money("1", "USD"))
    p.mark_paid("pay_1")
    assert p.refund_to(Money("2.55", "USD")) == 25  # floor: never claw back more than refunded
    assert p.refund_to(Money("2.55", "USD")) == 0  # the same total again
    assert p.status is PurchaseStatus.PARTIALLY_REFUNDED
    assert p.refund_to(None) == 75  # a full refund takes the rest
    assert p.status is PurchaseStatus.REFUNDED
    assert p.refund_to(Money("10.00", "USD")) == 0


def test_a_refund_in_another_currency_is_refused() -> None:
    p = purchase()
    p.mark_paid("pay_1")
    with pytest.raises(ValidationFailed):
        p.refund_to(Money("1", "EUR"))
