"""`/health`, `/ready` and `/metrics`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec

from afp_bootstrap import ConfigurationError, open_database
from afp_http.auth import PUBLIC
from afp_http.deps import ContainerDep
from afp_http.openapi import problems
from afp_http.problems import problem_response
from afp_http.schemas._base import Out
from afp_http.state import services

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class HealthOut(Out):
    status: str


class SystemController(Controller):
    tags = ["system"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {PUBLIC: True}  # noqa: RUF012

    @get("/health", summary="Liveness: the process answers")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/ready",
        # the handler returns `Response[Any]` (ready or a problem): the 200 body is named here
        responses={200: ResponseSpec(HealthOut, description="Ready"), **problems(503)},
        summary="Readiness: the database is reachable and its schema is current",
    )
    async def ready(
        self, request: Request[Any, Any, Any], container: ContainerDep
    ) -> Response[Any]:
        try:
            await open_database(container)  # checks only: never migrates
        except ConfigurationError as error:
            return problem_response("not_ready", str(error), instance=request.url.path)
        return Response(HealthOut(status="ready"))

    @get("/metrics", media_type=PROMETHEUS_TEXT, summary="Prometheus metrics")
    async def metrics(
        self, request: Request[Any, Any, Any], container: ContainerDep
    ) -> Response[bytes]:
        body = await services(request).metrics.render(container)
        return Response(body, media_type=PROMETHEUS_TEXT)
