"""`S3MediaStorage`: objects in any S3-compatible bucket (AWS S3, Supabase Storage, R2, MinIO).

boto3 is blocking: every call runs in a worker thread (`asyncio.to_thread`). Needs the `s3`
extra (`pip install 'afp[s3]'`).
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from afp_adapters.storage._s3_errors import is_missing_key, translate
from afp_core.domain.errors import ValidationFailed
from afp_core.ports.generation import StoredObject

MAX_KEY_BYTES = 1024
MULTIPART_THRESHOLD = 16 * 1024 * 1024  # bigger objects go up in parts (5 MiB at least each)
MAX_URL_EXPIRY = timedelta(days=7)  # the longest a SigV4 presigned URL may live


def s3_client(
    *,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> Any:
    """A boto3 S3 client. With `endpoint_url` (any store but AWS) it uses path-style addressing
    and sends checksums only where the API requires them, which every S3-compatible store
    accepts. Without keys, boto3's standard chain (environment, profile, instance role)."""
    options: dict[str, Any] = {
        "signature_version": "s3v4",
        "connect_timeout": 5,
        "read_timeout": 60,
        "retries": {"mode": "standard", "total_max_attempts": 3},
    }
    if endpoint_url:
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    known = {k: v for k, v in options.items() if k in Config.OPTION_DEFAULTS}  # older botocore
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(**known),
    )


class S3MediaStorage:
    """Implements `MediaStorage` on one bucket, under an optional key `prefix`. `url_for` is a
    presigned GET valid for `url_expiry`, or `public_base_url/<key>` for a public bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        url_expiry: timedelta = timedelta(hours=1),
        public_base_url: str | None = None,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if not timedelta(seconds=1) <= url_expiry <= MAX_URL_EXPIRY:
            raise ValueError("an S3 URL expiry must be between 1 second and 7 days")
        self._bucket = bucket
        self._prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._expiry_s = int(url_expiry.total_seconds())
        self._public = public_base_url.rstrip("/") if public_base_url else None
        self._where = endpoint_url or f"AWS ({region})"
        self._client = client or s3_client(
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
        self._transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, max_concurrency=4)

    def __repr__(self) -> str:
        where, prefix = self._where, self._prefix
        return f"S3MediaStorage(bucket={self._bucket!r}, at={where!r}, prefix={prefix!r})"

    def _object_key(self, key: str) -> str:
        full = self._prefix + key
        if (
            not key
            or key.startswith("/")
            or ".." in key.split("/")
            or len(full.encode()) > MAX_KEY_BYTES
        ):
            raise ValidationFailed(f"storage key {key!r} is not a valid object key")
        return full

    async def _call(self, key: str, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise translate(error, bucket=self._bucket, key=key, endpoint=self._where) from None

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        name = self._object_key(key)
        if len(data) < MULTIPART_THRESHOLD:
            await self._call(
                key,
                self._client.put_object,
                Bucket=self._bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
            )
        else:
            await self._call(
                key,
                self._client.upload_fileobj,
                io.BytesIO(data),
                self._bucket,
                name,
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            )
        return StoredObject(
            key=key, url=await self.url_for(key), size=len(data), content_type=content_type
        )

    async def url_for(self, key: str) -> str:
        name = self._object_key(key)
        if self._public:
            return f"{self._public}/{quote(name, safe='/')}"
        url: str = await self._call(
            key,
            self._client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self._bucket, "Key": name},
            ExpiresIn=self._expiry_s,
        )
        return url

    async def exists(self, key: str) -> bool:
        name = self._object_key(key)
        try:
            await asyncio.to_thread(self._client.head_object, Bucket=self._bucket, Key=name)
        except ClientError as error:
            if is_missing_key(error):
                return False
            raise translate(error, bucket=self._bucket, key=key, endpoint=self._where) from None
        except BotoCoreError as error:
            raise translate(error, bucket=self._bucket, key=key, endpoint=self._where) from None
        return True

    async def size(self, key: str) -> int:
        name = self._object_key(key)
        answer = await self._call(key, self._client.head_object, Bucket=self._bucket, Key=name)
        return int(answer["ContentLength"])

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        if length <= 0 or offset >= await self.size(key):  # S3 refuses a range past the end
            return b""
        return await self._body(key, Range=f"bytes={offset}-{offset + length - 1}")

    async def read(self, key: str) -> bytes:
        return await self._body(key)

    async def _body(self, key: str, **extra: str) -> bytes:
        name = self._object_key(key)
        answer = await self._call(
            key, self._client.get_object, Bucket=self._bucket, Key=name, **extra
        )
        body = answer["Body"]
        try:
            data: bytes = await self._call(key, body.read)
        finally:
            body.close()
        return data


__all__ = ["MAX_KEY_BYTES", "MULTIPART_THRESHOLD", "S3MediaStorage", "s3_client"]
