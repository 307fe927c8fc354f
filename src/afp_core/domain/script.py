"""Ad scripts: hook, body and call to action, with every claim grounded in a product fact."""

from __future__ import annotations

import hashlib
import re

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import ScriptId
from afp_core.domain.product import ProductFacts

DURATIONS_S = (4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 60)


@attrs.frozen
class ScriptOptions:
    """What the seller asks for."""

    language: str = "en"
    tone: str = "enthusiastic"
    audience: str = "online shoppers"
    platform: str = "tiktok"
    duration_s: int = 8
    count: int = attrs.field(default=1)

    @count.validator
    def _count(self, _: attrs.Attribute[int], value: int) -> None:
        if not 1 <= value <= 5:
            raise ValidationFailed("between 1 and 5 scripts per request")

    def __attrs_post_init__(self) -> None:
        if self.duration_s not in DURATIONS_S:
            raise ValidationFailed(f"duration_s must be one of {DURATIONS_S}")


@attrs.frozen
class Claim:
    """A factual statement the script makes, with the ids of the facts that support it."""

    text: str
    fact_ids: tuple[str, ...] = ()

    def is_supported_by(self, product: ProductFacts) -> bool:
        known = {f.id for f in product.facts()}
        return bool(self.fact_ids) and all(fid in known for fid in self.fact_ids)


@attrs.frozen
class Script:
    """One ad script."""

    id: ScriptId
    hook: str
    body: str
    call_to_action: str
    claims: tuple[Claim, ...] = ()
    angle: str = ""
    language: str = "en"
    tone: str = "enthusiastic"
    audience: str = "online shoppers"
    duration_s: int = 8

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.hook, self.body, self.call_to_action) if p)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def unsupported_claims(self, product: ProductFacts) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if not c.is_supported_by(product))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def seller_script(text: str, *, language: str, tone: str, duration_s: int) -> Script:
    """A script the seller wrote (a batch row's `script`), used as written: its first sentence
    is the hook, the rest the body. It cites no facts, so it makes no grounded claims; the
    assessment still reads every word of it (risky wording, price statements, length)."""
    words = " ".join(text.split())
    if not words:
        raise ValidationFailed("the script is empty")
    hook, *rest = _SENTENCE_END.split(words, maxsplit=1)
    body = rest[0] if rest else ""
    digest = hashlib.sha256(words.encode()).hexdigest()[:12]
    return Script(
        id=ScriptId(f"seller-{digest}"),
        hook=hook,
        body=body,
        call_to_action="",
        angle="seller",
        language=language,
        tone=tone,
        duration_s=duration_s,
    )


__all__ = ["DURATIONS_S", "Claim", "Script", "ScriptOptions", "seller_script"]
