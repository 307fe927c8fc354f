"""`/admin`: users and their credits, every user's videos, statistics and providers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from afp_core.domain.credentials import Principal
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.video import VideoStatus
from afp_core.usecases import (
    AdjustCreditsCommand,
    GetAdminStatsQuery,
    ListAllVideosQuery,
    ListUsersQuery,
)
from afp_http.auth import SECURITY, admin_only
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PageDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.pagination import Page
from afp_http.schemas.account import CreditsOut
from afp_http.schemas.admin import (
    AdaptersOut,
    AdjustCreditsIn,
    AdjustedOut,
    AdminUserOut,
    AdminVideoOut,
    BreakerOut,
    ProvidersOut,
    StatsOut,
)


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY
    guards = [admin_only]  # noqa: RUF012

    @get("/users", responses=problems(401, 403, 422), summary="Every user with their credits")
    async def users(
        self, principal: PrincipalDep, page: PageDep, container: ContainerDep
    ) -> Page[AdminUserOut]:
        found = await container.list_users().execute(
            ListUsersQuery(principal.user_id, limit=page.limit, offset=page.offset)
        )
        return Page[AdminUserOut](
            items=[AdminUserOut.of(a) for a in found.items],
            limit=page.limit,
            offset=page.offset,
            total=found.total,
        )

    @post(
        "/users/{user_id:str}/credits",
        status_code=200,
        responses=problems(*AUTHED, 402, 403, 404, 409),
        summary="Grant or take back credits, with a reason (recorded in the journal)",
        description="`amount` is signed and not zero. A debit beyond what is available is 402"
        " `insufficient_credits`. With an `Idempotency-Key` a repeat changes nothing.",
    )
    async def adjust_credits(
        self,
        request: Request[Principal, str, Any],
        user_id: FromPath[str],
        data: JSONBody[AdjustCreditsIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AdjustedOut]:
        if data.amount == 0:
            raise ValidationFailed("an adjustment of 0 credits changes nothing")
        # without a client key each request is its own adjustment
        key = f"http:{idempotency_key}" if idempotency_key else container.ids().new_id()

        async def produce() -> tuple[int, AdjustedOut]:
            done = await container.adjust_credits().execute(
                AdjustCreditsCommand(
                    principal.user_id, UserId(user_id), data.amount, data.reason, key
                )
            )
            return 200, AdjustedOut(
                user_id=user_id,
                amount=data.amount,
                replayed=done.replayed,
                credits=CreditsOut.of(done.balance),
            )

        return await idempotent(
            request, principal, idempotency_key, data.model_dump(mode="json"), produce
        )

    @get("/videos", responses=problems(401, 403, 422), summary="Every user's videos, newest first")
    async def videos(
        self,
        principal: PrincipalDep,
        page: PageDep,
        container: ContainerDep,
        status: Annotated[VideoStatus | None, QueryParameter(required=False)] = None,
    ) -> Page[AdminVideoOut]:
        found = await container.list_all_videos().execute(
            ListAllVideosQuery(principal.user_id, status, limit=page.limit, offset=page.offset)
        )
        return Page[AdminVideoOut](
            items=[AdminVideoOut.of_any(v) for v in found.items],
            limit=page.limit,
            offset=page.offset,
            total=found.total,
        )

    @get(
        "/stats",
        responses=problems(401, 403),
        summary="Users, videos by status and credits outstanding, across every account",
    )
    async def stats(self, principal: PrincipalDep, container: ContainerDep) -> StatsOut:
        found = await container.get_admin_stats().execute(GetAdminStatsQuery(principal.user_id))
        return StatsOut.of(found)

    @get(
        "/providers",
        responses=problems(401, 403),
        summary="Which adapter serves each port, and the providers' circuit breakers",
    )
    async def providers(self, container: ContainerDep) -> ProvidersOut:
        settings = container.checked_settings()
        return ProvidersOut(
            mode=settings.provider_mode,
            adapters=AdaptersOut(
                scraper=settings.scraper_kind,
                script_writer=settings.script_writer_kind,
                video_provider=settings.video_provider_kind,
                payments=sorted(p.value for p in container.payments()),
                social=sorted(p.value for p in container.publishers()),
            ),
            breakers=[BreakerOut.of(s) for s in container.breakers().snapshots()],
        )
