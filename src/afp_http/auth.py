"""Bearer authentication, the principal dependency and the admin guard.

`Authorization: Bearer <token>` (a session token or an API key) is checked by the core's
`Authenticate`; the `Principal` becomes `request.user` and the `principal` dependency. Routes
marked `opt={"public": True}` (and the schema) skip it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware

from afp_core.domain.credentials import Principal
from afp_core.domain.errors import Forbidden, Unauthenticated
from afp_core.usecases import AuthenticateCommand
from afp_http.state import services

PUBLIC = "public"
BEARER_SCHEME = "bearer"
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send `Authorization: Bearer <token>` (a session token or API key)")
    return token.strip()


class BearerAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = bearer_token(connection)
        container = services(connection).container
        principal = await container.authenticate().execute(AuthenticateCommand(token))
        return AuthenticationResult(user=principal, auth=token)


def authentication_middleware() -> DefineMiddleware:
    return DefineMiddleware(BearerAuthentication, exclude_from_auth_key=PUBLIC, exclude="^/schema")


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The `principal` dependency of every authenticated handler."""
    user = request.scope.get("user")
    if not isinstance(user, Principal):  # a public route asked for a principal
        raise Unauthenticated("this route needs a bearer token")
    return user


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: 403 `forbidden` unless the caller is an admin."""
    if connection.scope.get("method") == "OPTIONS":
        return  # authentication skips OPTIONS, so there is no user: answered as elsewhere
    user = connection.scope.get("user")  # `connection.user` raises (500) when unset
    if not isinstance(user, Principal) or not user.is_admin:
        raise Forbidden("this route is for admins only")


__all__ = [
    "BEARER_SCHEME",
    "PUBLIC",
    "SECURITY",
    "BearerAuthentication",
    "admin_only",
    "authentication_middleware",
    "bearer_token",
    "provide_principal",
]
