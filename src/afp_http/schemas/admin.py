"""Admin schemas: users, credit adjustments, every user's videos, statistics, providers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from afp_core.domain.video import Video
from afp_core.ports.repositories import UserTotals
from afp_core.usecases import AdminStats, UserAccount
from afp_http.schemas._base import In, Out
from afp_http.schemas.account import CreditsOut
from afp_http.schemas.videos import VideoOut

MAX_ADJUSTMENT = 1_000_000


class AdminUserOut(Out):
    id: str
    email: str
    role: str
    plan: str
    created_at: datetime
    credits: CreditsOut

    @classmethod
    def of(cls, account: UserAccount) -> AdminUserOut:
        user = account.user
        return cls(
            id=user.id,
            email=user.email,
            role=user.role.value,
            plan=user.plan.name.lower(),
            created_at=user.created_at,
            credits=CreditsOut.of(account.credits),
        )


class AdjustCreditsIn(In):
    amount: int = Field(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        description="Signed: a grant is positive, a correction downwards negative (not zero)",
    )
    reason: str = Field(min_length=1, max_length=500)


class AdjustedOut(Out):
    user_id: str
    amount: int
    replayed: bool = Field(description="True when this adjustment's key was applied before")
    credits: CreditsOut


class AdminVideoOut(VideoOut):
    user_id: str

    @classmethod
    def of_any(cls, video: Video) -> AdminVideoOut:
        return cls(**VideoOut.of(video).model_dump(), user_id=video.user_id)


class CreditTotalsOut(Out):
    balance: int = Field(description="Credits every account holds together (outstanding)")
    reserved: int
    available: int
    debt: int

    @classmethod
    def of(cls, totals: UserTotals) -> CreditTotalsOut:
        return cls(
            balance=totals.balance,
            reserved=totals.reserved,
            available=totals.available,
            debt=totals.debt,
        )


class StatsOut(Out):
    users: int
    videos_by_status: dict[str, int]
    credits: CreditTotalsOut

    @classmethod
    def of(cls, stats: AdminStats) -> StatsOut:
        return cls(
            users=stats.users,
            videos_by_status={s.value: n for s, n in stats.videos_by_status.items()},
            credits=CreditTotalsOut.of(stats.credits),
        )


class BreakerOut(Out):
    name: str
    state: str = Field(description="`closed`, `open` or `half_open`")
    failures: int
    retry_after: float | None = Field(description="Seconds before probes are let through")

    @classmethod
    def of(cls, snapshot: Any) -> BreakerOut:
        """From a `BreakerSnapshot` (an adapter type, read by its fields)."""
        return cls(
            name=snapshot.name,
            state=str(snapshot.state),
            failures=snapshot.failures,
            retry_after=snapshot.retry_after,
        )


class AdaptersOut(Out):
    scraper: str
    script_writer: str
    video_provider: str
    payments: list[str]
    social: list[str]


class ProvidersOut(Out):
    mode: str = Field(description="`fake` or `real` (`AFP_PROVIDERS`)")
    adapters: AdaptersOut
    breakers: list[BreakerOut] = Field(description="One circuit breaker per provider called so far")
