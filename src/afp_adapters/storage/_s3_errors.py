"""How `S3MediaStorage` reads boto3's failures: as the domain errors the pipeline acts on.

Messages name the setting to check and never repeat the request (a presigned URL or a header
could carry a signature): only the bucket, the endpoint and the store's error code.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from afp_core.domain.errors import DomainError, NotFound, ProviderRejected, ProviderUnavailable

CREDENTIALS = "AFP_S3_ACCESS_KEY_ID / AFP_S3_SECRET_ACCESS_KEY"
_MISSING_KEY = frozenset({"404", "NoSuchKey", "NotFound"})
_MISSING_BUCKET = frozenset({"NoSuchBucket"})
_DENIED = frozenset(
    {
        "403",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "AccountProblem",
    }
)
_WRONG_REGION = frozenset({"301", "PermanentRedirect", "AuthorizationHeaderMalformed"})
_PASSING = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "ServiceUnavailable",
        "InternalError",
        "TooManyRequests",
    }
)


def code_of(error: ClientError) -> tuple[str, int]:
    """The store's error code and HTTP status (a HEAD answer has no body: the status is the
    code)."""
    response = error.response
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return str(response.get("Error", {}).get("Code") or status), status


def is_missing_key(error: ClientError) -> bool:
    code, _ = code_of(error)
    return code in _MISSING_KEY


def translate(error: Exception, *, bucket: str, key: str, endpoint: str) -> DomainError:
    """The domain error for a failed call on `bucket` (at `endpoint`) about `key`."""
    where = f"S3 bucket {bucket!r} at {endpoint}"
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return ProviderRejected(
            f"no S3 credentials for {where}: set {CREDENTIALS} "
            "(or the standard AWS credential chain)"
        )
    if isinstance(error, ClientError):
        code, status = code_of(error)
        if code in _MISSING_KEY:
            return NotFound(f"no stored object {key!r}")
        if code in _MISSING_BUCKET:
            return ProviderRejected(f"{where} does not exist ({code}): check AFP_STORAGE_URL")
        if code in _DENIED or status == 403:
            return ProviderRejected(
                f"{where} refused access ({code}): check {CREDENTIALS} and the bucket's permissions"
            )
        if code in _WRONG_REGION or status == 301:
            return ProviderRejected(
                f"{where} is in another region ({code}): check `region=` in AFP_STORAGE_URL"
            )
        if code in _PASSING or status == 429 or status >= 500:
            return ProviderUnavailable(f"{where} is unavailable ({code}, HTTP {status})")
        return ProviderRejected(f"{where} refused the request ({code}, HTTP {status})")
    if isinstance(error, BotoCoreError):  # connection refused, timeouts, dropped connections
        return ProviderUnavailable(f"{where} cannot be reached ({type(error).__name__})")
    return ProviderUnavailable(f"{where} failed ({type(error).__name__})")


__all__ = ["CREDENTIALS", "code_of", "is_missing_key", "translate"]
