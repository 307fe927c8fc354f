"""`/auth`: sign-up, log-in, log-out and API keys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from afp_core.domain.credentials import Principal
from afp_core.usecases import (
    CreateApiKeyCommand,
    ListApiKeysCommand,
    LogInCommand,
    LogOutCommand,
    RevokeApiKeyCommand,
    SignUpCommand,
)
from afp_http.auth import PUBLIC, SECURITY
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.ratelimit import rate_limit
from afp_http.schemas.auth import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeysOut,
    Credentials,
    SessionOut,
    UserOut,
)

_PER_IP = [rate_limit("auth", per="ip")]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads these class attributes

    @post(
        "/signup",
        status_code=201,
        opt={PUBLIC: True},
        guards=_PER_IP,
        responses=problems(409, 422, 429),
        summary="Create an account and a first session",
    )
    async def sign_up(self, data: JSONBody[Credentials], container: ContainerDep) -> SessionOut:
        result = await container.sign_up().execute(SignUpCommand(data.email, data.password))
        return SessionOut(
            user=UserOut.of(result.user), token=result.token, expires_at=result.expires_at
        )

    @post(
        "/login",
        status_code=200,
        opt={PUBLIC: True},
        guards=_PER_IP,
        responses=problems(401, 422, 429),
        summary="Exchange an email and password for a session token",
    )
    async def log_in(self, data: JSONBody[Credentials], container: ContainerDep) -> SessionOut:
        result = await container.log_in().execute(LogInCommand(data.email, data.password))
        return SessionOut(
            user=UserOut.of(result.user), token=result.token, expires_at=result.expires_at
        )

    @post(
        "/logout",
        status_code=204,
        security=SECURITY,
        responses=problems(401),
        summary="Revoke the session token this request carries",
    )
    async def log_out(self, request: Request[Principal, str, Any], container: ContainerDep) -> None:
        await container.log_out().execute(LogOutCommand(request.auth))

    @post(
        "/api-keys",
        status_code=201,
        security=SECURITY,
        responses=problems(*AUTHED, 409),
        summary="Create an API key (the token is shown once)",
    )
    async def create_api_key(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[ApiKeyIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApiKeyCreatedOut]:
        async def produce() -> tuple[int, ApiKeyCreatedOut]:
            made = await container.create_api_key().execute(
                CreateApiKeyCommand(principal.user_id, data.name)
            )
            return 201, ApiKeyCreatedOut(
                id=made.key_id, name=made.name, token=made.token, created_at=made.created_at
            )

        return await idempotent(
            request, principal, idempotency_key, data.model_dump(mode="json"), produce
        )

    @get("/api-keys", security=SECURITY, responses=problems(401), summary="The caller's API keys")
    async def list_api_keys(self, principal: PrincipalDep, container: ContainerDep) -> ApiKeysOut:
        keys = await container.list_api_keys().execute(ListApiKeysCommand(principal.user_id))
        return ApiKeysOut(
            items=[
                ApiKeyOut(
                    id=k.key_id,
                    name=k.name,
                    created_at=k.created_at,
                    last_used_at=k.last_used_at,
                    revoked_at=k.revoked_at,
                )
                for k in keys
            ]
        )

    @delete(
        "/api-keys/{key_id:str}",
        status_code=204,
        security=SECURITY,
        responses=problems(401, 404),
        summary="Revoke one of the caller's API keys",
    )
    async def revoke_api_key(
        self, key_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> None:
        await container.revoke_api_key().execute(RevokeApiKeyCommand(principal.user_id, key_id))
