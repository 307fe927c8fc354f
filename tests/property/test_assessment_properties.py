"""Properties of the quality and risk assessment (docs/assessment.md)."""

from __future__ import annotations

import copy

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from afp_core.domain import _assessment_rules as rules
from afp_core.domain.assessment import AssessmentInput, FactorKind, assess
from afp_core.domain.pricing import default_price_table
from tests.strategies_content import assessment_inputs, claims, unsupported_claims

PRICES = default_price_table()


@st.composite
def inputs_with_an_extra_claim(
    draw: st.DrawFn, *, unsupported_only: bool
) -> tuple[AssessmentInput, AssessmentInput]:
    inp = draw(assessment_inputs())
    extra = draw((unsupported_claims if unsupported_only else claims)(inp.product))
    at = draw(st.integers(min_value=0, max_value=len(inp.script.claims)))
    claims_after = (*inp.script.claims[:at], extra, *inp.script.claims[at:])
    return inp, attrs.evolve(inp, script=attrs.evolve(inp.script, claims=claims_after))


# The assessment is a pure function over small inputs: a few hundred examples per property find
# what more would; the `ci` profile's 1,000 are spent on the ledger and video state machines.
capped = settings(max_examples=min(settings.default.max_examples, 300))


@capped
@given(assessment_inputs())
def test_the_same_input_always_gives_an_equal_assessment(inp: AssessmentInput) -> None:
    first = assess(inp, PRICES)

    assert assess(inp, PRICES) == first
    assert assess(copy.deepcopy(inp), PRICES) == first
    assert first.enhanced_prompt.render() == assess(inp, PRICES).enhanced_prompt.render()


@capped
@given(inputs_with_an_extra_claim(unsupported_only=True))
def test_adding_an_unsupported_claim_never_lowers_risk_nor_unblocks(
    pair: tuple[AssessmentInput, AssessmentInput],
) -> None:
    before, after = (assess(inp, PRICES) for inp in pair)

    assert after.risk_score >= before.risk_score
    assert after.blocked
    assert set(before.block_reasons) <= set(after.block_reasons)


@capped
@given(inputs_with_an_extra_claim(unsupported_only=False))
def test_adding_any_claim_never_lowers_risk_nor_unblocks(
    pair: tuple[AssessmentInput, AssessmentInput],
) -> None:
    before, after = (assess(inp, PRICES) for inp in pair)

    assert after.risk_score >= before.risk_score
    assert after.blocked or not before.blocked


@capped
@given(assessment_inputs())
def test_scores_stay_within_0_and_100_and_follow_from_the_factors(inp: AssessmentInput) -> None:
    result = assess(inp, PRICES)
    risk = sum(f.weight for f in result.factors if f.kind is FactorKind.RISK)
    quality = sum(f.weight for f in result.factors if f.kind is FactorKind.QUALITY)

    assert 0 <= result.risk_score <= 100
    assert 0 <= result.quality_score <= 100
    assert result.risk_score == min(100, risk)
    assert result.quality_score == max(0, 100 - quality)
    assert all(f.weight > 0 and f.weight == rules.WEIGHTS[f.code] for f in result.factors)


@capped
@given(assessment_inputs())
def test_blocked_content_is_exactly_content_with_a_blocking_factor(inp: AssessmentInput) -> None:
    result = assess(inp, PRICES)
    blocking = [f.message for f in result.factors if f.blocking]

    assert result.blocked == bool(blocking)
    assert result.block_reasons == tuple(blocking)
    if result.blocked and inp.requested_model is None:
        assert result.recommendation is None


@capped
@given(assessment_inputs())
def test_the_recommended_model_is_allowed_by_the_plan_and_can_render_the_video(
    inp: AssessmentInput,
) -> None:
    recommendation = assess(inp, PRICES).recommendation

    if recommendation is not None:
        model = PRICES.model(recommendation.model_id)
        assert model in PRICES.models_for(inp.plan)
        assert recommendation.price == PRICES.price(model.id, inp.duration_s, inp.aspect_ratio)
        assert recommendation.model_id not in recommendation.alternatives


@capped
@given(assessment_inputs())
def test_the_enhanced_prompt_never_carries_a_risk_phrase_and_always_the_disclosure(
    inp: AssessmentInput,
) -> None:
    rendered = assess(inp, PRICES).enhanced_prompt.render()

    assert not rules.is_risky(rendered)
    assert rules.DISCLOSURE in rendered
