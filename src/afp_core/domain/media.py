"""What a stored video result must look like: an MP4 (ISO-BMFF) file of a bounded size.

A provider that answers a download with an HTML error page, an empty body or something huge
must fail the video (and release its credits) instead of being stored and charged for.
"""

from __future__ import annotations

import string

from afp_core.domain.errors import InvalidMedia

MB = 1024 * 1024
DEFAULT_MAX_VIDEO_BYTES = 512 * MB
_FTYP_MIN = 16  # size, "ftyp", major brand, minor version
_FTYP_MAX = 4096  # a real ftyp lists a handful of 4-byte brands
_BRAND_CHARS = frozenset((string.ascii_letters + string.digits + " ").encode())


def check_mp4(data: bytes, *, max_bytes: int = DEFAULT_MAX_VIDEO_BYTES) -> None:
    """Raise `InvalidMedia` unless `data` starts like an MP4 file and fits in `max_bytes`.

    An ISO-BMFF file opens with an `ftyp` box: a big-endian 32-bit size, the type `ftyp`,
    a 4-character major brand, a 4-byte minor version and 4-byte compatible brands. Only the
    header is checked (playability is the renderer's promise), so this is cheap at any size.
    """
    if not data:
        raise InvalidMedia("the file is empty")
    if len(data) > max_bytes:
        raise InvalidMedia(f"the file is {len(data)} bytes, more than the {max_bytes} allowed")
    if len(data) < _FTYP_MIN or data[4:8] != b"ftyp":
        raise InvalidMedia("it does not start with an MP4 'ftyp' box")
    size = int.from_bytes(data[0:4], "big")
    if not (_FTYP_MIN <= size <= min(_FTYP_MAX, len(data))) or (size - _FTYP_MIN) % 4:
        raise InvalidMedia(f"its 'ftyp' box has an impossible size ({size})")
    if not set(data[8:12]) <= _BRAND_CHARS:
        raise InvalidMedia("its 'ftyp' box names no readable brand")


__all__ = ["DEFAULT_MAX_VIDEO_BYTES", "check_mp4"]
