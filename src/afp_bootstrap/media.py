"""Serving signed local media links (`GET /media/<key>?expires=..&sig=..`) without adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from afp_adapters.storage import verify_media_url
from afp_core.domain.errors import InvalidSignature

if TYPE_CHECKING:
    from afp_bootstrap.container import Container


async def verify_media_request(container: Container, key: str, expires: int, sig: str) -> bytes:
    """The stored bytes under `key` when `sig` is this deployment's signature of `key` and
    `expires` and the link has not expired; else `InvalidSignature` (and `NotFound` for a
    signed link to an object that is gone)."""
    signing_key = container.media_signing_key()
    if signing_key is None:
        raise InvalidSignature("media links are not signed on this server (set AFP_SECRET_KEY)")
    verify_media_url(signing_key, key, expires, sig, now=container.clock().now().timestamp())
    storage = container.storage()
    data: bytes = await storage.read(key)
    return data


__all__ = ["verify_media_request"]
