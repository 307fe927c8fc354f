"""Scrape, script, assess and video request/response schemas."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field

from afp_core.domain.assessment import Assessment
from afp_core.domain.ids import ScriptId
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script, ScriptOptions
from afp_core.usecases import WrittenScript
from afp_http.schemas._base import In, Out, jsonable

_URL = Field(min_length=1, max_length=2048)


class ProductIn(In):
    """Product facts typed in by hand (or sent back as `/generate/scrape` returned them)."""

    url: str = Field(default="", max_length=2048)
    title: str = Field(min_length=1, max_length=500)
    bullets: list[str] = Field(default_factory=list, max_length=30)
    description: str = Field(default="", max_length=10_000)
    price: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    brand: str | None = Field(default=None, max_length=200)
    images: list[str] = Field(default_factory=list, max_length=20)
    rating: Decimal | None = Field(default=None, ge=0, le=5)
    review_count: int | None = Field(default=None, ge=0)
    sku: str | None = Field(default=None, max_length=100)
    asin: str | None = Field(default=None, max_length=20)
    categories: list[str] = Field(default_factory=list, max_length=20)

    def to_domain(self) -> ProductFacts:
        return ProductFacts(
            url=self.url,
            title=self.title,
            bullets=tuple(self.bullets),
            description=self.description,
            price=self.price,
            currency=self.currency,
            brand=self.brand,
            images=tuple(self.images),
            rating=self.rating,
            review_count=self.review_count,
            sku=self.sku,
            asin=self.asin,
            categories=tuple(self.categories),
            source=dict.fromkeys(self.model_fields_set, "manual"),
        )


class ProductOut(Out):
    url: str
    title: str
    bullets: list[str]
    description: str
    price: Decimal | None
    currency: str | None
    brand: str | None
    images: list[str]
    rating: Decimal | None
    review_count: int | None
    sku: str | None
    asin: str | None
    categories: list[str]
    source: dict[str, str]

    @classmethod
    def of(cls, p: ProductFacts) -> ProductOut:
        return cls(
            url=p.url,
            title=p.title,
            bullets=list(p.bullets),
            description=p.description,
            price=p.price,
            currency=p.currency,
            brand=p.brand,
            images=list(p.images),
            rating=p.rating,
            review_count=p.review_count,
            sku=p.sku,
            asin=p.asin,
            categories=list(p.categories),
            source=dict(p.source),
        )


class ScrapeIn(In):
    url: str = _URL


class ScrapeOut(Out):
    product: ProductOut
    fetched: bool = Field(description="False when the facts were the ones sent by hand")


class ScriptOptionsIn(In):
    language: str = Field(default="en", min_length=2, max_length=10)
    tone: str = Field(default="enthusiastic", max_length=50)
    audience: str = Field(default="online shoppers", max_length=200)
    platform: str = Field(default="tiktok", max_length=30)
    duration_s: int = Field(default=8, ge=1, le=60)
    count: int = Field(default=1, ge=1, le=5)

    def to_domain(self) -> ScriptOptions:
        return ScriptOptions(**self.model_dump())


class WriteScriptIn(In):
    product: ProductIn
    options: ScriptOptionsIn = Field(default_factory=ScriptOptionsIn)


class ClaimSchema(In):
    text: str = Field(min_length=1, max_length=500)
    fact_ids: list[str] = Field(default_factory=list, max_length=20)


class ScriptIn(In):
    """A script to assess or render (as `/generate/script` returned it, possibly edited)."""

    id: str = Field(default="manual", min_length=1, max_length=40)
    hook: str = Field(max_length=500)
    body: str = Field(max_length=3000)
    call_to_action: str = Field(default="", max_length=300)
    claims: list[ClaimSchema] = Field(default_factory=list, max_length=30)
    angle: str = Field(default="", max_length=100)
    language: str = Field(default="en", max_length=10)
    tone: str = Field(default="enthusiastic", max_length=50)
    audience: str = Field(default="online shoppers", max_length=200)
    duration_s: int = Field(default=8, ge=1, le=60)

    def to_domain(self) -> Script:
        return Script(
            id=ScriptId(self.id),
            hook=self.hook,
            body=self.body,
            call_to_action=self.call_to_action,
            claims=tuple(Claim(c.text, tuple(c.fact_ids)) for c in self.claims),
            angle=self.angle,
            language=self.language,
            tone=self.tone,
            audience=self.audience,
            duration_s=self.duration_s,
        )


class ClaimOut(Out):
    text: str
    fact_ids: list[str]


class ScriptOut(Out):
    id: str
    hook: str
    body: str
    call_to_action: str
    claims: list[ClaimOut]
    angle: str
    language: str
    tone: str
    audience: str
    duration_s: int
    text: str
    unsupported_claims: list[ClaimOut] = Field(
        description="Claims no product fact supports: shown, and risky to keep"
    )

    @classmethod
    def of(cls, written: WrittenScript) -> ScriptOut:
        s = written.script
        return cls(
            id=s.id,
            hook=s.hook,
            body=s.body,
            call_to_action=s.call_to_action,
            claims=[ClaimOut(text=c.text, fact_ids=list(c.fact_ids)) for c in s.claims],
            angle=s.angle,
            language=s.language,
            tone=s.tone,
            audience=s.audience,
            duration_s=s.duration_s,
            text=s.text,
            unsupported_claims=[
                ClaimOut(text=c.text, fact_ids=list(c.fact_ids)) for c in written.unsupported_claims
            ],
        )


class ScriptsOut(Out):
    scripts: list[ScriptOut]


class RenderRequestIn(In):
    """What `/generate/assess` and `/generate/video` read."""

    product: ProductIn
    script: ScriptIn
    image_urls: list[str] = Field(default_factory=list, max_length=20)
    model: str | None = Field(default=None, max_length=60)
    duration_s: int | None = Field(default=None, ge=1, le=60)
    aspect_ratio: str = Field(default="9:16", pattern=r"^\d{1,2}:\d{1,2}$")
    prompt: str = Field(default="", max_length=2000)
    likeness_consent: bool = False


class FactorOut(Out):
    code: str
    kind: str
    weight: int
    message: str
    blocking: bool
    evidence: str


class RecommendationOut(Out):
    model: str
    price: int
    reason: str
    alternatives: list[str]


class AssessmentOut(Out):
    risk_score: int
    quality_score: int
    blocked: bool
    block_reasons: list[str]
    factors: list[FactorOut]
    enhanced_prompt: str
    recommendation: RecommendationOut | None

    @classmethod
    def of(cls, a: Assessment) -> AssessmentOut:
        rec = a.recommendation
        return cls(
            risk_score=a.risk_score,
            quality_score=a.quality_score,
            blocked=a.blocked,
            block_reasons=list(a.block_reasons),
            factors=[
                FactorOut(
                    code=f.code,
                    kind=f.kind.value,
                    weight=f.weight,
                    message=f.message,
                    blocking=f.blocking,
                    evidence=f.evidence,
                )
                for f in a.factors
            ],
            enhanced_prompt=a.enhanced_prompt.render(),
            recommendation=None
            if rec is None
            else RecommendationOut(
                model=rec.model_id,
                price=rec.price.amount,
                reason=rec.reason,
                alternatives=list(rec.alternatives),
            ),
        )


class VideoStartedOut(Out):
    video_id: str
    status: str
    price: int = Field(description="Credits held now, captured when the video completes")
    model: str
    assessment: dict[str, Any] = Field(description="The stored assessment")

    @classmethod
    def of(
        cls, video_id: str, status: str, price: int, model: str, assessment: Mapping[str, Any]
    ) -> VideoStartedOut:
        return cls(
            video_id=video_id,
            status=status,
            price=price,
            model=model,
            assessment=jsonable(assessment),
        )
