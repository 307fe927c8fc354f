"""`OpenAIScriptWriter`: grounded ad scripts from one structured-output chat completion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import openai
import structlog
from openai.types.chat import ChatCompletionMessageParam, ParsedChatCompletion

from afp_adapters.openai._errors import MALFORMED, RECOVERABLE, failed, malformed
from afp_adapters.openai._prompt import messages
from afp_adapters.openai._schema import AdScripts, ScriptDraft
from afp_adapters.openai._selection import ScriptBatch, Selection
from afp_core.domain.errors import ProviderRejected
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script, ScriptOptions

DEFAULT_MODEL = "gpt-4o-mini"
_OPERATION = "script writing"

log = structlog.get_logger("afp.openai")


class OpenAIScriptWriter:
    """Implements `ScriptWriter` with `chat.completions.parse` and a strict JSON schema.

    One call asks for `options.count` scripts; if duplicates leave fewer distinct scripts,
    one more call asks for the missing ones (see `_selection` for the grounding, duplicate and
    length policy). An answer cut off at `max_output_tokens` is asked again once with twice the
    budget; cut off again, it is `ProviderRejected` (repeating it would not help). A 200 of the
    wrong shape (an HTML page, a body that is not a chat completion) is `ProviderUnavailable`.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str = DEFAULT_MODEL,
        temperature: float | None = 0.8,
        max_output_tokens: int = 2000,
        reask_for_missing: bool = True,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature  # None for models that take no temperature (o-series)
        self._max_output_tokens = max_output_tokens
        self._reask = reask_for_missing

    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        batch = await self.write_with_report(product, options)
        return batch.scripts

    async def write_with_report(self, product: ProductFacts, options: ScriptOptions) -> ScriptBatch:
        """The scripts and what was done to the model's answer to get them."""
        selection = Selection(product, options)
        selection.offer(await self._ask(messages(product, options, count=options.count)))
        reasked = False
        if selection.missing > 0 and self._reask:
            reasked = True
            prompt = messages(
                product,
                options,
                count=selection.missing,
                taken_hooks=selection.taken_hooks,
                taken_angles=selection.taken_angles,
            )
            selection.offer(await self._ask(prompt))
        batch = selection.batch(reasked=reasked)
        log.info("openai_scripts_written", product=product.url, **attrs.asdict(batch.report))
        return batch

    async def _ask(self, prompt: list[ChatCompletionMessageParam]) -> Sequence[ScriptDraft]:
        budget = self._max_output_tokens
        try:
            try:
                completion = await self._parse(prompt, budget)
            except openai.LengthFinishReasonError:
                budget *= 2
                log.warning("openai_scripts_truncated", model=self._model, retry_budget=budget)
                completion = await self._parse(prompt, budget)
        except openai.LengthFinishReasonError as exc:
            raise ProviderRejected(
                f"OpenAI {_OPERATION}: the answer was cut off twice, the second time at "
                f"{budget} tokens; raise max_output_tokens or ask for fewer scripts"
            ) from exc
        except RECOVERABLE as exc:
            raise failed(exc, _OPERATION) from exc
        except MALFORMED as exc:  # the SDK choking on a 200 of the wrong shape (HTML, no list)
            raise malformed(exc, _OPERATION) from exc
        request_id = getattr(completion, "_request_id", None)
        log.info("openai_call", operation=_OPERATION, request_id=request_id)
        try:
            return _drafts(completion)
        except MALFORMED as exc:
            raise malformed(exc, _OPERATION) from exc

    async def _parse(
        self, prompt: list[ChatCompletionMessageParam], budget: int
    ) -> ParsedChatCompletion[AdScripts]:
        extra: dict[str, Any] = {}
        if self._temperature is not None:
            extra["temperature"] = self._temperature
        return await self._client.chat.completions.parse(
            model=self._model,
            messages=prompt,
            response_format=AdScripts,
            max_completion_tokens=budget,
            **extra,
        )


def _drafts(completion: ParsedChatCompletion[AdScripts]) -> Sequence[ScriptDraft]:
    if not completion.choices:
        raise ProviderRejected(f"OpenAI {_OPERATION}: the answer had no choices")
    message = completion.choices[0].message
    if message.refusal:
        raise ProviderRejected(f"OpenAI {_OPERATION}: the model refused: {message.refusal}")
    if message.parsed is None:
        raise ProviderRejected(f"OpenAI {_OPERATION}: the answer held no scripts")
    scripts = message.parsed.scripts
    if not isinstance(scripts, list) or not all(isinstance(s, ScriptDraft) for s in scripts):
        raise TypeError(f"the scripts are a {type(scripts).__name__}, not a list of drafts")
    return scripts


__all__ = ["DEFAULT_MODEL", "OpenAIScriptWriter"]
