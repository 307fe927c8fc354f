"""Downloading a result: size cap, classification, one re-minted link for expired URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from afp_adapters.fakes import fake_mp4
from afp_adapters.kie._download import looks_like_video
from afp_core.domain.errors import DomainError, ProviderRejected, ProviderUnavailable
from tests.unit.kie._support import Kie, Reply, broken_gzip, envelope, ok

MP4 = fake_mp4("kie download")
RESULT = "https://tempfile.aiquickdraw.com/p/v1.mp4"
FRESH = "https://tempfile.aiquickdraw.com/p/v1.mp4?token=fresh"


async def test_a_live_url_is_downloaded_without_the_api_key(kie: Kie) -> None:
    generator, replay = kie(httpx.Response(200, content=MP4))
    assert await generator.download(RESULT) == MP4
    sent = replay.requests[0]
    assert str(sent.url) == RESULT
    assert "authorization" not in sent.headers
    assert sent.extensions["timeout"]["read"] == 120.0


@pytest.mark.parametrize("expired", [401, 403, 404, 410])
async def test_an_expired_url_is_reminted_then_fetched_once(kie: Kie, expired: int) -> None:
    generator, replay = kie(
        httpx.Response(expired, text="AccessDenied"),
        ok(FRESH),
        httpx.Response(200, content=MP4),
    )
    assert await generator.download(RESULT) == MP4
    remint = replay.requests[1]
    assert (remint.url.path, replay.body(1)) == ("/api/v1/common/download-url", {"url": RESULT})
    assert remint.headers["authorization"] == "Bearer kie-test-key"
    assert str(replay.requests[2].url) == FRESH


async def test_a_non_video_answer_counts_as_expired_too(kie: Kie) -> None:
    generator, replay = kie(
        httpx.Response(200, text="<html>link expired</html>"),
        ok(FRESH),
        httpx.Response(200, content=MP4),
    )
    assert await generator.download(RESULT) == MP4
    assert len(replay.requests) == 3


async def test_a_reminted_link_that_fails_too_is_rejected_without_a_third_try(kie: Kie) -> None:
    generator, replay = kie(
        httpx.Response(403),
        ok(FRESH),
        httpx.Response(200, text="not a video at all"),  # the endpoint "works" for made-up URLs
    )
    with pytest.raises(ProviderRejected, match="re-issued"):
        await generator.download(RESULT)
    assert len(replay.requests) == 3


@pytest.mark.parametrize(
    ("remint", "error"),
    [
        (envelope(422, "external URL"), ProviderRejected),
        (envelope(500, "Server Error"), ProviderUnavailable),
        (ok(None), ProviderUnavailable),
        (httpx.ConnectError("refused"), ProviderUnavailable),
    ],
)
async def test_remint_failures_are_classified(
    kie: Kie, remint: httpx.Response | Exception, error: type[DomainError]
) -> None:
    generator, _ = kie(httpx.Response(403), remint)
    with pytest.raises(error):
        await generator.download(RESULT)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.Response(503), ProviderUnavailable),
        (httpx.Response(429), ProviderUnavailable),
        (httpx.ReadTimeout("slow"), ProviderUnavailable),
        (httpx.Response(400), ProviderRejected),
    ],
)
async def test_download_failures_are_classified_without_reminting(
    kie: Kie, reply: httpx.Response | Exception, error: type[DomainError]
) -> None:
    generator, replay = kie(reply)
    with pytest.raises(error):
        await generator.download(RESULT)
    assert len(replay.requests) == 1


async def test_an_oversized_video_is_refused_by_its_declared_length(kie: Kie) -> None:
    big = httpx.Response(200, content=MP4, headers={"Content-Length": "999999"})
    generator, _ = kie(big, max_download_bytes=1000)
    with pytest.raises(ProviderRejected, match="999999 bytes"):
        await generator.download(RESULT)


async def test_an_oversized_stream_is_cut_off(kie: Kie) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield MP4
        for _ in range(10):
            yield b"\x00" * 100

    generator, _ = kie(httpx.Response(200, content=chunks()), max_download_bytes=500)
    with pytest.raises(ProviderRejected, match="larger than"):
        await generator.download(RESULT)


async def test_a_non_http_url_is_refused(kie: Kie) -> None:
    generator, replay = kie()
    with pytest.raises(ProviderRejected, match="not an http"):
        await generator.download("file:///etc/passwd")
    assert replay.requests == []


def test_video_sniffing() -> None:
    assert looks_like_video(MP4)
    assert looks_like_video(b"\x1a\x45\xdf\xa3" + b"\x00" * 20)
    assert not looks_like_video(b"<html>" + b" " * 20)
    assert not looks_like_video(b"")


def redirect_to_itself() -> httpx.Response:
    return httpx.Response(302, headers={"location": RESULT})


@pytest.mark.parametrize(
    ("replies", "words"),
    [
        ((broken_gzip,), "DecodingError"),
        ((redirect_to_itself,) * 25, "TooManyRedirects"),
        ((httpx.RemoteProtocolError("peer closed"),), "RemoteProtocolError"),
    ],
)
async def test_httpx_failures_of_the_file_host_are_unavailable(
    kie: Kie, replies: tuple[Reply, ...], words: str
) -> None:
    generator, _ = kie(*replies)
    with pytest.raises(ProviderUnavailable, match=words) as raised:
        await generator.download(RESULT)
    assert type(raised.value) is ProviderUnavailable


@pytest.mark.parametrize("url", ["http://[::1", "https://xn--/v.mp4", "http://a\x00b/v.mp4"])
async def test_a_malformed_result_url_is_rejected_not_raised_raw(kie: Kie, url: str) -> None:
    generator, replay = kie()
    with pytest.raises(ProviderRejected, match="not a valid URL"):
        await generator.download(url)
    assert replay.requests == []


async def test_a_malformed_reminted_url_is_rejected(kie: Kie) -> None:
    generator, replay = kie(httpx.Response(403), ok("https://xn--/fresh.mp4"))
    with pytest.raises(ProviderRejected, match="not a valid URL"):
        await generator.download(RESULT)
    assert len(replay.requests) == 2


@pytest.mark.parametrize(
    ("remint", "words"),
    [
        (envelope(401, "Unauthorized"), "AFP_KIE_API_KEY"),
        (envelope(402, "credits insufficient"), "out of credits"),
        (envelope(433, "usage cap"), "usage cap"),
        (httpx.Response(403, text="error code: 1010"), "Cloudflare"),
        (httpx.Response(400, text="<html>Bad Request: policy</html>"), "not Kie's JSON"),
        (envelope(500, "This field is required"), "500"),
        (broken_gzip, "DecodingError"),
    ],
)
async def test_remint_answers_that_may_pass_are_unavailable(
    kie: Kie, remint: Reply, words: str
) -> None:
    # our key refused while re-issuing a link is not the video's failure: poll again later
    generator, _ = kie(httpx.Response(403), remint)
    with pytest.raises(ProviderUnavailable, match=words) as raised:
        await generator.download(RESULT)
    assert type(raised.value) is ProviderUnavailable
