"""`TikTokPublisher` against TikTok's recorded answers (offline, through `httpx.MockTransport`)."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx
import pytest

from afp_adapters.social import TikTokPublisher, UploadMode
from afp_adapters.social.tiktok import choose_privacy, chunk_plan
from afp_core.domain.errors import (
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    ReconnectRequired,
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

API = "https://open.tiktokapis.com"
TOKEN = f"{API}/v2/oauth/token/"
CREATOR = f"{API}/v2/post/publish/creator_info/query/"
INIT = f"{API}/v2/post/publish/video/init/"
STATUS = f"{API}/v2/post/publish/status/fetch/"
UPLOAD = "https://open-upload.tiktokapis.com/video/"
REDIRECT = "https://app.afp.example/auth/oauth/tiktok/callback"
MIB = 1024 * 1024
TOKENS = OAuthTokens(
    access_token=SECRET_TOKEN,
    refresh_token=SECRET_REFRESH,
    expires_at=NOW + timedelta(hours=2),
    scopes=("user.info.basic", "video.publish"),
    account_id="open-1",
    account_name="Demo",
)
# Token answer shaped as doc § 2.3 (no token exchange was recorded).
TOKEN_ANSWER = {
    "open_id": "open-1",
    "scope": "user.info.basic,video.publish",
    "access_token": SECRET_TOKEN,
    "expires_in": 86400,
    "refresh_token": SECRET_REFRESH,
    "refresh_expires_in": 31536000,
    "token_type": "Bearer",
}
OK = {"code": "ok", "message": "", "log_id": "log-1"}

pytestmark = needs(SHARED / "tiktok")


def publisher(script: Script, **options: object) -> TikTokPublisher:
    return TikTokPublisher(
        client_key="ck-1",
        client_secret="cs-1",
        transport=script.transport,
        now=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


def rfc_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# ---------------------------------------------------------------------- OAuth


def test_the_authorization_url_asks_for_the_publish_scopes_with_a_hex_pkce_challenge() -> None:
    verifier = "v" * 64
    url = publisher(Script()).authorization_url(
        state="st-1", code_challenge=rfc_challenge(verifier), redirect_uri=REDIRECT
    )
    address, query = split_url(url)
    assert address == "https://www.tiktok.com/v2/auth/authorize/"
    assert query == {
        "client_key": "ck-1",
        "response_type": "code",
        "scope": "user.info.basic,video.publish",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "code_challenge": hashlib.sha256(verifier.encode()).hexdigest(),
        "code_challenge_method": "S256",
    }


def test_without_pkce_the_url_carries_no_challenge_and_the_exchange_no_verifier() -> None:
    url = publisher(Script(), pkce=False).authorization_url(
        state="s", code_challenge="abc", redirect_uri=REDIRECT
    )
    assert "code_challenge" not in url


async def test_the_code_exchange_returns_tokens_with_expiry_scopes_and_the_account() -> None:
    def token_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "client_key": "ck-1",
            "client_secret": "cs-1",
            "code": "code-1",
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code_verifier": "verifier-1",
        }

    def user_query(request: httpx.Request) -> None:
        assert request.url.params["fields"] == "open_id,union_id,avatar_url,display_name"

    user = {"data": {"user": {"open_id": "open-1", "display_name": "Demo Shop"}}, "error": OK}
    script = (
        Script()
        .expect("POST", TOKEN, body=TOKEN_ANSWER, check=token_form)
        .expect("GET", f"{API}/v2/user/info/", body=user, check=both(bearer(), user_query))
    )
    tokens = await publisher(script).exchange_code(
        code="code-1", code_verifier="verifier-1", redirect_uri=REDIRECT
    )
    assert tokens.access_token == SECRET_TOKEN
    assert tokens.refresh_token == SECRET_REFRESH
    assert tokens.expires_at == NOW + timedelta(seconds=86400)
    assert tokens.scopes == ("user.info.basic", "video.publish")
    assert (tokens.account_id, tokens.account_name) == ("open-1", "Demo Shop")
    assert SECRET_TOKEN not in repr(tokens)
    script.assert_done()


async def test_a_refused_pkce_challenge_at_the_exchange_is_a_rejection() -> None:
    script = Script().expect(
        "POST", TOKEN, body=fixture("tiktok", "tiktok_oauth_error_pkce_invalid.json")
    )
    with pytest.raises(ProviderRejected, match="Code verifier or code challenge is invalid"):
        await publisher(script).exchange_code(code="c", code_verifier="v", redirect_uri=REDIRECT)


async def test_a_refresh_returns_the_rotated_refresh_token() -> None:
    answer = {
        **TOKEN_ANSWER,
        "access_token": "act.new",
        "refresh_token": "rft.new",
        "expires_in": 7200,
    }

    def refresh_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "client_key": "ck-1",
            "client_secret": "cs-1",
            "grant_type": "refresh_token",
            "refresh_token": SECRET_REFRESH,
        }

    script = Script().expect("POST", TOKEN, body=answer, check=refresh_form)
    fresh = await publisher(script).refresh(TOKENS)
    assert (fresh.access_token, fresh.refresh_token) == ("act.new", "rft.new")
    assert fresh.expires_at == NOW + timedelta(hours=2)
    assert (fresh.account_id, fresh.account_name) == ("open-1", "Demo")


async def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one() -> None:
    answer = {"access_token": "act.new", "expires_in": 7200, "scope": "video.publish"}
    script = Script().expect("POST", TOKEN, body=answer)
    fresh = await publisher(script).refresh(TOKENS)
    assert fresh.refresh_token == SECRET_REFRESH


@pytest.mark.parametrize("code", ["invalid_grant", "access_denied"])
async def test_a_revoked_or_expired_grant_on_refresh_asks_for_a_reconnect(code: str) -> None:
    body = {
        "error": code,
        "error_description": "Refresh token is invalid or expired.",
        "log_id": "x",
    }
    script = Script().expect("POST", TOKEN, status=400, body=body)
    with pytest.raises(ReconnectRequired) as caught:
        await publisher(script).refresh(TOKENS)
    assert_no_secret(caught.value)


def test_a_refresh_is_due_five_minutes_before_expiry() -> None:
    tiktok = publisher(Script())
    expiry = TOKENS.expires_at
    assert expiry is not None
    assert not tiktok.refresh_due(TOKENS, expiry - timedelta(minutes=6))
    assert tiktok.refresh_due(TOKENS, expiry - timedelta(minutes=5))
    assert tiktok.refresh_due(TOKENS, expiry + timedelta(minutes=1))
    assert not tiktok.refresh_due(OAuthTokens(access_token="a"), NOW)


async def test_revoke_posts_the_access_token_to_the_revoke_endpoint() -> None:
    def revoke_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "client_key": "ck-1",
            "client_secret": "cs-1",
            "token": SECRET_TOKEN,
        }

    script = Script().expect(
        "POST",
        f"{API}/v2/oauth/revoke/",
        body=fixture("tiktok", "tiktok_revoke_200.json"),
        check=revoke_form,
    )
    await publisher(script).revoke(TOKENS)
    script.assert_done()


# ---------------------------------------------------------------------- publishing


def test_chunks_follow_tiktoks_floor_rule() -> None:
    assert chunk_plan(50_000_123, 10_000_000) == (10_000_000, 5)
    assert chunk_plan(3 * MIB, 10 * MIB) == (3 * MIB, 1)
    assert chunk_plan(12 * MIB, 5 * MIB) == (5 * MIB, 2)


def test_privacy_is_the_wish_when_offered_else_the_most_private_option() -> None:
    offered = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert choose_privacy("PUBLIC_TO_EVERYONE", offered) == "PUBLIC_TO_EVERYONE"
    assert choose_privacy(None, offered) == "SELF_ONLY"
    assert choose_privacy("FOLLOWER_OF_CREATOR", offered) == "SELF_ONLY"
    assert choose_privacy(None, ["PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR"]) == (
        "FOLLOWER_OF_CREATOR"
    )
    with pytest.raises(ProviderRejected):
        choose_privacy(None, [])


async def test_a_file_upload_publish_runs_from_creator_info_to_the_published_post() -> None:
    video = MemoryVideo(video_bytes(12 * MIB))
    caption = "Glow serum 😀 " * 300  # far past 2200 UTF-16 units
    init_answer = fixture("tiktok", "tiktok_video_init_direct_file_upload_200.json")
    upload_url = init_answer["data"]["upload_url"]

    def init_body(request: httpx.Request) -> None:
        assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
        body = json_of(request)
        info = body["post_info"]
        assert len(info["title"].encode("utf-16-le")) // 2 <= 2200
        assert caption.startswith(info["title"])
        assert info["privacy_level"] == "SELF_ONLY"  # nothing asked: the most private
        assert info["is_aigc"] is True
        assert info["disable_stitch"] is True  # the creator disabled stitch
        assert (info["disable_comment"], info["disable_duet"]) == (False, False)
        assert (info["brand_content_toggle"], info["brand_organic_toggle"]) == (False, False)
        assert body["source_info"] == {
            "source": "FILE_UPLOAD",
            "video_size": 12 * MIB,
            "chunk_size": 5 * MIB,
            "total_chunk_count": 2,
        }

    def chunk(first: int, last: int) -> Check:
        def check(request: httpx.Request) -> None:
            assert str(request.url) == upload_url
            assert request.headers["Content-Range"] == f"bytes {first}-{last}/{12 * MIB}"
            assert request.headers["Content-Type"] == "video/mp4"
            assert "Authorization" not in request.headers
            assert request.content == video.data[first : last + 1]

        return check

    complete = {
        "data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7301234567890]},
        "error": OK,
    }
    script = (
        Script()
        .expect(
            "POST",
            CREATOR,
            body=fixture("tiktok", "tiktok_creator_info_query_200.json"),
            check=bearer(),
        )
        .expect("POST", INIT, body=init_answer, check=both(bearer(), init_body))
        .expect("PUT", UPLOAD, status=206, check=chunk(0, 5 * MIB - 1))
        .expect("PUT", UPLOAD, status=201, check=chunk(5 * MIB, 12 * MIB - 1))
        .expect("POST", STATUS, body={"data": {"status": "PROCESSING_UPLOAD"}, "error": OK})
        .expect("POST", STATUS, body=complete)
        .expect("POST", CREATOR, body=fixture("tiktok", "tiktok_creator_info_query_200.json"))
    )
    tiktok = publisher(script, chunk_size=5 * MIB, chunks_per_step=1)
    request = publish_request(video, caption=caption)

    ref = await tiktok.begin_publish(TOKENS, request)
    assert ref == f"v_pub_file~v2-1.123456789 0 {upload_url}"
    first = await tiktok.advance_publish(TOKENS, ref, request)
    assert first.state is PublishState.PROCESSING
    assert first.ref == f"v_pub_file~v2-1.123456789 {5 * MIB} {upload_url}"
    assert first.ref is not None
    second = await tiktok.advance_publish(TOKENS, first.ref, request)
    assert (second.state, second.ref) == (PublishState.PROCESSING, "v_pub_file~v2-1.123456789")
    assert second.ref is not None
    third = await tiktok.advance_publish(TOKENS, second.ref, request)
    assert third.state is PublishState.PROCESSING
    done = await tiktok.advance_publish(TOKENS, second.ref, request)
    assert done.state is PublishState.PUBLISHED
    assert done.provider_post_id == "7301234567890"
    assert done.post_url == "https://www.tiktok.com/@tiktok/video/7301234567890"
    assert json_of(script.seen[4]) == {"publish_id": "v_pub_file~v2-1.123456789"}
    assert video.reads == [(0, 5 * MIB), (5 * MIB, 7 * MIB)]
    script.assert_done()


async def test_an_offered_privacy_wish_and_pull_from_url_are_sent_as_asked() -> None:
    video = MemoryVideo(video_bytes(1000))

    def init_body(request: httpx.Request) -> None:
        body = json_of(request)
        assert body["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
        assert body["post_info"]["is_aigc"] is False
        assert body["source_info"] == {
            "source": "PULL_FROM_URL",
            "video_url": "https://media.afp.example/v/1.mp4",
        }

    script = (
        Script()
        .expect("POST", CREATOR, body=fixture("tiktok", "tiktok_creator_info_query_200.json"))
        .expect(
            "POST",
            INIT,
            body=fixture("tiktok", "tiktok_video_init_direct_pull_from_url_200.json"),
            check=init_body,
        )
    )
    tiktok = publisher(script, upload_mode=UploadMode.PULL_FROM_URL)
    request = publish_request(video, privacy="PUBLIC_TO_EVERYONE", ai_disclosure=False)
    assert await tiktok.begin_publish(TOKENS, request) == "v_pub_url~v2.123456789"
    assert video.reads == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("tiktok_status_fetch_failed_picture_size_200.json", "picture_size_check_failed"),
        ("tiktok_status_fetch_failed_file_format_real.json", "file_format_check_failed"),
    ],
)
async def test_a_failed_status_inside_an_ok_envelope_fails_the_post(name: str, reason: str) -> None:
    script = Script().expect("POST", STATUS, body=fixture("tiktok", name))
    status = await publisher(script).advance_publish(
        TOKENS, "v_pub_url~v2.123456789", publish_request(MemoryVideo(b"x"))
    )
    assert status.state is PublishState.FAILED
    assert reason in status.error


async def test_an_invalid_access_token_on_use_asks_for_a_reconnect() -> None:
    body = fixture("tiktok", "tiktok_error_access_token_invalid_real.json")
    script = Script().expect("POST", CREATOR, status=401, body=body)
    with pytest.raises(ReconnectRequired, match="access_token_invalid") as caught:
        await publisher(script).begin_publish(TOKENS, publish_request(MemoryVideo(b"x")))
    assert "20240829190020EBE0D84CCEA6DE000CB6" in caught.value.message  # log_id for support
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, "spam_risk_too_many_posts", ProviderRejected),  # creator_info answers 200 (doc § 3)
        (200, "reached_active_user_cap", ProviderUnavailable),
        (429, "rate_limit_exceeded", ProviderUnavailable),
        (401, "scope_not_authorized", ReconnectRequired),
        (403, "unaudited_client_can_only_post_to_private_accounts", ProviderRejected),
        (500, "internal_error", ProviderUnavailable),
    ],
)
async def test_creator_info_errors_map_to_domain_errors(
    status: int, code: str, expected: type[Exception]
) -> None:
    body = {"data": {}, "error": {"code": code, "message": "m", "log_id": "l"}}
    script = Script().expect("POST", CREATOR, status=status, body=body)
    with pytest.raises(expected) as caught:
        await publisher(script).begin_publish(TOKENS, publish_request(MemoryVideo(b"x")))
    assert code in str(caught.value)
    assert_no_secret(caught.value)


async def test_an_unclear_pull_init_is_an_unknown_outcome_but_a_file_init_is_retryable() -> None:
    creator = fixture("tiktok", "tiktok_creator_info_query_200.json")
    pull = (
        Script().expect("POST", CREATOR, body=creator).expect("POST", INIT, error=httpx.ReadTimeout)
    )
    with pytest.raises(ProviderOutcomeUnknown):
        await publisher(pull, upload_mode=UploadMode.PULL_FROM_URL).begin_publish(
            TOKENS, publish_request(MemoryVideo(b"x"))
        )
    file = (
        Script()
        .expect("POST", CREATOR, body=creator)
        .expect("POST", INIT, status=502, raw=b"<html>bad gateway</html>")
    )
    with pytest.raises(ProviderUnavailable) as caught:
        await publisher(file).begin_publish(TOKENS, publish_request(MemoryVideo(b"x")))
    assert not isinstance(caught.value, ProviderOutcomeUnknown)


async def test_a_dropped_chunk_is_sent_again_from_the_same_offset() -> None:
    video = MemoryVideo(video_bytes(12 * MIB))
    upload_url = "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=t"
    ref = f"v_pub_file~1 {5 * MIB} {upload_url}"
    script = Script().expect("PUT", UPLOAD, error=httpx.ReadError).expect("PUT", UPLOAD, status=201)
    tiktok = publisher(script, chunk_size=5 * MIB)
    request = publish_request(video)
    with pytest.raises(ProviderUnavailable):
        await tiktok.advance_publish(TOKENS, ref, request)
    status = await tiktok.advance_publish(TOKENS, ref, request)
    assert (status.state, status.ref) == (PublishState.PROCESSING, "v_pub_file~1")
    assert video.reads == [(5 * MIB, 7 * MIB), (5 * MIB, 7 * MIB)]


async def test_an_expired_upload_link_fails_the_post() -> None:
    video = MemoryVideo(video_bytes(1000))
    ref = "v_pub_file~1 0 https://open-upload.tiktokapis.com/video/?upload_id=1"
    script = Script().expect("PUT", UPLOAD, status=403)
    status = await publisher(script).advance_publish(TOKENS, ref, publish_request(video))
    assert status.state is PublishState.FAILED
    assert "expired" in status.error
