"""WriteScript: ad scripts grounded in the product's facts."""

from __future__ import annotations

import attrs

from afp_core.domain.errors import ProviderRejected
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script, ScriptOptions
from afp_core.ports.generation import ScriptWriter


@attrs.frozen
class WriteScriptCommand:
    product: ProductFacts
    options: ScriptOptions = attrs.field(factory=ScriptOptions)


@attrs.frozen
class WrittenScript:
    script: Script
    unsupported_claims: tuple[Claim, ...]  # claims no product fact supports: flagged, not hidden


@attrs.frozen
class WriteScriptResult:
    scripts: tuple[WrittenScript, ...]


class WriteScript:
    """Ask the writer for `options.count` scripts and check every claim against the facts.
    A writer that returns nothing is `ProviderRejected`."""

    def __init__(self, writer: ScriptWriter) -> None:
        self._writer = writer

    async def execute(self, command: WriteScriptCommand) -> WriteScriptResult:
        scripts = await self._writer.write(command.product, command.options)
        if not scripts:
            raise ProviderRejected("the script writer returned no script")
        return WriteScriptResult(
            tuple(WrittenScript(s, s.unsupported_claims(command.product)) for s in scripts)
        )
