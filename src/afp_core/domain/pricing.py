"""Pricing: credits per video model and duration, the model catalogue, plan tiers, credit packs."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.money import Credits, Money


class PlanTier(enum.IntEnum):
    """A user's plan. Higher tiers may use every model lower tiers may."""

    FREE = 0
    PRO = 1
    BUSINESS = 2


class ModelTier(enum.IntEnum):
    """How good (and dear) a video model is."""

    DRAFT = 0  # local/offline renderers, the cheapest
    STANDARD = 1
    PREMIUM = 2


PLAN_ALLOWS: Mapping[PlanTier, ModelTier] = {
    PlanTier.FREE: ModelTier.STANDARD,
    PlanTier.PRO: ModelTier.PREMIUM,
    PlanTier.BUSINESS: ModelTier.PREMIUM,
}

ASPECT_RATIOS = ("9:16", "16:9", "1:1")


@attrs.frozen
class VideoModel:
    """One renderable model and what it accepts."""

    id: str
    tier: ModelTier
    durations_s: tuple[int, ...]
    aspect_ratios: tuple[str, ...] = ("9:16", "16:9")
    description: str = ""

    def check(self, duration_s: int, aspect_ratio: str) -> None:
        if duration_s not in self.durations_s:
            raise ValidationFailed(
                f"model {self.id} renders {', '.join(map(str, self.durations_s))} s, "
                f"not {duration_s} s"
            )
        if aspect_ratio not in self.aspect_ratios:
            raise ValidationFailed(
                f"model {self.id} renders {', '.join(self.aspect_ratios)}, not {aspect_ratio}"
            )


@attrs.frozen
class CreditPack:
    """Credits sold together at one price."""

    id: str
    credits: Credits
    price: Money
    lemonsqueezy_variant_id: str | None = None


@attrs.frozen
class PriceTable:
    """The catalogue of video models with their prices, and the credit packs on sale."""

    models: tuple[VideoModel, ...]
    prices: Mapping[tuple[str, int], Credits]
    packs: tuple[CreditPack, ...] = ()

    def __attrs_post_init__(self) -> None:
        ids = [m.id for m in self.models]
        if len(set(ids)) != len(ids):
            raise ValidationFailed("duplicate model ids in the price table")
        for model in self.models:
            for duration in model.durations_s:
                if (model.id, duration) not in self.prices:
                    raise ValidationFailed(f"no price for {model.id} at {duration} s")

    def model(self, model_id: str) -> VideoModel:
        for model in self.models:
            if model.id == model_id:
                return model
        known = ", ".join(m.id for m in self.models)
        raise ValidationFailed(f"unknown video model {model_id!r}; known: {known}")

    def price(self, model_id: str, duration_s: int, aspect_ratio: str = "9:16") -> Credits:
        """Credits for one video; raises `ValidationFailed` for what the model cannot render."""
        self.model(model_id).check(duration_s, aspect_ratio)
        return self.prices[(model_id, duration_s)]

    def pack(self, pack_id: str) -> CreditPack:
        for pack in self.packs:
            if pack.id == pack_id:
                return pack
        raise ValidationFailed(f"unknown credit pack {pack_id!r}")

    def models_for(self, plan: PlanTier) -> tuple[VideoModel, ...]:
        ceiling = PLAN_ALLOWS[plan]
        return tuple(m for m in self.models if m.tier <= ceiling)

    def with_packs(self, packs: Iterable[CreditPack]) -> PriceTable:
        return attrs.evolve(self, packs=tuple(packs))


def default_price_table() -> PriceTable:
    """The prices AFP ships with (1 credit is about 0.10 USD of provider cost)."""
    models = (
        VideoModel(
            "afp-local",
            ModelTier.DRAFT,
            (4, 6, 8, 10, 15),
            ASPECT_RATIOS,
            "offline slideshow renderer: no provider cost",
        ),
        VideoModel(
            "veo3_fast",
            ModelTier.STANDARD,
            (8,),
            ("9:16", "16:9"),
            "Google Veo 3.1 Fast through Kie.ai",
        ),
        VideoModel(
            "sora-2", ModelTier.STANDARD, (10, 15), ("9:16", "16:9"), "OpenAI Sora 2 through Kie.ai"
        ),
        VideoModel(
            "veo3",
            ModelTier.PREMIUM,
            (8,),
            ("9:16", "16:9"),
            "Google Veo 3.1 Quality through Kie.ai",
        ),
        VideoModel(
            "sora-2-pro",
            ModelTier.PREMIUM,
            (10, 15),
            ("9:16", "16:9"),
            "OpenAI Sora 2 Pro through Kie.ai",
        ),
    )
    prices = {
        ("afp-local", 4): Credits(1),
        ("afp-local", 6): Credits(1),
        ("afp-local", 8): Credits(1),
        ("afp-local", 10): Credits(2),
        ("afp-local", 15): Credits(2),
        ("veo3_fast", 8): Credits(10),
        ("sora-2", 10): Credits(8),
        ("sora-2", 15): Credits(12),
        ("veo3", 8): Credits(40),
        ("sora-2-pro", 10): Credits(30),
        ("sora-2-pro", 15): Credits(45),
    }
    packs = (
        CreditPack("starter", Credits(100), Money("9.00", "USD")),
        CreditPack("creator", Credits(500), Money("39.00", "USD")),
        CreditPack("studio", Credits(2000), Money("129.00", "USD")),
    )
    return PriceTable(models=models, prices=prices, packs=packs)


__all__ = [
    "ASPECT_RATIOS",
    "PLAN_ALLOWS",
    "CreditPack",
    "ModelTier",
    "PlanTier",
    "PriceTable",
    "VideoModel",
    "default_price_table",
]
