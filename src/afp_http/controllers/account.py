"""`/me`, `/credits`, `/credits/transactions` and the public `/pricing`."""

from __future__ import annotations

from litestar import Controller, get

from afp_core.usecases import GetAccountSummaryQuery, ListTransactionsQuery
from afp_http.auth import PUBLIC, SECURITY
from afp_http.deps import ContainerDep, PageDep, PrincipalDep
from afp_http.openapi import problems
from afp_http.pagination import Page
from afp_http.schemas.account import CreditsOut, MeOut, PricingOut, TransactionOut


class AccountController(Controller):
    tags = ["account"]  # noqa: RUF012 - Litestar reads these class attributes

    @get("/me", security=SECURITY, responses=problems(401), summary="The caller and their credits")
    async def me(self, principal: PrincipalDep, container: ContainerDep) -> MeOut:
        summary = await container.get_account_summary().execute(
            GetAccountSummaryQuery(principal.user_id, recent=0)
        )
        user = summary.user
        return MeOut(
            id=user.id,
            email=user.email,
            role=user.role.value,
            plan=user.plan.name.lower(),
            credits=CreditsOut.of(summary.credits),
            videos_by_status=summary.videos_by_status,
        )

    @get("/credits", security=SECURITY, responses=problems(401), summary="The caller's credits")
    async def credits(self, principal: PrincipalDep, container: ContainerDep) -> CreditsOut:
        summary = await container.get_account_summary().execute(
            GetAccountSummaryQuery(principal.user_id, recent=0)
        )
        return CreditsOut.of(summary.credits)

    @get(
        "/credits/transactions",
        security=SECURITY,
        responses=problems(401, 422),
        summary="The caller's credit journal, newest first",
    )
    async def transactions(
        self, principal: PrincipalDep, page: PageDep, container: ContainerDep
    ) -> Page[TransactionOut]:
        found = await container.list_transactions().execute(
            ListTransactionsQuery(principal.user_id, limit=page.limit, offset=page.offset)
        )
        return Page[TransactionOut](
            items=[TransactionOut.of(e) for e in found.items],
            limit=page.limit,
            offset=page.offset,
            total=found.total,
        )

    @get("/pricing", opt={PUBLIC: True}, summary="Video prices per model and duration, and packs")
    async def pricing(self, container: ContainerDep) -> PricingOut:
        return PricingOut.of(container.prices())
