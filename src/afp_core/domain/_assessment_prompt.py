"""The enhanced prompt of an assessment: structured, and free of unsupported or risky text."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from afp_core.domain import _assessment_rules as rules
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script


@attrs.frozen
class EnhancedPrompt:
    """A structured prompt for a video model; it never repeats unsupported or risky text."""

    persona: str
    setting: str
    camera: str
    product_handling: str
    on_screen_text: tuple[str, ...]
    disclosure: str

    def render(self) -> str:
        captions = " | ".join(f'"{text}"' for text in self.on_screen_text) or "none"
        return "\n".join(
            (
                "UGC-style short video ad, filmed like an honest phone review.",
                f"Persona: {self.persona}.",
                f"Setting: {self.setting}.",
                f"Camera: {self.camera}.",
                f"Product handling: {self.product_handling}.",
                f"On-screen text: {captions}.",
                f'Disclosure: show "{self.disclosure}" on screen for the whole video.',
            )
        )


def build_prompt(
    product: ProductFacts,
    script: Script,
    aspect_ratio: str,
    states_wrong_price: Callable[[ProductFacts, str], bool],
) -> EnhancedPrompt:
    """Only text that no risk rule matches, that no unsupported claim contains, is copied."""
    avoid = [
        t for c in script.unsupported_claims(product) if (t := rules.normalise(c.text).lower())
    ]

    def clean(text: str) -> bool:
        low = rules.normalise(text).lower()
        return (
            bool(low)
            and not rules.is_risky(low)
            and not any(a in low for a in avoid)
            and not states_wrong_price(product, low)
        )

    def short(words: int, text: str) -> str:
        cut = rules.shorten(text, words)
        return cut if clean(text) and clean(cut) else ""

    audience = script.audience if clean(script.audience) else rules.DEFAULT_AUDIENCE
    tone = script.tone if clean(script.tone) else rules.DEFAULT_TONE
    brand, title = rules.redact(product.brand or ""), product.title
    name = rules.redact(title if title.lower().startswith(brand.lower()) else f"{brand} {title}")
    supported = [c.text for c in script.claims if c.is_supported_by(product)]
    features = rules.distinct(short(rules.MAX_FEATURE_WORDS, t) for t in supported) or (
        rules.distinct(short(rules.MAX_FEATURE_WORDS, t) for t in product.bullets)
    )
    shown = "; ".join(features[: rules.MAX_FEATURES])
    listed = rules.FEATURES.format(features=shown) if features else rules.NO_FEATURES
    handling = rules.HANDLING.format(name=name or "the product", features=listed)
    hook_cta = (script.hook, script.call_to_action)
    persona = rules.PERSONA.format(audience=rules.normalise(audience), tone=rules.normalise(tone))
    return EnhancedPrompt(
        persona=persona,
        setting=rules.setting_for((product.title, *product.categories)),
        camera=rules.camera_for(aspect_ratio),
        product_handling=handling,
        on_screen_text=tuple(rules.distinct(short(rules.MAX_CAPTION_WORDS, t) for t in hook_cta)),
        disclosure=rules.DISCLOSURE,
    )
