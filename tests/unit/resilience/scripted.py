"""Inner adapters that play a script of outcomes, one per call, and count their calls."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script, ScriptOptions
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import TaskState, TaskStatus, VideoRequest


def seeded(seed: int) -> random.Random:
    """The random source of a retry policy, seeded so the jitter repeats."""
    return random.Random(seed)  # noqa: S311 - backoff jitter, not security


class Hang:
    """An outcome: the call never answers (until a timeout cancels it)."""


HANG = Hang()
Outcome = object  # a value to return, an exception to raise, or HANG

REQUEST = VideoRequest("vid-1", VideoSpec("veo3_fast", "a demo", 8, "9:16"))
RUNNING = TaskStatus(TaskState.RUNNING, progress=40)
PRODUCT = ProductFacts(url="https://shop.example/p/1", title="A kettle")


class Scripted:
    """Plays `outcomes` in order; the last one repeats. `calls` lists (method, argument)."""

    def __init__(self, *outcomes: Outcome) -> None:
        self._outcomes = list(outcomes)
        self.calls: list[tuple[str, object]] = []

    async def play(self, method: str, argument: object) -> object:
        self.calls.append((method, argument))
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        if outcome is HANG:
            await asyncio.Event().wait()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)


class ScriptedVideoGenerator(Scripted):
    async def submit(self, request: VideoRequest) -> str:
        result = await self.play("submit", request)
        assert isinstance(result, str)
        return result

    async def status(self, task_id: str) -> TaskStatus:
        result = await self.play("status", task_id)
        assert isinstance(result, TaskStatus)
        return result

    async def download(self, result_url: str) -> bytes:
        result = await self.play("download", result_url)
        assert isinstance(result, bytes)
        return result


class ScriptedScriptWriter(Scripted):
    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        result = await self.play("write", product)
        assert isinstance(result, list)
        return result


class ScriptedModerator(Scripted):
    async def flags(self, text: str, image_urls: Sequence[str]) -> Sequence[str]:
        result = await self.play("flags", text)
        assert isinstance(result, list)
        return result


class ScriptedScraper(Scripted):
    async def scrape(self, url: str) -> ProductFacts:
        result = await self.play("scrape", url)
        assert isinstance(result, ProductFacts)
        return result
