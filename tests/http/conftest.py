"""The `api` fixture: a World of fakes behind the Litestar app, and helpers to sign users up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from afp_adapters.fakes import MemoryMediaStorage
from afp_adapters.kie import KieCallbackVerifier
from afp_core.domain.ids import UserId
from afp_core.domain.ledger import EntryType
from afp_core.domain.users import Role
from afp_core.usecases import CreateUserCommand
from afp_http import ApiOptions, create_app
from tests.world import World

PASSWORD = "correct horse battery"
PRODUCT_JSON: dict[str, Any] = {
    "url": "https://shop.example.com/products/bottle",
    "title": "Insulated Water Bottle",
    "brand": "HydraPeak",
    "bullets": ["Keeps drinks cold for 24 hours", "Leak-proof lid"],
    "description": "Double-wall steel bottle.",
    "images": [
        "https://cdn.example.com/1.jpg",
        "https://cdn.example.com/2.jpg",
        "https://cdn.example.com/3.jpg",
    ],
}
SCRIPT_JSON: dict[str, Any] = {
    "id": "s1",
    "hook": "This bottle changed my commute.",
    "body": "It keeps drinks cold for 24 hours. The lid is leak-proof.",
    "call_to_action": "Tap the link to get yours.",
    "claims": [
        {"text": "keeps drinks cold for 24 hours", "fact_ids": ["bullet:0"]},
        {"text": "the lid is leak-proof", "fact_ids": ["bullet:1"]},
    ],
    "duration_s": 8,
}
VIDEO_JSON: dict[str, Any] = {"product": PRODUCT_JSON, "script": SCRIPT_JSON, "model": "afp-local"}


@attrs.define
class Caller:
    user_id: UserId
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """The app, its test client and the World under it."""

    def __init__(self, world: World, app: Litestar, client: AsyncTestClient[Litestar]) -> None:
        self.world = world
        self.app = app
        self.client = client
        self._n = 0

    async def sign_up(self, *, credits: int = 0, email: str | None = None) -> Caller:
        self._n += 1
        email = email or f"seller{self._n}@example.com"
        answer = await self.client.post("/auth/signup", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 201, answer.text
        body = answer.json()
        caller = Caller(UserId(body["user"]["id"]), email, body["token"])
        if credits:
            await self.grant(caller.user_id, credits)
        return caller

    async def grant(self, user_id: UserId, credits: int) -> None:
        world = self.world
        async with world.uow() as uow:
            await uow.ledger.credit(
                user_id,
                credits,
                EntryType.GRANT,
                key=f"test-grant:{user_id}:{world.ids.new_id()}",
                now=world.clock.now(),
                reason="test credits",
            )
            await uow.commit()

    async def admin(self, email: str = "admin@example.com") -> Caller:
        """An admin, made the way `afp admin create-user --admin` makes one, then logged in."""
        password_hash = await self.world.hasher.hash(PASSWORD)
        await self.world.c.create_user().execute(
            CreateUserCommand(email=email, role=Role.ADMIN, password_hash=password_hash)
        )
        answer = await self.client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return Caller(UserId(body["user"]["id"]), email, body["token"])


def build_api_app(world: World, options: ApiOptions | None = None) -> Litestar:
    storage = MemoryMediaStorage()
    world.storage = storage
    world.c.storage.override(providers.Object(storage))
    return create_app(
        world.c,
        options=options or ApiOptions(),
        kie_callbacks=KieCallbackVerifier("kie-hmac-test", clock=lambda: 1_767_268_800.0),
    )


@pytest.fixture
def options() -> ApiOptions:
    return ApiOptions()


@pytest.fixture
async def api(options: ApiOptions) -> AsyncIterator[Api]:
    world = World()
    app = build_api_app(world, options)
    async with AsyncTestClient(app=app) as client:
        yield Api(world, app, client)
