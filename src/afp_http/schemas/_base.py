from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class In(BaseModel):
    """A request body: unknown fields are refused (422), values are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=False)


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=False)


def jsonable(value: Any) -> Any:
    """Plain JSON values from a stored mapping (enums and decimals become strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
