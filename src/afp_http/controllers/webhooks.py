"""`/webhooks`: provider callbacks, verified on the raw bytes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post

from afp_core.usecases import HandleVideoCallbackCommand
from afp_http.auth import PUBLIC
from afp_http.deps import ContainerDep
from afp_http.openapi import problems
from afp_http.problems import problem_response
from afp_http.schemas._base import Out
from afp_http.state import services


class CallbackAccepted(Out):
    received: bool
    scheduled: bool


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]  # noqa: RUF012 - Litestar reads these class attributes

    @post(
        "/kie",
        status_code=200,
        opt={PUBLIC: True},
        responses=problems(401, 413, 422, 503),
        summary="Kie.ai task callback: a hint that schedules an immediate status check",
        description="With `AFP_KIE_WEBHOOK_HMAC_KEY` set, `X-Webhook-Signature` must verify"
        " (401 `invalid_signature`). The video changes only after the provider confirms.",
    )
    async def kie(self, request: Request[Any, Any, Any], container: ContainerDep) -> Any:
        parser = services(request).kie_callbacks
        if parser is None:
            return problem_response(
                "not_configured",
                "Kie.ai callbacks are not wired on this server",
                instance=request.url.path,
            )
        callback = parser.parse(await request.body(), dict(request.headers))
        result = await container.handle_video_callback().execute(
            HandleVideoCallbackCommand(callback.task_id)
        )
        return CallbackAccepted(received=True, scheduled=result.scheduled)
