"""`/generate`: scrape, write scripts, assess and start a video."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from afp_core.domain.credentials import Principal
from afp_core.usecases import (
    AssessContentCommand,
    ScrapeProductCommand,
    StartVideoCommand,
    WriteScriptCommand,
)
from afp_http.auth import SECURITY
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.ratelimit import rate_limit
from afp_http.schemas.generate import (
    AssessmentOut,
    ProductOut,
    RenderRequestIn,
    ScrapeIn,
    ScrapeOut,
    ScriptOut,
    ScriptsOut,
    VideoStartedOut,
    WriteScriptIn,
)

_GENERATE = [rate_limit("generate", per="user")]


class GenerateController(Controller):
    path = "/generate"
    tags = ["generate"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY

    @post(
        "/scrape",
        status_code=200,
        guards=_GENERATE,
        responses=problems(*AUTHED, 503),
        summary="Fetch a product page and extract its facts",
        description="422 `blocked_url` for a URL that may not be fetched; 422 `scrape_blocked`"
        " (with `next_steps`) when the shop refuses robots: send the facts by hand instead.",
    )
    async def scrape(self, data: JSONBody[ScrapeIn], container: ContainerDep) -> ScrapeOut:
        result = await container.scrape_product().execute(ScrapeProductCommand(data.url))
        return ScrapeOut(product=ProductOut.of(result.product), fetched=result.fetched)

    @post(
        "/script",
        status_code=200,
        guards=_GENERATE,
        responses=problems(*AUTHED, 503),
        summary="Write ad scripts grounded in the product's facts",
    )
    async def script(self, data: JSONBody[WriteScriptIn], container: ContainerDep) -> ScriptsOut:
        result = await container.write_script().execute(
            WriteScriptCommand(data.product.to_domain(), data.options.to_domain())
        )
        return ScriptsOut(scripts=[ScriptOut.of(s) for s in result.scripts])

    @post(
        "/assess",
        status_code=200,
        guards=_GENERATE,
        responses=problems(*AUTHED, 503),
        summary="Score risk and quality, enhance the prompt and recommend a model",
    )
    async def assess(
        self, data: JSONBody[RenderRequestIn], principal: PrincipalDep, container: ContainerDep
    ) -> AssessmentOut:
        assessment = await container.assess_content().execute(
            AssessContentCommand(
                principal.user_id,
                data.product.to_domain(),
                data.script.to_domain(),
                image_urls=tuple(data.image_urls),
                prompt=data.prompt,
                model=data.model,
                duration_s=data.duration_s,
                aspect_ratio=data.aspect_ratio,
                likeness_consent=data.likeness_consent,
            )
        )
        return AssessmentOut.of(assessment)

    @post(
        "/video",
        status_code=202,
        guards=[rate_limit("video", per="user")],
        responses=problems(*AUTHED, 402, 409, 503),
        summary="Hold the price and queue a video",
        description="202 with the video id; poll `/videos/{id}/status`. 402"
        " `insufficient_credits` or `account_in_debt`; 422 `content_blocked` when the"
        " assessment blocks the content (nothing is spent).",
    )
    async def video(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[RenderRequestIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VideoStartedOut]:
        async def produce() -> tuple[int, VideoStartedOut]:
            started = await container.start_video().execute(
                StartVideoCommand(
                    principal.user_id,
                    data.product.to_domain(),
                    data.script.to_domain(),
                    image_urls=tuple(data.image_urls),
                    model=data.model,
                    aspect_ratio=data.aspect_ratio,
                    duration_s=data.duration_s,
                    prompt=data.prompt,
                    likeness_consent=data.likeness_consent,
                    idempotency_key=idempotency_key,
                )
            )
            return 202, VideoStartedOut.of(
                started.video_id,
                started.status.value,
                started.price,
                started.model,
                started.assessment,
            )

        return await idempotent(
            request, principal, idempotency_key, data.model_dump(mode="json"), produce
        )
