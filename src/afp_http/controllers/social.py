"""`/auth/oauth/{provider}` (connect a platform) and `/social` (connections, publish, posts)."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from afp_bootstrap import Container
from afp_core.domain.credentials import Principal
from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import PostId, VideoId
from afp_core.domain.social import SocialProvider
from afp_core.usecases import (
    BeginSocialConnectionCommand,
    DisconnectSocialAccountCommand,
    FinishSocialConnectionCommand,
    GetPostQuery,
    ListPostsQuery,
    ListSocialConnectionsQuery,
    PublishVideoCommand,
)
from afp_http.auth import PUBLIC, SECURITY
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PageDep, PrincipalDep
from afp_http.openapi import AUTHED, problems
from afp_http.pagination import Page
from afp_http.schemas.social import (
    AuthorizationOut,
    ConnectedOut,
    ConnectionOut,
    ConnectionsOut,
    DisconnectedOut,
    PostOut,
    PublishedOut,
    PublishIn,
)

_PROVIDER_DOC = "`provider` is `tiktok`, `youtube` or `instagram` (422 otherwise)."
log = structlog.get_logger("afp.http")


def callback_url(container: Container, provider: SocialProvider) -> str:
    """Where the platform sends the user back: `AFP_PUBLIC_BASE_URL` + the callback path."""
    base = container.checked_settings().public_base_url.rstrip("/")
    return f"{base}/auth/oauth/{provider.value}/callback"


class OAuthController(Controller):
    path = "/auth/oauth"
    tags = ["social"]  # noqa: RUF012 - Litestar reads these class attributes

    @get(
        "/{provider:str}",
        status_code=302,
        security=SECURITY,
        responses=problems(401, 422),
        summary="Start connecting a platform: a redirect to its sign-in page",
        description=f"{_PROVIDER_DOC} With `redirect=false` the URL is answered as JSON"
        " instead (for clients that cannot follow a redirect with a bearer token).",
    )
    async def begin(
        self,
        provider: FromPath[str],
        principal: PrincipalDep,
        container: ContainerDep,
        redirect: Annotated[bool, QueryParameter(required=False)] = True,
    ) -> Response[Any]:
        platform = SocialProvider.parse(provider)
        begun = await container.begin_social_connection().execute(
            BeginSocialConnectionCommand(
                principal.user_id, platform, callback_url(container, platform)
            )
        )
        if not redirect:
            return Response(
                AuthorizationOut(authorization_url=begun.authorization_url), status_code=200
            )
        return Redirect(begun.authorization_url, status_code=302)

    @get(
        "/{provider:str}/callback",
        opt={PUBLIC: True},
        responses=problems(422, 502, 503),
        summary="The platform's redirect back: keep the connection",
        description="Public: the single-use `state` says whose connection it is. 422 for an"
        " unknown or expired state or a sign-in the user declined; 502 `provider_rejected`"
        " when the platform refuses the code.",
    )
    async def callback(
        self,
        provider: FromPath[str],
        container: ContainerDep,
        oauth_state: Annotated[
            str, QueryParameter(name="state", min_length=1, max_length=512)
        ],  # `state` is a name Litestar reserves
        code: Annotated[str | None, QueryParameter(required=False, max_length=4096)] = None,
        error: Annotated[str | None, QueryParameter(required=False, max_length=200)] = None,
    ) -> ConnectedOut:
        SocialProvider.parse(provider)
        if error is not None or not code:
            raise ValidationFailed(f"the sign-in was not completed: {error or 'no code'}")
        done = await container.finish_social_connection().execute(
            FinishSocialConnectionCommand(oauth_state, code)
        )
        return ConnectedOut(
            provider=done.provider.value, status="CONNECTED", account_name=done.account_name
        )


class SocialController(Controller):
    path = "/social"
    tags = ["social"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY

    @get("/connections", responses=problems(401), summary="The caller's platform connections")
    async def connections(self, principal: PrincipalDep, container: ContainerDep) -> ConnectionsOut:
        found = await container.list_social_connections().execute(
            ListSocialConnectionsQuery(principal.user_id)
        )
        return ConnectionsOut(items=[ConnectionOut.of(c) for c in found])

    @delete(
        "/connections/{provider:str}",
        status_code=200,
        responses=problems(401, 404, 422),
        summary="Disconnect a platform (its grant is revoked and its tokens deleted)",
        description=f"{_PROVIDER_DOC} The platform is asked to revoke the grant where it"
        " allows it (best effort: `revoked_at_provider` says whether it did).",
    )
    async def disconnect(
        self, provider: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> DisconnectedOut:
        done = await container.disconnect_social_account().execute(
            DisconnectSocialAccountCommand(principal.user_id, SocialProvider.parse(provider))
        )
        if done.revoke_error is not None:
            log.warning("social.revoke_failed", provider=done.provider.value, why=done.revoke_error)
        return DisconnectedOut(
            provider=done.provider.value,
            status=done.status.value,
            revoked_at_provider=done.revoked_at_provider,
        )

    @post(
        "/publish",
        status_code=202,
        responses=problems(*AUTHED, 404, 409),
        summary="Publish a completed video to a connected platform",
        description="202 with the post id; a job sends the video and `/social/posts/{id}`"
        " shows where it stands (`PUBLISHING`, then `PUBLISHED` with its URL or `FAILED` with"
        " the reason). 422 when the video is not finished or the platform is not connected;"
        " 409 `reconnect_required` when the platform no longer honours the grant; 404 for a"
        " video that is not yours.",
    )
    async def publish(
        self,
        request: Request[Principal, str, Any],
        data: JSONBody[PublishIn],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PublishedOut]:
        async def produce() -> tuple[int, PublishedOut]:
            done = await container.publish_video().execute(
                PublishVideoCommand(
                    principal.user_id,
                    VideoId(data.video_id),
                    data.provider,
                    data.caption,
                    data.title,
                )
            )
            return 202, PublishedOut(post_id=done.post_id, status=done.status.value)

        return await idempotent(
            request, principal, idempotency_key, data.model_dump(mode="json"), produce
        )

    @get("/posts", responses=problems(401, 422), summary="The caller's posts, newest first")
    async def posts(
        self, principal: PrincipalDep, page: PageDep, container: ContainerDep
    ) -> Page[PostOut]:
        found = await container.list_posts().execute(
            ListPostsQuery(principal.user_id, limit=page.limit, offset=page.offset)
        )
        return Page[PostOut](
            items=[PostOut.of(p) for p in found], limit=page.limit, offset=page.offset
        )

    @get("/posts/{post_id:str}", responses=problems(401, 404), summary="One of the caller's posts")
    async def post(
        self, post_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> PostOut:
        found = await container.get_post().execute(GetPostQuery(principal.user_id, PostId(post_id)))
        return PostOut.of(found)
