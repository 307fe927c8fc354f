"""Hypothesis strategies for content: product facts, claims, scripts and assessment inputs.

Text is drawn from a small vocabulary that mixes plain shop words with the phrases the
assessment reacts to (health, earnings, before/after, likeness, prohibited, prices...), so that
every rule fires often, plus some arbitrary text to keep the matchers honest.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from afp_core.domain.assessment import AssessmentInput
from afp_core.domain.ids import ScriptId
from afp_core.domain.pricing import ASPECT_RATIOS, PlanTier, default_price_table
from afp_core.domain.product import ImageMeta, ProductFacts
from afp_core.domain.script import DURATIONS_S, Claim, Script

PLAIN_WORDS = (
    "coffee",
    "ceramic",
    "brews",
    "two",
    "cups",
    "soft",
    "cotton",
    "blanket",
    "durable",
    "lightweight",
    "dishwasher",
    "safe",
    "for",
    "your",
    "morning",
    "routine",
    "as",
    "seen",
    "on",
    "make",
    "the",
    "grab",
    "yours",
    "today",
    "link",
    "in",
    "bio",
    "kitchen",
    "serum",
)
RISKY_PHRASES = (
    "cures",
    "clinically proven",
    "FDA approved",
    "weight loss",
    "anti-aging",
    "detox",
    "make money",
    "passive income",
    "make $300 a day",
    "get rich",
    "before and after",
    "lost 10 pounds",
    "celebrity",
    "endorsed by",
    "as seen on TV",
    "Taylor Swift",
    "face of a real person",
    "vape",
    "CBD",
    "handgun",
    "casino",
    "cigarettes",
    "guaranteed",
    "100%",
    "#1",
    "best in the world",
    "act now",
    "last chance",
    "only today",
    "$19.99",
    "$5",
    "20 bucks",
    "19,99 €",
)

words = st.one_of(
    st.sampled_from(PLAIN_WORDS),
    st.sampled_from(RISKY_PHRASES),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
)
texts = st.lists(words, max_size=10).map(" ".join)
non_blank_texts = st.lists(
    st.sampled_from(PLAIN_WORDS + RISKY_PHRASES), min_size=1, max_size=6
).map(" ".join)
prices = st.none() | st.decimals(
    min_value=Decimal("0.50"), max_value=Decimal("500"), places=2, allow_nan=False
)
image_urls = st.integers(min_value=0, max_value=99).map(lambda i: f"https://cdn.example/{i}.jpg")
sides = st.none() | st.integers(min_value=100, max_value=4000)
images = st.builds(ImageMeta, url=image_urls, width=sides, height=sides)


@st.composite
def products(draw: st.DrawFn) -> ProductFacts:
    return ProductFacts(
        url="https://shop.example/p/1",
        title=draw(non_blank_texts),
        bullets=tuple(draw(st.lists(texts, max_size=4))),
        description=draw(texts),
        price=draw(prices),
        currency=draw(st.sampled_from([None, "USD", "EUR", "GBP"])),
        brand=draw(st.none() | texts),
        images=tuple(draw(st.lists(image_urls, max_size=4))),
        categories=tuple(draw(st.lists(texts, max_size=2))),
    )


def supported_claims(product: ProductFacts) -> st.SearchStrategy[Claim]:
    """A claim that cites only facts the product has (so `is_supported_by` holds)."""
    fact_ids = [f.id for f in product.facts()]
    ids = st.lists(st.sampled_from(fact_ids), min_size=1, max_size=3, unique=True)
    return st.builds(Claim, text=texts, fact_ids=ids.map(tuple))


def unsupported_claims(product: ProductFacts) -> st.SearchStrategy[Claim]:
    """A claim that cites no fact, or at least one fact the product does not have."""
    known = [f.id for f in product.facts()]
    missing = st.sampled_from(["missing:0", "bullet:99", "description:99", "warranty"])
    cited = st.lists(st.sampled_from(known), max_size=2).flatmap(
        lambda ids: st.lists(missing, min_size=1, max_size=2).map(lambda extra: (*ids, *extra))
    )
    claim = st.builds(Claim, text=texts, fact_ids=st.just(()) | cited)
    return claim.filter(lambda c: not c.is_supported_by(product))


def claims(product: ProductFacts) -> st.SearchStrategy[Claim]:
    return supported_claims(product) | unsupported_claims(product)


@st.composite
def scripts(draw: st.DrawFn, product: ProductFacts) -> Script:
    return Script(
        id=ScriptId("script-1"),
        hook=draw(texts),
        body=draw(texts),
        call_to_action=draw(texts),
        claims=tuple(draw(st.lists(claims(product), max_size=4))),
        audience=draw(st.sampled_from(["online shoppers", "busy parents", "people who get rich"])),
        tone=draw(st.sampled_from(["enthusiastic", "calm", "urgent act now"])),
    )


MODEL_IDS = tuple(m.id for m in default_price_table().models)


@st.composite
def assessment_inputs(draw: st.DrawFn) -> AssessmentInput:
    product = draw(products())
    return AssessmentInput(
        product=product,
        script=draw(scripts(product)),
        prompt=draw(texts),
        images=tuple(draw(st.lists(images, max_size=5))),
        requested_model=draw(st.none() | st.sampled_from([*MODEL_IDS, "no-such-model"])),
        duration_s=draw(st.sampled_from(DURATIONS_S)),
        aspect_ratio=draw(st.sampled_from([*ASPECT_RATIOS, "4:5"])),
        plan=draw(st.sampled_from(list(PlanTier))),
        likeness_consent=draw(st.booleans()),
        moderation_flags=tuple(
            draw(st.lists(st.sampled_from(["violence", "hate", ""]), max_size=2))
        ),
    )
