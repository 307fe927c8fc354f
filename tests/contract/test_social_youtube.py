"""`YouTubePublisher` against Google's recorded answers (offline, through `httpx.MockTransport`)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from afp_adapters.social import YouTubePublisher
from afp_adapters.social.youtube import READONLY_SCOPE, UPLOAD_SCOPE, youtube_title
from afp_core.domain.errors import (
    ProviderRejected,
    ProviderUnavailable,
    ReconnectRequired,
    ValidationFailed,
)
from afp_core.domain.social import OAuthTokens
from afp_core.ports.social import PublishState
from tests.contract.social_helpers import (
    NOW,
    SECRET_REFRESH,
    SECRET_TOKEN,
    Check,
    MemoryVideo,
    Script,
    assert_no_secret,
    bearer,
    both,
    fixture,
    form_of,
    json_of,
    publish_request,
    split_url,
    video_bytes,
)
from tests.shared_fixtures import SHARED, needs

TOKEN = "https://oauth2.googleapis.com/token"
REVOKE = "https://oauth2.googleapis.com/revoke"
INSERT = "https://www.googleapis.com/upload/youtube/v3/videos"
VIDEOS = "https://www.googleapis.com/youtube/v3/videos"
CHANNELS = "https://www.googleapis.com/youtube/v3/channels"
SESSION = "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=U1"
SESSION_PATH = "https://www.googleapis.com/upload/youtube/v3/videos"
REDIRECT = "https://app.afp.example/auth/oauth/youtube/callback"
KIB256 = 256 * 1024
SIZE = 2 * KIB256 + 1000
TOKENS = OAuthTokens(
    access_token=SECRET_TOKEN,
    refresh_token=SECRET_REFRESH,
    expires_at=NOW + timedelta(hours=1),
    scopes=(UPLOAD_SCOPE, READONLY_SCOPE),
    account_id="UC123",
    account_name="Demo channel",
)

pytestmark = needs(SHARED / "youtube")


def publisher(script: Script, **options: object) -> YouTubePublisher:
    return YouTubePublisher(
        client_id="cid-1",
        client_secret="csec-1",
        transport=script.transport,
        now=lambda: NOW,
        **{"chunk_size": KIB256, "chunks_per_step": 2, **options},  # type: ignore[arg-type]
    )


def probe(size: int = SIZE) -> Check:
    def check(request: httpx.Request) -> None:
        assert str(request.url) == SESSION
        assert request.headers["Content-Range"] == f"bytes */{size}"
        assert request.headers["Content-Length"] == "0"
        assert request.content == b""
        bearer()(request)

    return check


def chunk(video: MemoryVideo, first: int, last: int) -> Check:
    def check(request: httpx.Request) -> None:
        assert str(request.url) == SESSION
        assert request.headers["Content-Range"] == f"bytes {first}-{last}/{len(video.data)}"
        assert request.headers["Content-Type"] == "video/mp4"
        assert request.content == video.data[first : last + 1]

    return check


def held(last: int) -> dict[str, str]:
    return {"Range": f"bytes=0-{last}"}


# ---------------------------------------------------------------------- OAuth


def test_the_authorization_url_is_offline_with_consent_pkce_and_both_scopes() -> None:
    url = publisher(Script()).authorization_url(
        state="st-1", code_challenge="challenge-1", redirect_uri=REDIRECT
    )
    address, query = split_url(url)
    assert address == ("https://accounts.google.com/o/oauth2/v2/auth")
    assert query == {
        "client_id": "cid-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": f"{READONLY_SCOPE} {UPLOAD_SCOPE}",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": "st-1",
        "code_challenge": "challenge-1",
        "code_challenge_method": "S256",
    }


async def test_the_code_exchange_returns_tokens_and_the_channel() -> None:
    answer = {
        "access_token": SECRET_TOKEN,
        "expires_in": 3599,
        "refresh_token": SECRET_REFRESH,
        "scope": f"{UPLOAD_SCOPE} {READONLY_SCOPE}",
        "token_type": "Bearer",
    }

    def token_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "code": "code-1",
            "client_id": "cid-1",
            "client_secret": "csec-1",
            "redirect_uri": REDIRECT,
            "grant_type": "authorization_code",
            "code_verifier": "verifier-1",
        }

    channels = {"items": [{"id": "UC123", "snippet": {"title": "Demo channel"}}]}
    script = (
        Script()
        .expect("POST", TOKEN, body=answer, check=token_form)
        .expect(
            "GET",
            CHANNELS,
            body=channels,
            check=both(bearer(), lambda r: _params(r, part="snippet", mine="true")),
        )
    )
    tokens = await publisher(script).exchange_code(
        code="code-1", code_verifier="verifier-1", redirect_uri=REDIRECT
    )
    assert tokens.expires_at == NOW + timedelta(seconds=3599)
    assert tokens.scopes == (UPLOAD_SCOPE, READONLY_SCOPE)
    assert (tokens.account_id, tokens.account_name) == ("UC123", "Demo channel")
    assert tokens.refresh_token == SECRET_REFRESH
    script.assert_done()


async def test_an_account_without_a_channel_cannot_connect() -> None:
    answer = {"access_token": "a", "expires_in": 3599, "scope": READONLY_SCOPE}
    script = Script().expect("POST", TOKEN, body=answer).expect("GET", CHANNELS, body={"items": []})
    with pytest.raises(ProviderRejected, match="no YouTube channel"):
        await publisher(script).exchange_code(code="c", code_verifier="v", redirect_uri=REDIRECT)


async def test_a_refresh_keeps_the_refresh_token_google_does_not_resend() -> None:
    def refresh_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "client_id": "cid-1",
            "client_secret": "csec-1",
            "grant_type": "refresh_token",
            "refresh_token": SECRET_REFRESH,
        }

    answer = {"access_token": "ya29.new", "expires_in": 3599, "scope": UPLOAD_SCOPE}
    script = Script().expect("POST", TOKEN, body=answer, check=refresh_form)
    fresh = await publisher(script).refresh(TOKENS)
    assert (fresh.access_token, fresh.refresh_token) == ("ya29.new", SECRET_REFRESH)
    assert fresh.expires_at == NOW + timedelta(seconds=3599)
    assert (fresh.account_id, fresh.account_name) == ("UC123", "Demo channel")


async def test_a_revoked_or_expired_refresh_token_asks_for_a_reconnect() -> None:
    body = fixture("youtube", "google_oauth_refresh_invalid_grant_400_real.json")
    script = Script().expect("POST", TOKEN, status=400, body=body)
    with pytest.raises(ReconnectRequired, match="Token has been expired or revoked") as caught:
        await publisher(script).refresh(TOKENS)
    assert_no_secret(caught.value)


def test_a_refresh_is_due_five_minutes_before_expiry() -> None:
    youtube = publisher(Script())
    expiry = TOKENS.expires_at
    assert expiry is not None
    assert not youtube.refresh_due(TOKENS, expiry - timedelta(minutes=10))
    assert youtube.refresh_due(TOKENS, expiry - timedelta(minutes=4))


async def test_revoke_sends_the_refresh_token_to_google() -> None:
    script = Script().expect(
        "POST", REVOKE, check=lambda r: _equal(form_of(r), {"token": SECRET_REFRESH})
    )
    await publisher(script).revoke(TOKENS)
    script.assert_done()


# ---------------------------------------------------------------------- publishing


def test_titles_are_trimmed_to_100_characters_without_angle_brackets() -> None:
    assert youtube_title("", "Best <serum> ever\nsecond line") == "Best serum ever"
    assert len(youtube_title("word " * 40, "")) <= 100
    with pytest.raises(ValidationFailed):
        youtube_title("", "  ")


async def test_an_upload_runs_in_chunks_to_a_processed_short() -> None:
    video = MemoryVideo(video_bytes(SIZE))
    caption = "Serum drop <3 " + "ü" * 6000  # 2 bytes each: far past 5000 bytes

    def start(request: httpx.Request) -> None:
        _params(request, uploadType="resumable", part="snippet,status")
        assert request.headers["X-Upload-Content-Length"] == str(SIZE)
        assert request.headers["X-Upload-Content-Type"] == "video/mp4"
        assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
        body = json_of(request)
        assert body["snippet"]["title"] == "Serum launch"
        description = body["snippet"]["description"]
        assert len(description.encode()) <= 5000
        assert description.startswith("Serum drop 3 ")
        assert body["status"] == {
            "privacyStatus": "private",
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": True,
        }

    def processing(upload: str, state: str) -> dict[str, object]:
        return {
            "items": [
                {
                    "id": "vid1",
                    "status": {"uploadStatus": upload, "privacyStatus": "private"},
                    "processingDetails": {"processingStatus": state},
                }
            ]
        }

    script = (
        Script()
        .expect("POST", INSERT, headers={"Location": SESSION}, check=both(bearer(), start))
        .expect("PUT", SESSION_PATH, status=308, check=probe())
        .expect(
            "PUT",
            SESSION_PATH,
            status=308,
            headers=held(KIB256 - 1),
            check=chunk(video, 0, KIB256 - 1),
        )
        .expect(
            "PUT",
            SESSION_PATH,
            status=308,
            headers=held(2 * KIB256 - 1),
            check=chunk(video, KIB256, 2 * KIB256 - 1),
        )
        .expect("PUT", SESSION_PATH, status=308, headers=held(2 * KIB256 - 1), check=probe())
        .expect(
            "PUT",
            SESSION_PATH,
            status=201,
            body={"id": "vid1", "kind": "youtube#video"},
            check=chunk(video, 2 * KIB256, SIZE - 1),
        )
        .expect("GET", VIDEOS, body=processing("uploaded", "processing"), check=bearer())
        .expect("GET", VIDEOS, body=processing("processed", "succeeded"))
    )
    youtube = publisher(script)
    request = publish_request(video, caption=caption, title="Serum <launch>")

    ref = await youtube.begin_publish(TOKENS, request)
    assert ref == SESSION
    first = await youtube.advance_publish(TOKENS, ref, request)
    assert (first.state, first.ref) == (PublishState.PROCESSING, None)
    second = await youtube.advance_publish(TOKENS, ref, request)
    assert (second.state, second.ref) == (PublishState.PROCESSING, "video:vid1")
    third = await youtube.advance_publish(TOKENS, "video:vid1", request)
    assert third.state is PublishState.PROCESSING
    done = await youtube.advance_publish(TOKENS, "video:vid1", request)
    assert done.state is PublishState.PUBLISHED
    assert (done.provider_post_id, done.post_url) == ("vid1", "https://youtube.com/shorts/vid1")
    _params(script.seen[-1], part="status,processingDetails", id="vid1")
    script.assert_done()


@pytest.mark.parametrize("failure", [httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError])
async def test_an_interrupted_upload_resumes_from_the_servers_offset_without_a_new_session(
    failure: type[httpx.TransportError],
) -> None:
    video = MemoryVideo(video_bytes(SIZE))
    script = (
        Script()
        .expect("PUT", SESSION_PATH, status=308, check=probe())
        .expect(
            "PUT",
            SESSION_PATH,
            status=308,
            headers=held(KIB256 - 1),
            check=chunk(video, 0, KIB256 - 1),
        )
        .expect("PUT", SESSION_PATH, error=failure, check=chunk(video, KIB256, 2 * KIB256 - 1))
        # the next step asks first: the server kept only the first chunk
        .expect("PUT", SESSION_PATH, status=308, headers=held(KIB256 - 1), check=probe())
        .expect(
            "PUT",
            SESSION_PATH,
            status=308,
            headers=held(2 * KIB256 - 1),
            check=chunk(video, KIB256, 2 * KIB256 - 1),
        )
        .expect(
            "PUT",
            SESSION_PATH,
            status=200,
            body={"id": "vid9"},
            check=chunk(video, 2 * KIB256, SIZE - 1),
        )
    )
    youtube = publisher(script, chunks_per_step=3)
    request = publish_request(video)
    with pytest.raises(ProviderUnavailable, match="resumes from the session's offset") as caught:
        await youtube.advance_publish(TOKENS, SESSION, request)
    assert_no_secret(caught.value)
    status = await youtube.advance_publish(TOKENS, SESSION, request)
    assert (status.state, status.ref) == (PublishState.PROCESSING, "video:vid9")
    assert script.count("POST", INSERT) == 0
    assert video.reads == [
        (0, KIB256),
        (KIB256, KIB256),
        (KIB256, KIB256),
        (2 * KIB256, 1000),
    ]
    script.assert_done()


async def test_a_5xx_on_a_chunk_is_retryable_and_the_next_step_probes_first() -> None:
    video = MemoryVideo(video_bytes(SIZE))
    script = (
        Script()
        .expect("PUT", SESSION_PATH, status=308, headers=held(2 * KIB256 - 1), check=probe())
        .expect("PUT", SESSION_PATH, status=503)
    )
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        await publisher(script).advance_publish(TOKENS, SESSION, publish_request(video))
    assert video.reads == [(2 * KIB256, 1000)]


async def test_an_upload_the_server_already_finished_is_picked_up_by_the_probe() -> None:
    script = Script().expect("PUT", SESSION_PATH, status=201, body={"id": "vid3"}, check=probe())
    status = await publisher(script).advance_publish(
        TOKENS, SESSION, publish_request(MemoryVideo(video_bytes(SIZE)))
    )
    assert (status.state, status.ref) == (PublishState.PROCESSING, "video:vid3")


@pytest.mark.parametrize("code", [404, 410])
async def test_an_expired_upload_session_fails_the_post_without_starting_another(code: int) -> None:
    script = Script().expect("PUT", SESSION_PATH, status=code)
    status = await publisher(script).advance_publish(
        TOKENS, SESSION, publish_request(MemoryVideo(video_bytes(SIZE)))
    )
    assert status.state is PublishState.FAILED
    assert "expired" in status.error
    assert script.count("POST", INSERT) == 0


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"uploadStatus": "rejected", "rejectionReason": "duplicate"}, "duplicate"),
        ({"uploadStatus": "failed", "failureReason": "codec"}, "codec"),
        ({"uploadStatus": "deleted"}, "deleted"),
    ],
)
async def test_a_rejected_or_failed_video_fails_the_post(item: dict[str, str], words: str) -> None:
    script = Script().expect("GET", VIDEOS, body={"items": [{"id": "v", "status": item}]})
    status = await publisher(script).advance_publish(
        TOKENS, "video:v", publish_request(MemoryVideo(b"x"))
    )
    assert status.state is PublishState.FAILED
    assert words in status.error


@pytest.mark.parametrize(
    ("name", "status", "expected", "words"),
    [
        (
            "youtube_error_quota_exceeded_403_real.json",
            403,
            ProviderUnavailable,
            "quotaExceeded.*midnight Pacific",
        ),
        (
            "youtube_error_daily_limit_exceeded_403_legacy_real.json",
            403,
            ProviderUnavailable,
            "dailyLimitExceeded.*midnight Pacific",
        ),
        (
            "youtube_error_upload_limit_exceeded_400_real.json",
            400,
            ProviderRejected,
            "uploadLimitExceeded.*upload limit",
        ),
        ("youtube_error_auth_error_401_partial_real.json", 401, ReconnectRequired, "authError"),
    ],
)
async def test_recorded_errors_on_the_session_start_map_to_domain_errors(
    name: str, status: int, expected: type[Exception], words: str
) -> None:
    script = Script().expect("POST", INSERT, status=status, body=fixture("youtube", name))
    with pytest.raises(expected, match=words) as caught:
        await publisher(script).begin_publish(TOKENS, publish_request(MemoryVideo(b"x")))
    assert "<a href" not in str(caught.value)
    assert_no_secret(caught.value)


async def test_an_expired_token_on_the_status_read_asks_for_a_reconnect() -> None:
    body = fixture("youtube", "youtube_error_auth_error_401_partial_real.json")
    script = Script().expect("GET", VIDEOS, status=401, body=body)
    with pytest.raises(ReconnectRequired):
        await publisher(script).advance_publish(
            TOKENS, "video:v", publish_request(MemoryVideo(b"x"))
        )


async def test_a_privacy_youtube_does_not_know_is_refused_before_any_call() -> None:
    with pytest.raises(ValidationFailed):
        await publisher(Script()).begin_publish(
            TOKENS, publish_request(MemoryVideo(b"x"), privacy="friends")
        )


def _params(request: httpx.Request, **expected: str) -> None:
    for key, value in expected.items():
        assert request.url.params[key] == value


def _equal(actual: object, expected: object) -> None:
    assert actual == expected
