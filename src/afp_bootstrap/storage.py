"""`AFP_STORAGE_URL` read into a `MediaStorage`, and the key that signs local media links.

- `file://PATH`: files under PATH. With `AFP_SECRET_KEY` their URLs are signed links to
  `AFP_PUBLIC_BASE_URL/media/<key>` (required with real providers, which publish those links);
  without it, in fake mode, the URL is the file's path.
- `memory://`: in this process only.
- `s3://BUCKET/PREFIX?endpoint=URL&region=R&public_base_url=URL&url_expiry_s=N`: any
  S3-compatible store (the `s3` extra), with `AFP_S3_ACCESS_KEY_ID`/`AFP_S3_SECRET_ACCESS_KEY`
  or the standard AWS credential chain.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from afp_adapters.fakes import MemoryMediaStorage
from afp_adapters.storage import LocalFileStorage
from afp_bootstrap.errors import ConfigurationError
from afp_bootstrap.settings import Settings
from afp_core.ports.generation import MediaStorage
from afp_core.ports.system import Clock

MEDIA_LINK_LABEL = b"afp/media-links/v1"
_S3_OPTIONS = frozenset({"endpoint", "region", "public_base_url", "url_expiry_s"})


def media_link_key(settings: Settings) -> bytes | None:
    """The key of local media links: an HMAC of a fixed label under `AFP_SECRET_KEY` (so every
    process of a deployment agrees), or None without it (links are not signed)."""
    if settings.secret_key is None:
        return None
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, MEDIA_LINK_LABEL, hashlib.sha256).digest()


def build_storage(settings: Settings, signing_key: bytes | None, clock: Clock) -> MediaStorage:
    url = settings.storage_url
    parts = urlsplit(url)
    if parts.scheme == "file":
        if signing_key is None and settings.provider_mode == "real":
            raise ConfigurationError(
                "AFP_SECRET_KEY is required with real providers and file:// storage "
                "(it signs the links to stored videos)"
            )
        return LocalFileStorage(
            Path((parts.netloc + parts.path) or "."),
            base_url=settings.public_base_url if signing_key else None,
            signing_key=signing_key,
            now=lambda: clock.now().timestamp(),
        )
    if parts.scheme == "memory":
        return MemoryMediaStorage()
    if parts.scheme == "s3":
        return _s3(settings, url)
    raise ConfigurationError(
        f"AFP_STORAGE_URL {url!r}: use file://PATH, s3://BUCKET/PREFIX?endpoint=... or memory://"
    )


def _s3(settings: Settings, url: str) -> MediaStorage:
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - _S3_OPTIONS)
    if not parts.netloc or unknown:
        raise ConfigurationError(
            f"AFP_STORAGE_URL: use s3://BUCKET/PREFIX?endpoint=URL&region=R"
            f"{' (unknown option ' + ', '.join(unknown) + ')' if unknown else ''}"
        )
    key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    if (key_id is None) != (secret is None):
        raise ConfigurationError(
            "set both AFP_S3_ACCESS_KEY_ID and AFP_S3_SECRET_ACCESS_KEY, or neither "
            "(the standard AWS credential chain)"
        )
    try:
        from afp_adapters.storage.s3 import S3MediaStorage  # noqa: PLC0415 - boto3 is optional
    except ImportError:
        raise ConfigurationError(
            "s3:// storage needs boto3: install afp[s3] (pip install 'afp[s3]')"
        ) from None
    try:
        expiry = timedelta(seconds=int(options.get("url_expiry_s", "3600")))
        return S3MediaStorage(
            parts.netloc,
            endpoint_url=options.get("endpoint") or None,
            region=options.get("region") or "us-east-1",
            access_key_id=key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            prefix=parts.path.strip("/"),
            url_expiry=expiry,
            public_base_url=options.get("public_base_url") or None,
        )
    except ValueError as error:
        raise ConfigurationError(f"AFP_STORAGE_URL: {error}") from None


__all__ = ["MEDIA_LINK_LABEL", "build_storage", "media_link_key"]
