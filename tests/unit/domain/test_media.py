"""A stored result must look like an MP4 file of a sane size; anything else is refused."""

from __future__ import annotations

import pytest

from afp_adapters.fakes.video import fake_mp4
from afp_core.domain.errors import InvalidMedia
from afp_core.domain.media import check_mp4

FTYP = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def test_the_fake_renders_and_a_minimal_mp4_header_pass() -> None:
    check_mp4(fake_mp4("x"))
    check_mp4(FTYP)
    check_mp4(b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00" + b"\x00\x00\x00\x08free")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Access denied</body></html>", "'ftyp' box"),
        (b'{"code": 500, "msg": "internal error"}', "'ftyp' box"),
        (b"\x00\x00\x00\x18ftyp", "'ftyp' box"),  # cut short
        (b"\x00\x00\x00\x00ftypmp42\x00\x00\x00\x00mp42isom", "impossible size"),  # size 0
        (b"\x00\x00\x00\x01ftypmp42\x00\x00\x00\x00mp42isom", "impossible size"),  # 64-bit
        (b"\x00\x00\x01\x00ftypmp42\x00\x00\x00\x00mp42isom", "impossible size"),  # past the end
        (b"\x00\x00\x00\x13ftypmp42\x00\x00\x00\x00mp4", "impossible size"),  # not 4-aligned
        (b"\x00\x00\x00\x10ftyp\x00\xff<>\x00\x00\x00\x00", "no readable brand"),
    ],
)
def test_anything_but_an_mp4_header_is_refused_with_the_reason(data: bytes, why: str) -> None:
    with pytest.raises(InvalidMedia, match=why) as caught:
        check_mp4(data)
    assert caught.value.code == "invalid_media"


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_passes() -> None:
    data = fake_mp4("big")
    check_mp4(data, max_bytes=len(data))
    with pytest.raises(InvalidMedia, match="more than the"):
        check_mp4(data, max_bytes=len(data) - 1)
