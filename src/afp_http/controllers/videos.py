"""`/videos`: the caller's videos, their status (from the database only), cancel, download."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from afp_core.domain.credentials import Principal
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import VideoId
from afp_core.domain.video import VideoStatus
from afp_core.usecases import CancelVideoCommand, GetVideoQuery, ListVideosQuery
from afp_http.auth import SECURITY, provide_principal
from afp_http.controllers._common import IdempotencyKey, idempotent
from afp_http.deps import ContainerDep, PageDep, PrincipalDep
from afp_http.openapi import problems
from afp_http.pagination import Page
from afp_http.schemas.videos import CancelledOut, VideoOut, VideoStatusOut
from afp_http.state import services

VIDEO_MEDIA_TYPE = "video/mp4"


class VideoController(Controller):
    path = "/videos"
    tags = ["videos"]  # noqa: RUF012 - Litestar reads these class attributes
    security = SECURITY

    @get("/", responses=problems(401, 422), summary="The caller's videos, newest first")
    async def list_videos(
        self,
        principal: PrincipalDep,
        page: PageDep,
        container: ContainerDep,
        status: Annotated[VideoStatus | None, QueryParameter(required=False)] = None,
    ) -> Page[VideoOut]:
        found = await container.list_videos().execute(
            ListVideosQuery(principal.user_id, status, limit=page.limit, offset=page.offset)
        )
        return Page[VideoOut](
            items=[VideoOut.of(v) for v in found.items],
            limit=page.limit,
            offset=page.offset,
            total=found.total,
        )

    @get("/{video_id:str}", responses=problems(401, 404), summary="One of the caller's videos")
    async def get_video(
        self, video_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> VideoOut:
        query = GetVideoQuery(principal.user_id, VideoId(video_id))
        return VideoOut.of(await container.get_video().execute(query))

    @get(
        "/{video_id:str}/status",
        responses=problems(401, 404),
        summary="The video's status, read from the database (never from the provider)",
    )
    async def status(
        self, video_id: FromPath[str], request: Request[Principal, str, Any]
    ) -> VideoStatusOut:
        # The polled route: no dependencies to resolve (Litestar resolves two or more in a task
        # group, two tasks a request); the principal is `request.user`, set by authentication.
        query = GetVideoQuery(provide_principal(request).user_id, VideoId(video_id))
        state = await services(request).container.get_video_status().execute(query)
        return VideoStatusOut.of(state)

    @post(
        "/{video_id:str}/cancel",
        status_code=200,
        responses=problems(401, 404, 409),
        summary="Cancel a video that has not ended; its credits are released",
    )
    async def cancel(
        self,
        request: Request[Principal, str, Any],
        video_id: FromPath[str],
        principal: PrincipalDep,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CancelledOut]:
        async def produce() -> tuple[int, CancelledOut]:
            done = await container.cancel_video().execute(
                CancelVideoCommand(principal.user_id, VideoId(video_id))
            )
            return 200, CancelledOut(
                video_id=done.video_id, status=done.status.value, released=done.released
            )

        return await idempotent(request, principal, idempotency_key, {}, produce)

    @get(
        "/{video_id:str}/file",
        responses=problems(401, 404),
        media_type=VIDEO_MEDIA_TYPE,
        summary="Download the stored MP4 of a completed video",
    )
    async def file(
        self, video_id: FromPath[str], principal: PrincipalDep, container: ContainerDep
    ) -> Response[bytes]:
        query = GetVideoQuery(principal.user_id, VideoId(video_id))
        video = await container.get_video().execute(query)
        if video.status is not VideoStatus.COMPLETED or video.result_key is None:
            raise NotFound(f"video {video.id} has no file yet (it is {video.status.value})")
        data = await container.storage().read(video.result_key)
        return Response(
            data,
            media_type=VIDEO_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{video.id}.mp4"'},
        )
