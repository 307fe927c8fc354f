"""What handlers share: the idempotency header parameter and the idempotent answer helper."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.params import HeaderParameter

from afp_core.domain.credentials import Principal
from afp_http.idempotency import Produce
from afp_http.state import services

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        required=False,
        description="Replays the first answer for the same key and body; 409 for another body",
    ),
]


async def idempotent(
    request: Request[Any, Any, Any],
    principal: Principal,
    key: str | None,
    payload: object,
    produce: Produce,
) -> Response[Any]:
    return await services(request).idempotency.respond(
        user_id=principal.user_id,
        method=request.method,
        path=request.url.path,
        key=key,
        payload=payload,
        produce=produce,
    )
