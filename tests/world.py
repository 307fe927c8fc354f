"""A whole AFP in one process on fakes, with a hand-moved clock: the fixture of use-case tests.

Built through the real composition root (`afp_bootstrap.Container`) with the clock and ids
overridden, so the tests exercise the same wiring `afp demo` uses.
"""

from __future__ import annotations

from datetime import datetime

from dependency_injector import providers

from afp_adapters.fakes import (
    FakeClock,
    FakePasswordHasher,
    FakeProductScraper,
    FakeVideoGenerator,
    InMemoryDatabase,
    MemoryMediaStorage,
    SequentialIds,
)
from afp_bootstrap import Container, JobRunner, Settings, job_runner
from afp_core.domain.ids import ScriptId, UserId, VideoId
from afp_core.domain.ledger import AccountBalance, Hold, LedgerEntry
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Claim, Script
from afp_core.domain.video import Video
from afp_core.usecases import CreateUserCommand, StartVideoCommand, StartVideoResult

PRODUCT = ProductFacts(
    url="https://shop.example.com/products/bottle",
    title="Insulated Water Bottle",
    brand="HydraPeak",
    bullets=("Keeps drinks cold for 24 hours", "Leak-proof lid"),
    description="Double-wall steel bottle.",
    images=(
        "https://cdn.example.com/1.jpg",
        "https://cdn.example.com/2.jpg",
        "https://cdn.example.com/3.jpg",
    ),
)

SCRIPT = Script(
    id=ScriptId("s1"),
    hook="This bottle changed my commute.",
    body="It keeps drinks cold for 24 hours. The lid is leak-proof.",
    call_to_action="Tap the link to get yours.",
    claims=(
        Claim("keeps drinks cold for 24 hours", ("bullet:0",)),
        Claim("the lid is leak-proof", ("bullet:1",)),
    ),
    duration_s=8,
)


class World:
    """Fakes, the container and helpers to drive them."""

    def __init__(
        self, *, generator: FakeVideoGenerator | None = None, database_url: str = "memory://"
    ) -> None:
        self.clock = FakeClock()
        self.ids = SequentialIds()
        self.storage = MemoryMediaStorage()
        self.generator = generator or FakeVideoGenerator()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url,
            providers="fake",
            storage_url="memory://",
            fake_webhook_secret="whsec_test",
        )
        self.c = Container(settings=settings)
        self.c.clock.override(providers.Object(self.clock))
        self.c.ids.override(providers.Object(self.ids))
        self.c.storage.override(providers.Object(self.storage))
        self.c.video_generator.override(providers.Object(self.generator))
        self.hasher = FakePasswordHasher()
        self.c.password_hasher.override(providers.Object(self.hasher))
        self.db: InMemoryDatabase = self.c.database()  # or a SqlDatabase, for the SQL suites
        self.scraper: FakeProductScraper = self.c.scraper()
        self.runner: JobRunner = job_runner(self.c)

    def uow(self):
        return self.db.unit_of_work()

    async def user(self, credits: int = 0, email: str | None = None) -> UserId:
        email = email or f"user{self.ids.issued + 1}@example.com"
        result = await self.c.create_user().execute(
            CreateUserCommand(email=email, starting_credits=credits)
        )
        return result.user.id

    async def start_video(self, user_id: UserId, **overrides: object) -> StartVideoResult:
        fields: dict[str, object] = {
            "user_id": user_id,
            "product": PRODUCT,
            "script": SCRIPT,
            "model": "afp-local",
        }
        fields.update(overrides)
        return await self.c.start_video().execute(StartVideoCommand(**fields))  # type: ignore[arg-type]

    async def run_jobs(self, max_jobs: int = 10_000) -> int:
        async def jump(when: datetime) -> None:
            if when > self.clock.now():
                self.clock.set(when)

        return await self.runner.run_until_idle(wait=jump, max_jobs=max_jobs)

    async def balance(self, user_id: UserId) -> AccountBalance:
        async with self.uow() as uow:
            return await uow.ledger.balance(user_id)

    async def entries(self, user_id: UserId) -> list[LedgerEntry]:
        async with self.uow() as uow:
            return list(await uow.ledger.all_entries(user_id))

    async def holds(self, user_id: UserId) -> list[Hold]:
        async with self.uow() as uow:
            return list(await uow.ledger.open_holds(user_id))

    async def video(self, video_id: VideoId) -> Video:
        async with self.uow() as uow:
            return await uow.videos.get_any(video_id)

    def snapshot(self) -> dict[str, int]:
        """Row counts of every table: to prove that a refused request wrote nothing."""
        t = self.db.tables
        return {
            "users": len(t.users),
            "videos": len(t.videos),
            "batches": len(t.batches),
            "entries": len(t.entries),
            "holds": len(t.holds),
            "jobs": len(t.jobs),
            "idempotency": len(t.idempotency),
            "ledger_keys": len(t.ledger_keys),
            "commits": self.db.commits,
        }
