"""`OpenAIModerator`: the omni-moderation model over the script text and the product images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import openai
import structlog
from openai.types import Moderation, ModerationMultiModalInputParam
from openai.types.moderation import Categories

from afp_adapters.openai._errors import MALFORMED, RECOVERABLE, failed, malformed
from afp_core.domain.errors import ProviderUnavailable

DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
_OPERATION = "moderation"
CATEGORIES = frozenset(f.alias or name for name, f in Categories.model_fields.items())

log = structlog.get_logger("afp.openai")


class OpenAIModerator:
    """Implements `ContentModerator` with one `moderations.create` call per check.

    The text and every image URL go in as one multi-modal input (images are scored only for
    the sexual, violence and self-harm families, so the text is always sent with them). A
    category is flagged when OpenAI sets it (`categories[...] is True`) or when its score
    reaches the threshold given for it in `thresholds` (none by default: OpenAI's own
    decision). Names are OpenAI's category keys: "violence", "sexual/minors",
    "self-harm/intent"... Each flag blocks the script in the assessment (`moderation_flag`).

    An answer without a result, or of the wrong shape (an HTML page, wrong types), is
    `ProviderUnavailable`, never "no flags": only a real verdict clears content.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str = DEFAULT_MODERATION_MODEL,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._thresholds = dict(thresholds or {})
        if unknown := sorted(set(self._thresholds) - CATEGORIES):
            raise ValueError(
                f"unknown moderation categories {unknown}; known: {sorted(CATEGORIES)}"
            )

    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        parts: list[ModerationMultiModalInputParam] = []
        if text.strip():
            parts.append({"type": "text", "text": text})
        parts.extend({"type": "image_url", "image_url": {"url": url}} for url in image_urls)
        if not parts:
            return []
        try:
            response = await self._client.moderations.create(model=self._model, input=parts)
        except RECOVERABLE as exc:
            raise failed(exc, _OPERATION) from exc
        except MALFORMED as exc:  # the SDK choking on a 200 of the wrong shape
            raise malformed(exc, _OPERATION) from exc
        try:
            results = list(response.results)
            found = sorted({name for result in results for name in self._flagged(result)})
        except MALFORMED as exc:
            raise malformed(exc, _OPERATION) from exc
        if not results:  # no verdict is not a clean verdict
            log.warning("openai_answer_malformed", operation=_OPERATION, error="no results")
            raise ProviderUnavailable(f"OpenAI {_OPERATION}: moderation returned no result; retry")
        request_id = getattr(response, "_request_id", None)
        log.info("openai_call", operation=_OPERATION, request_id=request_id, flags=found)
        return found

    def _flagged(self, result: Moderation) -> set[str]:
        categories = result.categories.model_dump(by_alias=True)
        scores = result.category_scores.model_dump(by_alias=True)
        found = {name for name, hit in categories.items() if hit is True}
        found |= {
            name
            for name, limit in self._thresholds.items()
            if isinstance(score := scores.get(name), int | float) and score >= limit
        }
        if result.flagged and not found:
            found.add("unspecified")  # flagged without a category: still a block, still explained
        return found


__all__ = ["CATEGORIES", "DEFAULT_MODERATION_MODEL", "OpenAIModerator"]
