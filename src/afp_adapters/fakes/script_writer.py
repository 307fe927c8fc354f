"""`FakeScriptWriter`: deterministic scripts built only from the product's own facts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from afp_core.domain.ids import ScriptId
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script, ScriptOptions

_ANGLES = (
    ("problem-solution", "Okay, this fixed a problem I had for years:"),
    ("unboxing", "Unboxing the {title} with you:"),
    ("honest-review", "My honest take on the {title}:"),
    ("three-reasons", "Three reasons I keep reaching for the {title}:"),
    ("day-in-life", "A day with the {title}:"),
)


class FakeScriptWriter:
    """Implements `ScriptWriter`. Every claim quotes a fact and cites its id."""

    def __init__(self) -> None:
        self.requests: list[tuple[ProductFacts, ScriptOptions]] = []

    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        self.requests.append((product, options))
        features = [f for f in product.facts() if f.id.startswith(("bullet:", "description:"))]
        per_script = max(1, min(3, options.duration_s // 4))
        scripts = []
        for n in range(options.count):
            angle, hook = _ANGLES[n % len(_ANGLES)]
            chosen = (
                [features[(n + i) % len(features)] for i in range(per_script)] if features else []
            )
            claims = tuple(Claim(f.text.rstrip("."), (f.id,)) for f in dict.fromkeys(chosen))
            body = " ".join(f"{c.text}." for c in claims) or f"Meet the {product.title}."
            digest = hashlib.sha256(f"{product.url}|{angle}|{options}".encode()).hexdigest()
            scripts.append(
                Script(
                    id=ScriptId(f"scr-{digest[:12]}"),
                    hook=hook.format(title=product.title),
                    body=body,
                    call_to_action="Tap the link to get yours.",
                    claims=claims,
                    angle=angle,
                    language=options.language,
                    tone=options.tone,
                    audience=options.audience,
                    duration_s=options.duration_s,
                )
            )
        return scripts
