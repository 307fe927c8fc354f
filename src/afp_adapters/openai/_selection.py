"""From the model's drafts to domain `Script`s: distinct, grounded-checked, fitted to length.

Policy (also in the package docstring):

- **Grounding: flag, never hide.** Claims keep the fact ids the model gave (trimmed and
  de-duplicated). A claim citing no fact or an unknown id stays in the script, so
  `WriteScript` lists it in `unsupported_claims` and the assessment blocks the script
  (`unsupported_claim`). Dropping it would leave its words in the spoken text with nothing
  left to flag. The batch report counts them.
- **Distinct hooks and angles.** A draft whose angle equals one already kept, or whose hook is
  the same or nearly the same (similarity >= 0.85 after folding case and punctuation), is
  dropped as a duplicate. The writer re-asks once for what is missing; a batch that is still
  short comes back short, with the reason in the report.
- **Length.** Over the word budget (`duration_s` x 2.7 words/s), whole body sentences are cut
  from the end (the hook, the call to action and the first body sentence always stay), and
  the claims whose text was only in the cut sentences go with them. A script still over the
  budget is kept and counted; the assessment flags it (`script_too_long`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

import attrs

from afp_adapters.openai._prompt import words_budget
from afp_adapters.openai._schema import ClaimDraft, ScriptDraft
from afp_core.domain.ids import ScriptId
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script, ScriptOptions

HOOK_SIMILARITY = 0.85
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+")


@attrs.frozen
class WriteReport:
    """What the writer did to the model's answer; nothing here changes a script's meaning."""

    requested: int
    returned: int
    duplicates_dropped: int = 0
    unsupported_claims: int = 0  # kept in the scripts: WriteScript and the assessment flag them
    trimmed_scripts: int = 0
    claims_trimmed: int = 0
    over_length_scripts: int = 0
    reasked: bool = False
    shortfall: str = ""  # why fewer scripts than requested came back ("" when none are missing)


@attrs.frozen
class ScriptBatch:
    scripts: tuple[Script, ...]
    report: WriteReport


def _key(text: str) -> str:
    """Case, punctuation and spacing folded away: what makes two hooks or angles "the same"."""
    return " ".join(_WORD.findall(text.casefold()))


def _fact_ids(ids: Sequence[str]) -> tuple[str, ...]:
    cleaned = (i.strip().strip("[]\"'` ") for i in ids)
    return tuple(dict.fromkeys(i for i in cleaned if i))


def _claim(draft: ClaimDraft) -> Claim:
    return Claim(" ".join(draft.text.split()), _fact_ids(draft.fact_ids))


@attrs.define
class Selection:
    """Accumulates distinct scripts over one or two model answers."""

    product: ProductFacts
    options: ScriptOptions
    scripts: list[Script] = attrs.field(factory=list)
    offered: int = 0
    duplicates: int = 0
    trimmed: int = 0
    claims_trimmed: int = 0
    over_length: int = 0
    _hooks: list[str] = attrs.field(factory=list)
    _angles: set[str] = attrs.field(factory=set)

    @property
    def missing(self) -> int:
        return self.options.count - len(self.scripts)

    @property
    def taken_hooks(self) -> list[str]:
        return [s.hook for s in self.scripts]

    @property
    def taken_angles(self) -> list[str]:
        return [s.angle for s in self.scripts if s.angle]

    def offer(self, drafts: Sequence[ScriptDraft]) -> None:
        """Keep each draft that is new, up to `options.count`; extra drafts are ignored."""
        for draft in drafts:
            if self.missing <= 0:
                return
            self.offered += 1
            if self._is_duplicate(draft):
                self.duplicates += 1
                continue
            self.scripts.append(self._script(draft))

    def batch(self, *, reasked: bool) -> ScriptBatch:
        unsupported = sum(len(s.unsupported_claims(self.product)) for s in self.scripts)
        shortfall = ""
        if self.missing > 0:
            shortfall = (
                f"{len(self.scripts)} of {self.options.count} scripts: the model wrote "
                f"{self.offered}, of which {self.duplicates} repeated a hook or an angle"
                + (", even after one re-ask" if reasked else "")
            )
        report = WriteReport(
            requested=self.options.count,
            returned=len(self.scripts),
            duplicates_dropped=self.duplicates,
            unsupported_claims=unsupported,
            trimmed_scripts=self.trimmed,
            claims_trimmed=self.claims_trimmed,
            over_length_scripts=self.over_length,
            reasked=reasked,
            shortfall=shortfall,
        )
        return ScriptBatch(tuple(self.scripts), report)

    def _is_duplicate(self, draft: ScriptDraft) -> bool:
        hook, angle = _key(draft.hook), _key(draft.angle)
        if not hook or (angle and angle in self._angles):
            return True
        if any(SequenceMatcher(None, hook, h).ratio() >= HOOK_SIMILARITY for h in self._hooks):
            return True
        self._hooks.append(hook)
        if angle:
            self._angles.add(angle)
        return False

    def _script(self, draft: ScriptDraft) -> Script:
        hook, cta = " ".join(draft.hook.split()), " ".join(draft.call_to_action.split())
        claims = tuple(_claim(c) for c in draft.claims if c.text.strip())
        body, claims = self._fit(hook, " ".join(draft.body.split()), cta, claims)
        angle = " ".join(draft.angle.split())
        seed = f"{self.product.url}|{self.options}|{angle}|{hook}"
        script = Script(
            id=ScriptId(f"scr-{hashlib.sha256(seed.encode()).hexdigest()[:12]}"),
            hook=hook,
            body=body,
            call_to_action=cta,
            claims=claims,
            angle=angle,
            language=self.options.language,
            tone=self.options.tone,
            audience=self.options.audience,
            duration_s=self.options.duration_s,
        )
        if script.word_count > words_budget(self.options.duration_s):
            self.over_length += 1
        return script

    def _fit(
        self, hook: str, body: str, cta: str, claims: tuple[Claim, ...]
    ) -> tuple[str, tuple[Claim, ...]]:
        """Cut trailing body sentences until the script fits; drop claims only they made."""
        budget = words_budget(self.options.duration_s)
        sentences = [s for s in _SENTENCE.split(body) if s]
        fixed = len(hook.split()) + len(cta.split())
        cut: list[str] = []
        while len(sentences) > 1 and fixed + sum(len(s.split()) for s in sentences) > budget:
            cut.insert(0, sentences.pop())
        if not cut:
            return body, claims
        self.trimmed += 1
        kept = f" {_key(' '.join((hook, *sentences, cta)))} "
        removed = f" {_key(' '.join(cut))} "

        def only_in_cut(claim: Claim) -> bool:
            text = f" {_key(claim.text)} "
            return text in removed and text not in kept

        remaining = tuple(c for c in claims if not only_in_cut(c))
        self.claims_trimmed += len(claims) - len(remaining)
        return " ".join(sentences), remaining


__all__ = ["HOOK_SIMILARITY", "ScriptBatch", "Selection", "WriteReport"]
