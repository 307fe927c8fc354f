"""Quality and risk assessment (architecture §2.4): a pure, explainable check before any spend.

`assess` lists the factors that make a script risky (claims the product facts do not back,
health, earnings and before/after claims, real-person likeness, prohibited categories, ...) or
weak (few images, long hook, no call to action, ...), scores them, blocks what must not be
rendered, writes an enhanced prompt for the video model and recommends a model. Every factor
code is explained in docs/assessment.md; the rule tables live in `_assessment_rules`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from afp_core.domain import _assessment_rules as rules
from afp_core.domain._assessment_prompt import EnhancedPrompt, build_prompt
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.money import Credits
from afp_core.domain.pricing import PLAN_ALLOWS, PlanTier, PriceTable, VideoModel
from afp_core.domain.product import ImageMeta, ProductFacts
from afp_core.domain.script import Claim, Script


class FactorKind(enum.StrEnum):
    """RISK factors add to `risk_score`; QUALITY factors take from `quality_score`."""

    RISK = "risk"
    QUALITY = "quality"


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(f"{attribute.name} must be a positive integer, got {value!r}")


def _score(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 100:
        raise ValidationFailed(f"{attribute.name} must be within 0..100, got {value}")


@attrs.frozen
class Factor:
    """One reason behind a score: a stable code, its weight and a message the seller can act on."""

    code: str
    kind: FactorKind
    weight: int = attrs.field(validator=_positive)
    message: str
    blocking: bool = False
    evidence: str = ""


@attrs.frozen
class ModelRecommendation:
    """The model to render with, what it costs, why, and the other models that would fit."""

    model_id: str
    price: Credits
    reason: str
    alternatives: tuple[str, ...] = ()


@attrs.frozen
class AssessmentInput:
    """Everything the assessment reads; it has no other source of information."""

    product: ProductFacts
    script: Script
    prompt: str = ""
    images: tuple[ImageMeta, ...] = ()
    requested_model: str | None = None
    duration_s: int = attrs.field(default=8, validator=_positive)
    aspect_ratio: str = "9:16"
    plan: PlanTier = PlanTier.FREE
    likeness_consent: bool = False
    moderation_flags: tuple[str, ...] = ()


@attrs.frozen
class Assessment:
    """Scores, the factors behind them, the block decision, the prompt and the model to use."""

    risk_score: int = attrs.field(validator=_score)
    quality_score: int = attrs.field(validator=_score)
    factors: tuple[Factor, ...]
    blocked: bool
    block_reasons: tuple[str, ...]
    enhanced_prompt: EnhancedPrompt
    recommendation: ModelRecommendation | None


def assess(inp: AssessmentInput, prices: PriceTable) -> Assessment:
    """Score, explain and (if needed) block one script for one product; pure and deterministic.

    The model recommendation reads the *content* scores: the factors about the request
    (`requested_model_*`, `no_model_fits`) count in `quality_score` but never steer the choice.
    """
    content = (*_risk_factors(inp), *_quality_factors(inp))
    blocked = any(f.blocking for f in content)
    risk, quality = _scores(content)
    recommendation, request_factors = _recommend(inp, prices, risk, quality, blocked=blocked)
    factors = (*content, *request_factors)
    return Assessment(
        risk_score=risk,
        quality_score=_scores(factors)[1],
        factors=factors,
        blocked=blocked,
        block_reasons=tuple(f.message for f in factors if f.blocking),
        enhanced_prompt=build_prompt(
            inp.product, inp.script, inp.aspect_ratio, _states_wrong_price
        ),
        recommendation=recommendation,
    )


def _scores(factors: Iterable[Factor]) -> tuple[int, int]:
    risk = quality = 0
    for f in factors:
        risk += f.weight if f.kind is FactorKind.RISK else 0
        quality += f.weight if f.kind is FactorKind.QUALITY else 0
    return min(100, risk), max(0, 100 - quality)


def _factor(code: str, message: str, evidence: str = "", *, blocking: bool = False) -> Factor:
    kind = FactorKind.RISK if code in rules.RISK_WEIGHTS else FactorKind.QUALITY
    return Factor(code, kind, rules.WEIGHTS[code], message, blocking, evidence)


# ---------------------------------------------------------------- risk
def _risk_factors(inp: AssessmentInput) -> list[Factor]:
    product, script = inp.product, inp.script
    parts = (
        ("hook", script.hook),
        ("body", script.body),
        ("call_to_action", script.call_to_action),
    )
    in_script = [*parts, *((f"claim {i + 1}", c.text) for i, c in enumerate(script.claims))]
    scanned = [*in_script, ("prompt", inp.prompt)]
    facts = product.facts()
    claims = enumerate(script.claims)
    found = [_unsupported(i, c, product) for i, c in claims if not c.is_supported_by(product)]
    for rule in rules.CLAIM_RULES:
        for source, phrase in rules.hits(rule.pattern, scanned):
            fact_id = rules.backing_fact(phrase, facts)
            if fact_id is None:
                message = f'{rule.label} "{phrase}" is not in the product facts: {rule.fix}'
                found.append(_factor(rule.code, message, source, blocking=True))
            else:
                message = f'{rule.label} "{phrase}" is stated by product fact {fact_id}'
                found.append(_factor(rule.grounded_code or rule.code, message, source))
    for source, phrase in rules.hits(rules.LIKENESS.pattern, scanned):
        if inp.likeness_consent:
            message = f'real-person likeness "{phrase}", used with the declared consent'
            found.append(_factor("consented_likeness", message, source))
        else:
            message = f'real-person likeness "{phrase}" without consent: {rules.LIKENESS.fix}'
            found.append(_factor("real_person_likeness", message, source, blocking=True))
    in_product = [(f"product {fact.id}", fact.text) for fact in facts]
    for category, pattern in rules.PROHIBITED:
        for source, phrase in rules.hits(pattern, [*in_product, *scanned]):
            message = f'prohibited category {category} ("{phrase}"): AFP makes no ads for it'
            found.append(_factor("prohibited_category", message, source, blocking=True))
            break
    for rule in rules.TONE_RULES:
        for source, phrase in rules.hits(rule.pattern, scanned):
            found.append(_factor(rule.code, f'{rule.label} "{phrase}": {rule.fix}', source))
    found.extend(_price_mismatches(product, in_script))
    for flag in inp.moderation_flags:
        message = f"flagged by moderation: {flag.strip() or 'no reason given'}"
        found.append(_factor("moderation_flag", message, "moderation", blocking=True))
    return found


def _unsupported(index: int, claim: Claim, product: ProductFacts) -> Factor:
    known = {f.id for f in product.facts()}
    unknown = [fid for fid in claim.fact_ids if fid not in known]
    why = f"cites unknown facts {', '.join(unknown)}" if unknown else "cites no product fact"
    message = f'claim "{rules.quote(claim.text)}" is not backed by the product facts ({why})'
    return _factor("unsupported_claim", message, f"claim {index + 1}", blocking=True)


def _price_mismatches(product: ProductFacts, segments: Iterable[tuple[str, str]]) -> list[Factor]:
    found: dict[str, Factor] = {}
    actual = f"{product.price} {product.currency or ''}".strip()
    currency = (product.currency or "").upper()
    for source, text in segments:
        for stated in rules.stated_prices(text):
            if product.price is None:
                message = f'the script states the price "{stated.text}"; the facts have none'
            elif stated.amount != product.price or currency not in (stated.currencies | {""}):
                message = f'the script states the price "{stated.text}"; the product costs {actual}'
            else:
                continue
            found.setdefault(stated.text.lower(), _factor("price_mismatch", message, source))
    return list(found.values())


# ---------------------------------------------------------------- quality
def _states_wrong_price(product: ProductFacts, text: str) -> bool:
    return bool(_price_mismatches(product, [("", text)]))


def _quality_factors(inp: AssessmentInput) -> list[Factor]:
    product, script = inp.product, inp.script
    images = inp.images or tuple(ImageMeta(url) for url in product.images)
    found: list[Factor] = []
    if not images:
        found.append(_factor("no_images", "no product images: add at least 3 clear photos"))
    elif len(images) < rules.MIN_IMAGES:
        message = f"only {len(images)} product image(s): add at least {rules.MIN_IMAGES}"
        found.append(_factor("few_images", message))
    for image in images:
        known = [side for side in (image.width, image.height) if side is not None]
        if known and min(known) < rules.MIN_SHORT_SIDE_PX:
            message = (
                f"image under {rules.MIN_SHORT_SIDE_PX} px on its short side: use a bigger one"
            )
            found.append(_factor("low_resolution_image", message, image.url))
    if (words := len(script.hook.split())) > rules.MAX_HOOK_WORDS:
        message = f"hook has {words} words: keep it to {rules.MAX_HOOK_WORDS} or fewer"
        found.append(_factor("hook_too_long", message))
    if not script.call_to_action.strip():
        message = "no call to action: tell viewers what to do next"
        found.append(_factor("missing_call_to_action", message))
    budget, words = inp.duration_s * rules.WORDS_PER_10_S // 10, script.word_count
    if words > budget:
        message = f"{words} words do not fit {inp.duration_s} s: cut to {budget} or fewer"
        found.append(_factor("script_too_long", message))
    elif words < budget // 2:
        message = f"{words} words leave {inp.duration_s} s half silent: aim for about {budget}"
        found.append(_factor("script_too_short", message))
    if not product.bullets and not product.description.strip():
        message = "no bullets and no description: add what the product is and does"
        found.append(_factor("thin_product_facts", message))
    if not (product.brand or "").strip():
        found.append(_factor("missing_brand", "no brand in the product facts: add it"))
    return found


# ---------------------------------------------------------------- model recommendation
def _recommend(
    inp: AssessmentInput, prices: PriceTable, risk: int, quality: int, *, blocked: bool
) -> tuple[ModelRecommendation | None, list[Factor]]:
    plan, wanted = inp.plan.name, inp.requested_model
    duration, aspect = inp.duration_s, inp.aspect_ratio
    allowed = prices.models_for(inp.plan)
    fits = [m for m in allowed if duration in m.durations_s and aspect in m.aspect_ratios]
    factors = [] if wanted in [None, *(m.id for m in fits)] else [_requested(inp, prices)]
    if not fits:
        message = f"no model on the {plan} plan renders {duration} s at {aspect}"
        return None, [*factors, _factor("no_model_fits", message)]
    order = {m.id: i for i, m in enumerate(prices.models)}

    def price(m: VideoModel) -> Credits:
        return prices.price(m.id, duration, aspect)

    chosen = next((m for m in fits if m.id == wanted), None)
    if chosen is not None:
        reason = f"{chosen.id} was requested and the {plan} plan allows it"
        reason += "; the content is blocked: fix it before rendering" if blocked else ""
    elif blocked:
        return None, factors
    elif risk >= rules.RISK_FOR_CHEAPEST or quality < rules.QUALITY_FOR_CHEAPEST:
        chosen = min(fits, key=lambda m: (price(m), -m.tier, order[m.id]))
        reason = f"{chosen.id} is the cheapest fitting model: risk {risk}/100 and quality "
        reason += f"{quality}/100 do not justify higher-tier credits"
    else:
        chosen = min(fits, key=lambda m: (-m.tier, price(m), order[m.id]))
        reason = f"{chosen.id} is the cheapest model of the best tier ({chosen.tier.name}) "
        reason += f"the {plan} plan allows: risk {risk}/100, quality {quality}/100"
    others = tuple(m.id for m in fits if m.id != chosen.id)
    return ModelRecommendation(chosen.id, price(chosen), reason, others), factors


def _requested(inp: AssessmentInput, prices: PriceTable) -> Factor:
    wanted = inp.requested_model
    model = next((m for m in prices.models if m.id == wanted), None)
    if model is None:
        return _factor("requested_model_unknown", f"unknown video model {wanted!r}")
    if model.tier > (ceiling := PLAN_ALLOWS[inp.plan]):
        message = f"{wanted} is a {model.tier.name} model; the {inp.plan.name} plan allows up to "
        message += f"{ceiling.name}, so the recommendation comes from those"
        return _factor("requested_model_not_in_plan", message)
    message = f"{wanted} cannot render {inp.duration_s} s at {inp.aspect_ratio}"
    return _factor("requested_model_cannot_render", message)


__all__ = [
    "Assessment",
    "AssessmentInput",
    "EnhancedPrompt",
    "Factor",
    "FactorKind",
    "ModelRecommendation",
    "assess",
]
