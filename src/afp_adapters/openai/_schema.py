"""The structured-output schema the script writer asks OpenAI for (vendor payload: pydantic).

Strict structured output makes every field required and drops defaults, so nothing here has a
default; "no fact" is an empty `fact_ids` list, never a missing field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ClaimDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The factual statement, copied word for word from the script.")
    fact_ids: list[str] = Field(
        description='Ids of the product facts backing the statement, as given ("bullet:2").'
    )


class ScriptDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    angle: str = Field(description="Short name of the creative angle, e.g. problem-solution.")
    hook: str = Field(description="The first spoken line; at most 12 words.")
    body: str = Field(description="The spoken middle part, in full sentences.")
    call_to_action: str = Field(description="The closing line telling viewers what to do.")
    claims: list[ClaimDraft] = Field(
        description="Every factual statement the script makes about the product."
    )


class AdScripts(BaseModel):
    """The whole answer: the scripts, in the order written."""

    model_config = ConfigDict(extra="forbid")

    scripts: list[ScriptDraft]


__all__ = ["AdScripts", "ClaimDraft", "ScriptDraft"]
