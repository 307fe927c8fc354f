"""Media storage: local files (the embedded default) and, with the `s3` extra,
`afp_adapters.storage.s3.S3MediaStorage` (imported from there: it needs boto3)."""

from afp_adapters.storage.local import LocalFileStorage, media_signature, verify_media_url

__all__ = ["LocalFileStorage", "media_signature", "verify_media_url"]
