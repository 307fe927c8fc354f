"""`/media/{key}`: stored files behind signed, expiring links (the signature is the credential)."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter

from afp_bootstrap.media import verify_media_request
from afp_http.auth import PUBLIC
from afp_http.deps import ContainerDep
from afp_http.openapi import problems


class MediaController(Controller):
    path = "/media"
    tags = ["media"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {PUBLIC: True}  # noqa: RUF012 - no bearer token: the link's signature is the credential

    @get(
        "/{key:path}",
        responses=problems(401, 404),
        summary="Download a stored file through a signed link (from a video's `result_url`)",
    )
    async def file(
        self,
        key: FromPath[str],
        container: ContainerDep,
        expires: Annotated[int, QueryParameter(description="Unix time the link stops working")],
        sig: Annotated[str, QueryParameter(max_length=128, description="The link's HMAC-SHA256")],
    ) -> Response[bytes]:
        key = key.removeprefix("/")  # a `path` parameter keeps its leading slash
        data = await verify_media_request(container, key, expires, sig)
        media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return Response(data, media_type=media_type, headers={"Cache-Control": "private"})
