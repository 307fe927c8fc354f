"""Schemathesis against the app's own OpenAPI document (`/schema/openapi.json`).

Every operation the document lists is called with generated requests, positive and negative,
as a signed-up user with credits (a bearer session token; an admin's on `/admin` routes), and
every answer is checked:

- `not_a_server_error`: no 5xx, whatever the input;
- `status_code_conformance`: the status is one the operation documents;
- `content_type_conformance`: the media type is one documented for that status;
- `response_schema_conformance`: the body matches the documented schema (problem details
  included).

The app runs on fakes (`tests.world.World`), so nothing leaves the process and no operation
is excluded. Rate limits are raised so generated traffic reaches the handlers instead of
stopping at 429 (429 stays documented and checked by `tests/http/test_problems.py`).

Bounded: explicit Hypothesis settings (25 examples per operation, derandomized, no deadline)
override the `ci` profile's 1000 examples, so the test stays well under a minute under
`CI=true` too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from afp_core.domain.ledger import EntryType
from afp_core.domain.users import Role
from afp_core.usecases import CreateUserCommand, LogInCommand, SignUpCommand
from afp_http import ApiOptions
from afp_http.options import DEFAULT_RATE_RULES, RateRule
from tests.http.conftest import PASSWORD, build_api_app
from tests.world import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EMAIL = "fuzz@example.com"
ADMIN_EMAIL = "fuzz-admin@example.com"
CREDITS = 1_000_000
EXAMPLES_PER_OPERATION = 25
NO_LIMITS = {name: RateRule(1_000_000, 60.0) for name in DEFAULT_RATE_RULES}


@attrs.define
class Sessions:
    """Bearer tokens for the fuzzed requests: a signed-up user's, and an admin's for the
    `/admin` routes (so they are exercised past their guard). `POST /auth/logout` ends the
    user's session, so it is renewed by logging in again (else every later case is a 401)."""

    world: World
    user: str
    admin: str

    def headers(self, case: Case[Any]) -> dict[str, str]:
        token = self.admin if case.path.startswith("/admin") else self.user
        return {"Authorization": f"Bearer {token}"}

    def renew(self) -> None:
        command = LogInCommand(EMAIL, PASSWORD)
        self.user = asyncio.run(self.world.c.log_in().execute(command)).token


async def _seed(world: World) -> Sessions:
    """A signed-up user with credits (so `POST /generate/video` can reach its 202), and an
    admin made as `afp admin create-user --admin` makes one."""
    signed = await world.c.sign_up().execute(SignUpCommand(EMAIL, PASSWORD))
    async with world.db.unit_of_work() as uow:
        await uow.ledger.credit(
            signed.user.id,
            CREDITS,
            EntryType.GRANT,
            key="fuzz-grant",
            now=world.clock.now(),
            reason="fuzz credits",
        )
        await uow.commit()
    await world.c.create_user().execute(
        CreateUserCommand(
            email=ADMIN_EMAIL, role=Role.ADMIN, password_hash=await world.hasher.hash(PASSWORD)
        )
    )
    admin = await world.c.log_in().execute(LogInCommand(ADMIN_EMAIL, PASSWORD))
    return Sessions(world, signed.token, admin.token)


# Built at import: schemathesis' lazy `from_fixture` loader does not run on pytest 9 (it
# writes `Function._nodeid`, which pytest 9 no longer has), so the schema is loaded here.
WORLD = World()
APP: Litestar = build_api_app(WORLD, ApiOptions(rate_rules=NO_LIMITS))
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)


@pytest.fixture(scope="module")
def sessions() -> Sessions:
    return asyncio.run(_seed(WORLD))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_documented_contract(case: Case[Any], sessions: Sessions) -> None:
    response = case.call_and_validate(headers=sessions.headers(case), checks=CHECKS)
    if case.path == "/auth/logout" and response.status_code == 204:
        sessions.renew()
