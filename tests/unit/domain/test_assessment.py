"""The quality and risk assessment: factors, scores, blocking, prompt and model recommendation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from afp_core.domain import _assessment_rules as rules
from afp_core.domain.assessment import (
    Assessment,
    AssessmentInput,
    Factor,
    FactorKind,
    assess,
)
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import ScriptId
from afp_core.domain.money import Credits
from afp_core.domain.pricing import (
    ModelTier,
    PlanTier,
    PriceTable,
    VideoModel,
    default_price_table,
)
from afp_core.domain.product import ImageMeta, ProductFacts
from afp_core.domain.script import Claim, Script

PRICES = default_price_table()
DOCS = Path(__file__).resolve().parents[3] / "docs" / "assessment.md"
SHARP = (
    ImageMeta("https://cdn.example/1.jpg", 1080, 1920),
    ImageMeta("https://cdn.example/2.jpg", 1080, 1920),
    ImageMeta("https://cdn.example/3.jpg", 1080, 1080),
)


def product(**changes: Any) -> ProductFacts:
    base = ProductFacts(
        url="https://shop.example/p/1",
        title="Aurora Ceramic Pour-Over Coffee Set",
        brand="Aurora",
        bullets=("Hand-glazed ceramic dripper", "Brews 2 cups in 3 minutes", "Dishwasher safe"),
        description="A calm morning ritual. Made in Portugal.",
        price=Decimal("34.99"),
        currency="USD",
        categories=("Kitchen",),
    )
    return attrs.evolve(base, **changes)


def script(**changes: Any) -> Script:
    base = Script(
        id=ScriptId("script-1"),
        hook="Your mornings deserve better coffee.",
        body="This set brews two cups in three minutes.",
        call_to_action="Tap the link to grab yours.",
        claims=(Claim("Brews 2 cups in 3 minutes", ("bullet:1",)),),
    )
    return attrs.evolve(base, **changes)


def run(
    *, facts: ProductFacts | None = None, prices: PriceTable = PRICES, **changes: Any
) -> Assessment:
    script_changes = {
        k: changes.pop(k) for k in ("hook", "body", "call_to_action", "claims") if k in changes
    }
    inp = AssessmentInput(product=facts or product(), script=script(**script_changes), images=SHARP)
    return assess(attrs.evolve(inp, **changes), prices)


def codes(result: Assessment) -> list[str]:
    return [f.code for f in result.factors]


def only(result: Assessment, code: str) -> Factor:
    (found,) = (f for f in result.factors if f.code == code)
    return found


# ---------------------------------------------------------------- a clean baseline
def test_a_grounded_well_made_script_has_no_factors_and_perfect_scores() -> None:
    result = run()

    assert result.factors == ()
    assert (result.risk_score, result.quality_score) == (0, 100)
    assert not result.blocked
    assert result.block_reasons == ()


# ---------------------------------------------------------------- unsupported claims
def test_a_claim_citing_no_fact_is_an_unsupported_claim_that_blocks() -> None:
    result = run(claims=(Claim("Keeps coffee hot for 12 hours"),))

    factor = only(result, "unsupported_claim")
    assert factor.blocking
    assert factor.kind is FactorKind.RISK
    assert "Keeps coffee hot for 12 hours" in factor.message
    assert factor.evidence == "claim 1"
    assert result.blocked


def test_a_claim_citing_an_unknown_fact_is_unsupported_and_names_that_fact() -> None:
    result = run(claims=(Claim("Comes with a warranty", ("bullet:1", "warranty")),))

    assert "warranty" in only(result, "unsupported_claim").message


def test_each_unsupported_claim_gets_its_own_factor() -> None:
    result = run(claims=(Claim("Keeps coffee hot"), Claim("Never breaks", ("bullet:7",))))

    assert codes(result).count("unsupported_claim") == 2
    assert result.risk_score == 2 * rules.WEIGHTS["unsupported_claim"]


def test_a_claim_citing_existing_facts_is_not_flagged() -> None:
    result = run(claims=(Claim("Dishwasher safe and hand-glazed", ("bullet:0", "bullet:2")),))

    assert "unsupported_claim" not in codes(result)


# ---------------------------------------------------------------- health, earnings, before/after
@pytest.mark.parametrize(
    "sentence",
    [
        "This tea cures headaches.",
        "It heals your gut.",
        "Clinically proven to work.",
        "FDA approved formula.",
        "Great for weight loss.",
        "An anti-aging ritual.",
        "A gentle detox every morning.",
        "It helps prevent heart disease.",
        "Boosts your immune system.",
        "CLINICALLY PROVEN results.",
    ],
)
def test_a_health_claim_not_in_the_product_facts_blocks(sentence: str) -> None:
    result = run(body=sentence)

    factor = only(result, "health_claim")
    assert factor.blocking
    assert factor.evidence == "body"
    assert result.blocked


@pytest.mark.parametrize(
    "sentence",
    ["A self-healing cutting mat.", "Fast cure time for the resin.", "Lovely healthy habits."],
)
def test_words_that_only_look_medical_are_not_health_claims(sentence: str) -> None:
    assert "health_claim" not in codes(run(body=sentence))


def test_phrases_match_on_word_boundaries_only() -> None:
    result = run(body="A securely detoxed procured bundle, no security deposit.")

    assert "health_claim" not in codes(result)


@pytest.mark.parametrize(
    "sentence",
    [
        "Start to make money from your couch.",
        "Build passive income with it.",
        "I make $300 a day with this.",
        "Get rich before summer.",
        "Guaranteed income every month.",
    ],
)
def test_an_earnings_claim_not_in_the_product_facts_blocks(sentence: str) -> None:
    result = run(body=sentence)

    assert only(result, "earnings_claim").blocking
    assert result.blocked


def test_a_subscription_price_per_month_is_not_an_earnings_claim() -> None:
    facts = product(price=Decimal("9.99"))

    result = run(facts=facts, body="Only $9.99 a month for fresh beans.")

    assert "earnings_claim" not in codes(result)
    assert "price_mismatch" not in codes(result)


@pytest.mark.parametrize(
    "sentence",
    [
        "Look at my before and after photos.",
        "My before/after is wild.",
        "I lost 10 pounds in a month.",
        "Visible results in 7 days.",
        "I look 10 years younger.",
    ],
)
def test_a_before_after_claim_not_in_the_product_facts_blocks(sentence: str) -> None:
    result = run(body=sentence)

    assert only(result, "before_after_claim").blocking
    assert result.blocked


def test_before_and_after_a_workout_is_just_timing_not_a_before_after_claim() -> None:
    assert "before_after_claim" not in codes(run(body="Sip it before and after workouts."))


def test_a_health_claim_stated_by_a_product_fact_is_grounded_lighter_and_not_blocking() -> None:
    facts = product(bullets=("Clinically proven to reduce redness", "Fragrance free"))

    result = run(facts=facts, body="It is clinically proven, and gentle.")

    factor = only(result, "grounded_health_claim")
    assert not factor.blocking
    assert factor.weight < rules.WEIGHTS["health_claim"]
    assert "bullet:0" in factor.message
    assert "health_claim" not in codes(result)
    assert not result.blocked


def test_grounding_needs_the_same_phrase_not_a_related_one() -> None:
    facts = product(bullets=("Clinically tested for skin tolerance",))

    result = run(facts=facts, body="Clinically proven to calm your skin.")

    assert "health_claim" in codes(result)
    assert result.blocked


def test_an_earnings_claim_stated_by_a_product_fact_is_grounded_and_not_blocking() -> None:
    facts = product(title="The Passive Income Playbook", categories=("Books",))

    result = run(facts=facts, body="A clear guide to passive income.")

    assert codes(result) == ["grounded_earnings_claim"]
    assert not result.blocked


def test_a_before_after_claim_stated_by_a_product_fact_is_grounded_and_not_blocking() -> None:
    facts = product(description="A frame for your before and after photos.")

    result = run(facts=facts, body="Show off your before and after.")

    assert "grounded_before_after_claim" in codes(result)
    assert not result.blocked


def test_the_user_prompt_is_scanned_too() -> None:
    result = run(prompt="Tell viewers it cures anxiety")

    assert only(result, "health_claim").evidence == "prompt"


def test_claim_text_is_scanned_too() -> None:
    claim = Claim("Detox in a cup", ("bullet:0",))

    assert only(run(claims=(claim,)), "health_claim").evidence == "claim 1"


def test_a_phrase_repeated_in_several_places_counts_once() -> None:
    result = run(hook="Act now.", body="Act now, really.", prompt="act now")

    assert codes(result).count("urgency_pressure") == 1


# ---------------------------------------------------------------- likeness
@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("body", "As seen on TV!"),
        ("body", "Endorsed by top chefs."),
        ("body", "Taylor Swift drinks this every day."),
        ("body", "My celebrity crush uses it."),
        ("prompt", "Use the face of a real person holding the mug"),
        ("prompt", "A Keanu Reeves lookalike presents it"),
    ],
)
def test_real_person_likeness_without_consent_blocks(field: str, text: str) -> None:
    result = run(**{field: text})

    likeness = [f for f in result.factors if f.code == "real_person_likeness"]
    assert likeness
    assert all(f.blocking and f.evidence == field for f in likeness)
    assert result.blocked


def test_real_person_likeness_with_consent_is_noted_lightly_and_does_not_block() -> None:
    result = run(body="Taylor Swift drinks this every day.", likeness_consent=True)

    assert codes(result) == ["consented_likeness"]
    assert not result.blocked


def test_real_customers_are_not_a_real_person_likeness() -> None:
    assert codes(run(body="Real people, real mornings.")) == []


# ---------------------------------------------------------------- prohibited categories
@pytest.mark.parametrize(
    ("facts_changes", "category"),
    [
        ({"title": "Compact Handgun Holster"}, "firearms"),
        ({"bullets": ("Holds 500 rounds of ammo",)}, "ammunition"),
        ({"title": "Premium Cuban Cigars"}, "tobacco"),
        ({"title": "Disposable Vape Pen"}, "vape"),
        ({"categories": ("CBD Oils",)}, "cannabis"),
        ({"description": "Prescription only."}, "prescription drugs"),
        ({"title": "Casino Night Kit"}, "gambling"),
        ({"categories": ("Sex Toys",)}, "adult"),
    ],
)
def test_a_prohibited_category_in_the_product_blocks(
    facts_changes: dict[str, Any], category: str
) -> None:
    result = run(facts=product(**facts_changes))

    factor = only(result, "prohibited_category")
    assert category in factor.message
    assert factor.evidence.startswith("product ")
    assert result.blocked


def test_a_prohibited_category_named_in_the_script_blocks_too() -> None:
    result = run(body="Pairs well with a cigar after dinner.")

    assert only(result, "prohibited_category").evidence == "body"


def test_one_prohibited_factor_per_category_however_often_it_appears() -> None:
    facts = product(title="Vape Pen", bullets=("Refillable vape", "Vape juice included"))

    assert codes(run(facts=facts, body="Vape anywhere.")) == ["prohibited_category"]


@pytest.mark.parametrize(
    "title", ["Hot Glue Gun", "Water Pistol for Kids", "Deep Tissue Massage Gun"]
)
def test_tools_and_toys_named_gun_are_not_prohibited(title: str) -> None:
    assert "prohibited_category" not in codes(run(facts=product(title=title)))


# ---------------------------------------------------------------- tone: absolutes and urgency
@pytest.mark.parametrize(
    "sentence",
    ["Results guaranteed.", "100% effective.", "The #1 dripper.", "Best in the world."],
)
def test_absolute_claims_add_risk_without_blocking(sentence: str) -> None:
    result = run(body=sentence)

    assert not only(result, "absolute_claim").blocking
    assert result.risk_score == rules.WEIGHTS["absolute_claim"]
    assert not result.blocked


def test_a_material_percentage_is_not_an_absolute_claim() -> None:
    assert codes(run(body="A 100% cotton sleeve keeps it warm.")) == []


@pytest.mark.parametrize("sentence", ["Act now!", "Last chance to get one.", "Only today."])
def test_urgency_pressure_adds_risk_without_blocking(sentence: str) -> None:
    result = run(call_to_action=sentence)

    assert not only(result, "urgency_pressure").blocking
    assert not result.blocked


# ---------------------------------------------------------------- prices
def test_a_price_that_differs_from_the_product_price_is_a_mismatch() -> None:
    result = run(call_to_action="Grab yours for $29.99.")

    factor = only(result, "price_mismatch")
    assert "$29.99" in factor.message
    assert "34.99 USD" in factor.message
    assert not factor.blocking


@pytest.mark.parametrize("cta", ["Grab yours for $34.99.", "Only 34.99 dollars.", "$34.99 in bio"])
def test_the_right_price_is_not_a_mismatch(cta: str) -> None:
    assert codes(run(call_to_action=cta)) == []


def test_the_right_amount_in_the_wrong_currency_is_a_mismatch() -> None:
    assert "price_mismatch" in codes(run(call_to_action="Only 34,99 €."))


def test_any_stated_price_is_a_mismatch_when_the_facts_have_no_price() -> None:
    result = run(facts=product(price=None, currency=None), call_to_action="Just $20.")

    assert "the facts have none" in only(result, "price_mismatch").message


def test_the_user_prompt_is_not_checked_for_prices() -> None:
    assert codes(run(prompt="show a $5 coupon")) == []


# ---------------------------------------------------------------- moderation flags
def test_each_moderation_flag_blocks_with_its_own_reason() -> None:
    result = run(moderation_flags=("violence", "hate"))

    assert codes(result) == ["moderation_flag", "moderation_flag"]
    assert result.block_reasons == (
        "flagged by moderation: violence",
        "flagged by moderation: hate",
    )


def test_a_blank_moderation_flag_still_blocks() -> None:
    assert run(moderation_flags=(" ",)).block_reasons == ("flagged by moderation: no reason given",)


def test_no_moderation_flags_add_nothing() -> None:
    assert "moderation_flag" not in codes(run(moderation_flags=()))


# ---------------------------------------------------------------- quality: images
def test_no_images_anywhere_costs_the_most_quality() -> None:
    result = run(images=())

    assert codes(result) == ["no_images"]
    assert result.quality_score == 100 - rules.WEIGHTS["no_images"]
    assert only(result, "no_images").kind is FactorKind.QUALITY


def test_product_image_urls_count_when_no_image_metadata_is_given() -> None:
    facts = product(images=("https://cdn.example/a.jpg", "https://cdn.example/b.jpg"))

    assert codes(run(facts=facts, images=())) == ["few_images"]


def test_fewer_than_three_images_is_a_quality_factor() -> None:
    assert codes(run(images=SHARP[:2])) == ["few_images"]
    assert codes(run(images=SHARP)) == []


def test_each_image_known_to_be_small_is_its_own_factor() -> None:
    small = (
        ImageMeta("https://cdn.example/s1.jpg", 600, 900),
        ImageMeta("https://cdn.example/s2.jpg", width=500),
        ImageMeta("https://cdn.example/unknown.jpg"),
        ImageMeta("https://cdn.example/ok.jpg", 720, 1280),
    )

    result = run(images=small)

    assert codes(result) == ["low_resolution_image", "low_resolution_image"]
    assert [f.evidence for f in result.factors] == [small[0].url, small[1].url]


# ---------------------------------------------------------------- quality: script
def test_a_hook_over_twelve_words_is_too_long() -> None:
    twelve = "one two three four five six seven eight nine ten eleven twelve"

    assert "hook_too_long" not in codes(run(hook=twelve, body="Short body."))
    assert "hook_too_long" in codes(run(hook=twelve + " thirteen", body="Short body."))


@pytest.mark.parametrize("cta", ["", "   "])
def test_a_missing_call_to_action_is_a_quality_factor(cta: str) -> None:
    assert "missing_call_to_action" in codes(run(call_to_action=cta, body="A b c d e f g h."))


def test_a_script_longer_than_the_duration_can_speak_is_too_long() -> None:
    # 8 s at 2.7 words/s: at most 21 words. hook 5 + call to action 6 leaves 10 for the body.
    assert codes(run(body=" ".join(["word"] * 10))) == []
    assert codes(run(body=" ".join(["word"] * 11))) == ["script_too_long"]


def test_a_longer_duration_gives_room_for_more_words() -> None:
    body = " ".join(["word"] * 20)

    assert codes(run(body=body, duration_s=15)) == []


def test_a_script_under_half_the_spoken_budget_is_too_short() -> None:
    # 8 s: budget 21 words, so under 10 words is too short.
    hook, cta = "Better coffee, every single morning.", "Tap the link now."  # 5 + 4 words

    assert codes(run(hook=hook, body="Really.", call_to_action=cta)) == []
    assert codes(run(hook=hook, body="", call_to_action=cta)) == ["script_too_short"]


def test_product_facts_without_bullets_or_description_are_thin() -> None:
    assert "thin_product_facts" in codes(run(facts=product(bullets=(), description=" ")))
    assert "thin_product_facts" not in codes(run(facts=product(bullets=(), description="Nice.")))
    assert "thin_product_facts" not in codes(run(facts=product(description="")))


@pytest.mark.parametrize("brand", [None, "  "])
def test_a_missing_brand_is_a_quality_factor(brand: str | None) -> None:
    assert codes(run(facts=product(brand=brand))) == ["missing_brand"]


# ---------------------------------------------------------------- scores and blocking
def test_risk_is_capped_at_100_and_quality_floored_at_0() -> None:
    result = run(
        facts=product(bullets=(), description="", brand=None, title="Vape Pen"),
        hook=" ".join(["very"] * 20),
        body="It cures acne, makes money, before and after, as seen on TV. " * 3,
        call_to_action="",
        images=(),
        requested_model="nope",
        duration_s=20,
    )

    assert result.risk_score == 100
    assert result.quality_score == 0


def test_block_reasons_are_the_messages_of_the_blocking_factors_in_order() -> None:
    result = run(
        body="It cures colds. Act now.", claims=(Claim("Unbreakable"),), prompt="as seen on TV"
    )

    blocking = [f for f in result.factors if f.blocking]
    assert [f.code for f in blocking] == [
        "unsupported_claim",
        "health_claim",
        "real_person_likeness",
    ]
    assert result.block_reasons == tuple(f.message for f in blocking)
    assert "urgency_pressure" in codes(result)


def test_non_blocking_risk_alone_never_blocks() -> None:
    result = run(body="Guaranteed. The #1 pick. Act now. Last chance.")

    assert result.risk_score == 40
    assert not result.blocked


def test_factors_are_listed_in_a_stable_order_risk_first() -> None:
    result = run(
        facts=product(brand=None), body="Act now, it cures colds.", claims=(Claim("Unbreakable"),)
    )

    assert codes(result) == [
        "unsupported_claim",
        "health_claim",
        "urgency_pressure",
        "missing_brand",
    ]


def test_a_factor_must_have_a_positive_weight() -> None:
    with pytest.raises(ValidationFailed):
        Factor("x", FactorKind.RISK, 0, "nothing")


def test_an_assessment_input_needs_a_positive_duration() -> None:
    with pytest.raises(ValidationFailed):
        AssessmentInput(product(), script(), duration_s=0)


def test_every_weight_is_a_positive_integer_and_every_code_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")

    for code, weight in rules.WEIGHTS.items():
        assert isinstance(weight, int)
        assert weight > 0
        assert f"`{code}`" in docs, code


# ---------------------------------------------------------------- determinism
def test_the_same_input_gives_an_equal_assessment() -> None:
    inp = AssessmentInput(
        product(),
        script(body="It cures colds. Act now.", claims=(Claim("Unbreakable"),)),
        prompt="as seen on TV",
        images=SHARP[:1],
        plan=PlanTier.PRO,
    )

    assert assess(inp, PRICES) == assess(inp, PRICES)
    assert assess(inp, PRICES) == assess(attrs.evolve(inp), default_price_table())


# ---------------------------------------------------------------- model recommendation
def test_a_requested_model_the_plan_allows_is_recommended() -> None:
    result = run(requested_model="veo3_fast")

    rec = result.recommendation
    assert rec is not None
    assert (rec.model_id, rec.price) == ("veo3_fast", Credits(10))
    assert rec.alternatives == ("afp-local",)
    assert "requested" in rec.reason


def test_a_requested_model_wins_even_over_the_risk_rule() -> None:
    result = run(
        requested_model="veo3",
        plan=PlanTier.PRO,
        body="Guaranteed. #1. Act now. Hurry. Last chance.",
    )

    assert result.risk_score >= rules.RISK_FOR_CHEAPEST
    assert result.recommendation is not None
    assert result.recommendation.model_id == "veo3"


def test_a_requested_model_above_the_plan_is_explained_and_replaced_by_an_allowed_one() -> None:
    result = run(requested_model="veo3", plan=PlanTier.FREE)

    factor = only(result, "requested_model_not_in_plan")
    assert "PREMIUM" in factor.message
    assert "FREE" in factor.message
    assert result.recommendation is not None
    assert result.recommendation.model_id == "veo3_fast"


def test_the_choice_reads_content_scores_not_the_request_factors() -> None:
    # Content quality is exactly 60, premium-worthy (thin facts 15, no call to action 15, two
    # images 10); the request factor costs 5 more but does not push to the cheapest model.
    result = run(
        facts=product(bullets=(), description=""),
        claims=(),
        call_to_action="",
        images=SHARP[:2],
        requested_model="veo3",
        plan=PlanTier.FREE,
    )

    assert result.quality_score == 55
    assert result.recommendation is not None
    assert result.recommendation.model_id == "veo3_fast"


def test_an_unknown_requested_model_is_explained_and_a_fitting_one_is_recommended() -> None:
    result = run(requested_model="no-such-model")

    assert "requested_model_unknown" in codes(result)
    assert result.recommendation is not None


def test_a_requested_model_that_cannot_render_the_duration_is_explained() -> None:
    result = run(requested_model="sora-2", duration_s=8)

    assert "requested_model_cannot_render" in codes(result)
    assert result.recommendation is not None
    assert result.recommendation.model_id == "veo3_fast"


def test_high_risk_content_gets_the_cheapest_model() -> None:
    result = run(
        plan=PlanTier.PRO,
        body="Guaranteed. The #1 pick. Act now. Hurry.",
        call_to_action="Last chance.",
    )

    assert result.risk_score == 50  # five tone factors: risky, yet not blocked
    assert not result.blocked
    assert result.recommendation is not None
    assert result.recommendation.model_id == "afp-local"
    assert result.recommendation.price == Credits(1)
    assert "cheapest" in result.recommendation.reason


def test_low_quality_content_gets_the_cheapest_model() -> None:
    result = run(
        plan=PlanTier.PRO,
        images=(),
        claims=(),
        facts=product(brand=None, bullets=(), description=""),
    )

    assert result.quality_score < rules.QUALITY_FOR_CHEAPEST
    assert result.recommendation is not None
    assert result.recommendation.model_id == "afp-local"


def test_good_content_on_pro_gets_the_premium_model() -> None:
    result = run(plan=PlanTier.PRO)

    assert result.recommendation is not None
    assert result.recommendation.model_id == "veo3"
    assert PRICES.model("veo3").tier is ModelTier.PREMIUM
    assert set(result.recommendation.alternatives) == {"afp-local", "veo3_fast"}


def test_good_content_on_pro_at_ten_seconds_gets_the_premium_model_for_that_length() -> None:
    result = run(plan=PlanTier.PRO, duration_s=10, body=" ".join(["word"] * 10))

    assert result.recommendation is not None
    assert result.recommendation.model_id == "sora-2-pro"
    assert result.recommendation.price == Credits(30)


@pytest.mark.parametrize("duration", [4, 6, 8, 10, 15])
@pytest.mark.parametrize("requested", [None, "veo3", "sora-2-pro"])
def test_the_free_plan_never_gets_a_premium_model(duration: int, requested: str | None) -> None:
    result = run(plan=PlanTier.FREE, duration_s=duration, requested_model=requested)

    assert result.recommendation is not None
    assert PRICES.model(result.recommendation.model_id).tier <= ModelTier.STANDARD
    assert all(
        PRICES.model(m).tier <= ModelTier.STANDARD for m in result.recommendation.alternatives
    )


def test_the_cheapest_model_of_the_best_tier_wins() -> None:
    table = PriceTable(
        models=(
            VideoModel("premium-a", ModelTier.PREMIUM, (8,)),
            VideoModel("premium-b", ModelTier.PREMIUM, (8,)),
            VideoModel("draft", ModelTier.DRAFT, (8,)),
        ),
        prices={
            ("premium-a", 8): Credits(50),
            ("premium-b", 8): Credits(40),
            ("draft", 8): Credits(1),
        },
    )

    result = run(plan=PlanTier.BUSINESS, prices=table)

    assert result.recommendation is not None
    assert result.recommendation.model_id == "premium-b"
    assert result.recommendation.alternatives == ("premium-a", "draft")


def test_when_no_model_fits_there_is_no_recommendation_and_a_factor_says_why() -> None:
    result = run(duration_s=20)

    assert result.recommendation is None
    assert "20 s" in only(result, "no_model_fits").message


def test_a_square_video_on_free_can_only_be_the_local_renderer() -> None:
    result = run(aspect_ratio="1:1")

    assert result.recommendation is not None
    assert result.recommendation.model_id == "afp-local"
    assert result.recommendation.alternatives == ()


def test_blocked_content_gets_no_recommendation_so_nothing_is_spent() -> None:
    result = run(plan=PlanTier.PRO, body="It cures colds.")

    assert result.blocked
    assert result.recommendation is None


def test_blocked_content_keeps_a_requested_model_but_says_it_is_blocked() -> None:
    result = run(plan=PlanTier.PRO, body="It cures colds.", requested_model="veo3")

    assert result.blocked
    assert result.recommendation is not None
    assert "blocked" in result.recommendation.reason


# ---------------------------------------------------------------- enhanced prompt
def test_the_enhanced_prompt_names_the_product_and_only_supported_features() -> None:
    claims = (
        Claim("Brews 2 cups in 3 minutes", ("bullet:1",)),
        Claim("Glows softly in the dark", ()),
    )

    prompt = run(claims=claims).enhanced_prompt
    text = prompt.render()

    assert "Aurora Ceramic Pour-Over Coffee Set" in prompt.product_handling
    assert "Brews 2 cups in 3 minutes" in prompt.product_handling
    assert "Glows softly in the dark" not in text


def test_the_enhanced_prompt_falls_back_to_the_bullets_without_supported_claims() -> None:
    prompt = run(claims=()).enhanced_prompt

    assert "Hand-glazed ceramic dripper" in prompt.product_handling


def test_the_enhanced_prompt_prefixes_the_brand_when_the_title_lacks_it() -> None:
    prompt = run(facts=product(title="Pour-Over Coffee Set")).enhanced_prompt

    assert "Aurora Pour-Over Coffee Set" in prompt.product_handling


def test_the_enhanced_prompt_always_carries_the_disclosure() -> None:
    prompt = run(body="It cures colds.").enhanced_prompt

    assert prompt.disclosure == "#ad — AI-generated"
    assert "#ad — AI-generated" in prompt.render()


def test_the_enhanced_prompt_never_copies_a_blocked_phrase() -> None:
    result = run(
        hook="This cures insomnia fast.",
        claims=(Claim("Detox blend", ("bullet:0",)),),
        facts=product(title="Detox Coffee Set"),
    )

    text = result.enhanced_prompt.render().lower()
    assert result.blocked
    assert "cure" not in text
    assert "detox" not in text
    assert "Coffee Set" in result.enhanced_prompt.product_handling


def test_on_screen_text_is_short_captions_from_the_hook_and_call_to_action() -> None:
    prompt = run(
        hook="Your mornings deserve so much better coffee than this, friend.",
        call_to_action="Tap the link to grab yours.",
    ).enhanced_prompt

    assert prompt.on_screen_text == (
        "Your mornings deserve so much better coffee than",
        "Tap the link to grab yours",
    )


def test_a_caption_with_a_wrong_price_is_left_out() -> None:
    prompt = run(call_to_action="Only $9 today.").enhanced_prompt

    assert prompt.on_screen_text == ("Your mornings deserve better coffee",)


def test_the_camera_follows_the_aspect_ratio() -> None:
    assert "vertical 9:16" in run().enhanced_prompt.camera
    assert "handheld" in run().enhanced_prompt.camera
    assert "horizontal 16:9" in run(aspect_ratio="16:9").enhanced_prompt.camera


def test_the_persona_speaks_to_the_audience_and_the_setting_fits_the_product() -> None:
    prompt = run().enhanced_prompt

    assert "online shoppers" in prompt.persona
    assert "kitchen" in prompt.setting


def test_the_rendered_prompt_is_deterministic_text_with_every_part() -> None:
    prompt = run().enhanced_prompt

    text = prompt.render()
    assert text == prompt.render()
    for part in (prompt.persona, prompt.setting, prompt.camera, prompt.product_handling):
        assert part in text
