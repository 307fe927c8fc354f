"""`InstagramPublisher` against Meta's recorded answers (offline, through `httpx.MockTransport`)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from afp_adapters.social import InstagramPublisher
from afp_adapters.social.instagram import instagram_caption
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
    SECRET_TOKEN,
    Check,
    MemoryVideo,
    Script,
    assert_no_secret,
    bearer,
    both,
    fixture,
    form_of,
    publish_request,
    split_url,
)
from tests.shared_fixtures import SHARED, needs

TOKEN = "https://api.instagram.com/oauth/access_token"
GRAPH = "https://graph.instagram.com"
API = f"{GRAPH}/v25.0"
IG_ID = "17841400000000001"
CONTAINER = "17889455560051444"
MEDIA_ID = "17912345678901234"
PERMALINK = "https://www.instagram.com/reel/C0dEfGh/"
REDIRECT = "https://app.afp.example/auth/oauth/instagram/callback"
LIFETIME = timedelta(seconds=5183944)
TOKENS = OAuthTokens(
    access_token=SECRET_TOKEN,
    expires_at=NOW + timedelta(days=50),
    scopes=("instagram_business_basic", "instagram_business_content_publish"),
    account_id=IG_ID,
    account_name="demo.shop",
)

pytestmark = needs(SHARED / "instagram")


def publisher(script: Script, **options: object) -> InstagramPublisher:
    return InstagramPublisher(
        app_id="ig-app-1",
        app_secret="ig-secret-1",
        transport=script.transport,
        now=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


def status_answer(code: str, status: str = "") -> dict[str, str]:
    return {"status_code": code, "status": status, "id": CONTAINER}


def fields(value: str) -> Check:
    def check(request: httpx.Request) -> None:
        assert request.url.params["fields"] == value
        assert "access_token" not in request.url.params  # the token rides in the header
        bearer()(request)

    return check


# ---------------------------------------------------------------------- OAuth


def test_the_authorization_url_asks_for_the_business_scopes_without_pkce() -> None:
    url = publisher(Script()).authorization_url(
        state="st-1", code_challenge="challenge-1", redirect_uri=REDIRECT
    )
    address, query = split_url(url)
    assert address == ("https://www.instagram.com/oauth/authorize")
    assert query == {
        "client_id": "ig-app-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "instagram_business_basic,instagram_business_content_publish",
        "state": "st-1",
    }


async def test_the_code_exchange_gets_a_long_lived_token_and_the_account() -> None:
    short = fixture("instagram", "instagram_login_code_exchange_200.json")
    long_lived = fixture("instagram", "instagram_long_lived_or_refreshed_token_200.json")

    def token_form(request: httpx.Request) -> None:
        assert form_of(request) == {
            "client_id": "ig-app-1",
            "client_secret": "ig-secret-1",
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code": "AQBx-code",  # the trailing "#_" stripped
        }

    def exchange_query(request: httpx.Request) -> None:
        assert dict(request.url.params) == {
            "grant_type": "ig_exchange_token",
            "client_secret": "ig-secret-1",
            "access_token": short["data"][0]["access_token"],
        }

    me = {"user_id": IG_ID, "username": "demo.shop", "name": "Demo Shop"}
    script = (
        Script()
        .expect("POST", TOKEN, body=short, check=token_form)
        .expect("GET", f"{GRAPH}/access_token", body=long_lived, check=exchange_query)
        .expect(
            "GET",
            f"{API}/me",
            body=me,
            check=both(
                bearer(long_lived["access_token"]),
                lambda r: _equal(r.url.params["fields"], "user_id,username,name"),
            ),
        )
    )
    tokens = await publisher(script).exchange_code(
        code="AQBx-code#_", code_verifier="ignored", redirect_uri=REDIRECT
    )
    assert tokens.access_token == long_lived["access_token"]
    assert tokens.refresh_token is None
    assert tokens.expires_at == NOW + LIFETIME
    assert tokens.scopes == (
        "instagram_business_basic",
        "instagram_business_manage_messages",
        "instagram_business_manage_comments",
        "instagram_business_content_publish",
    )
    assert (tokens.account_id, tokens.account_name) == (IG_ID, "demo.shop")
    script.assert_done()


async def test_a_flat_code_exchange_answer_is_read_too() -> None:
    flat = {"access_token": "short", "user_id": 1020, "permissions": ["instagram_business_basic"]}
    long_lived = fixture("instagram", "instagram_long_lived_or_refreshed_token_200.json")
    script = (
        Script()
        .expect("POST", TOKEN, body=flat)
        .expect("GET", f"{GRAPH}/access_token", body=long_lived)
        .expect("GET", f"{API}/me", body={"data": [{"username": "demo"}]})
    )
    tokens = await publisher(script).exchange_code(
        code="c", code_verifier="", redirect_uri=REDIRECT
    )
    assert (tokens.account_id, tokens.account_name) == ("1020", "demo")
    assert tokens.scopes == ("instagram_business_basic",)


async def test_a_used_or_unknown_code_is_a_rejection() -> None:
    body = fixture("instagram", "instagram_login_code_exchange_400.json")
    script = Script().expect("POST", TOKEN, status=400, body=body)
    with pytest.raises(ProviderRejected, match="Matching code was not found"):
        await publisher(script).exchange_code(code="c", code_verifier="", redirect_uri=REDIRECT)


async def test_a_refresh_renews_the_long_lived_token() -> None:
    answer = fixture("instagram", "instagram_long_lived_or_refreshed_token_200.json")

    def refresh_query(request: httpx.Request) -> None:
        assert dict(request.url.params) == {
            "grant_type": "ig_refresh_token",
            "access_token": SECRET_TOKEN,
        }

    script = Script().expect(
        "GET", f"{GRAPH}/refresh_access_token", body=answer, check=refresh_query
    )
    fresh = await publisher(script).refresh(TOKENS)
    assert fresh.access_token == answer["access_token"]
    assert fresh.expires_at == NOW + LIFETIME
    assert (fresh.account_id, fresh.scopes) == (IG_ID, TOKENS.scopes)


async def test_a_revoked_token_on_refresh_asks_for_a_reconnect() -> None:
    body = fixture("instagram", "graph_api_error_190_460_doc.json")
    script = Script().expect("GET", f"{GRAPH}/refresh_access_token", status=400, body=body)
    with pytest.raises(ReconnectRequired, match="190/460") as caught:
        await publisher(script).refresh(TOKENS)
    assert_no_secret(caught.value)


async def test_an_expired_long_lived_token_cannot_be_refreshed() -> None:
    dead = OAuthTokens(access_token=SECRET_TOKEN, expires_at=NOW - timedelta(seconds=1))
    with pytest.raises(ReconnectRequired):
        await publisher(Script()).refresh(dead)


def test_a_refresh_is_due_once_a_day_old_and_within_the_window() -> None:
    instagram = publisher(Script())

    def tokens(left: timedelta) -> OAuthTokens:
        return OAuthTokens(access_token="t", expires_at=NOW + left)

    assert not instagram.refresh_due(tokens(LIFETIME - timedelta(hours=1)), NOW)  # fresh
    assert not instagram.refresh_due(tokens(timedelta(days=30)), NOW)
    assert not instagram.refresh_due(tokens(timedelta(days=7, minutes=1)), NOW)
    assert instagram.refresh_due(tokens(timedelta(days=6)), NOW)
    assert instagram.refresh_due(tokens(timedelta(hours=1)), NOW)
    assert not instagram.refresh_due(OAuthTokens(access_token="t"), NOW)
    wide = publisher(Script(), refresh_window=timedelta(days=60))
    assert not wide.refresh_due(tokens(LIFETIME - timedelta(hours=23)), NOW)  # < 24 h old
    assert wide.refresh_due(tokens(LIFETIME - timedelta(hours=25)), NOW)


async def test_revoke_is_a_no_op_without_any_request() -> None:
    script = Script()
    await publisher(script).revoke(TOKENS)
    assert script.seen == []


# ---------------------------------------------------------------------- publishing


def test_captions_keep_30_hashtags_20_mentions_and_2200_characters() -> None:
    caption = " ".join(f"#tag{i}" for i in range(35)) + " " + " ".join(f"@u{i}" for i in range(25))
    trimmed = instagram_caption(caption)
    assert trimmed.count("#") == 30
    assert "#tag29" in trimmed
    assert "#tag30" not in trimmed
    assert trimmed.count("@") == 20
    assert " u24" in trimmed
    assert len(instagram_caption("a" * 5000)) == 2200
    assert instagram_caption("mail me at a@b.c #ok") == "mail me at a@b.c #ok"


async def test_a_reel_is_created_polled_published_and_linked() -> None:
    caption = "Glow up " + " ".join(f"#t{i}" for i in range(40)) + " " + "x" * 3000

    def create(request: httpx.Request) -> None:
        form = form_of(request)
        assert form["media_type"] == "REELS"
        assert form["video_url"] == "https://media.afp.example/v/1.mp4"
        assert form["share_to_feed"] == "true"
        assert form["is_ai_generated"] == "true"
        assert len(form["caption"]) <= 2200
        assert form["caption"].count("#") == 30
        assert "access_token" not in form
        bearer()(request)

    def publish(request: httpx.Request) -> None:
        assert form_of(request) == {"creation_id": CONTAINER}
        bearer()(request)

    script = (
        Script()
        .expect(
            "POST",
            f"{API}/{IG_ID}/media",
            body=fixture("instagram", "instagram_container_create_200.json"),
            check=create,
        )
        .expect(
            "GET",
            f"{API}/{CONTAINER}",
            body=status_answer("IN_PROGRESS"),
            check=fields("status_code,status"),
        )
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", body={"id": MEDIA_ID}, check=publish)
        .expect(
            "GET",
            f"{API}/{MEDIA_ID}",
            body={"permalink": PERMALINK, "id": MEDIA_ID},
            check=fields("permalink"),
        )
    )
    instagram = publisher(script)
    request = publish_request(MemoryVideo(b"x"), caption=caption)

    container = await instagram.begin_publish(TOKENS, request)
    assert container == CONTAINER
    waiting = await instagram.advance_publish(TOKENS, container, request)
    assert (waiting.state, waiting.ref) == (PublishState.PROCESSING, None)
    done = await instagram.advance_publish(TOKENS, container, request)
    assert done.state is PublishState.PUBLISHED
    assert (done.provider_post_id, done.post_url) == (MEDIA_ID, PERMALINK)
    assert done.ref == f"media:{MEDIA_ID}"
    script.assert_done()


async def test_no_ai_flag_is_sent_without_a_disclosure() -> None:
    script = Script().expect(
        "POST",
        f"{API}/{IG_ID}/media",
        body={"id": CONTAINER},
        check=lambda r: _equal(
            sorted(form_of(r)), ["caption", "media_type", "share_to_feed", "video_url"]
        ),
    )
    request = publish_request(MemoryVideo(b"x"), ai_disclosure=False)
    assert await publisher(script).begin_publish(TOKENS, request) == CONTAINER


async def test_a_lost_publish_answer_is_unknown_and_the_retry_never_publishes_again() -> None:
    script = (
        Script()
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", error=httpx.ReadTimeout)
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("PUBLISHED"))
    )
    instagram = publisher(script)
    request = publish_request(MemoryVideo(b"x"))
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        await instagram.advance_publish(TOKENS, CONTAINER, request)
    assert_no_secret(caught.value)
    status = await instagram.advance_publish(TOKENS, CONTAINER, request)
    assert status.state is PublishState.PUBLISHED
    assert script.count("POST", f"{API}/{IG_ID}/media_publish") == 1
    script.assert_done()


async def test_a_media_reference_only_reads_the_permalink() -> None:
    script = Script().expect("GET", f"{API}/{MEDIA_ID}", body={"permalink": PERMALINK})
    status = await publisher(script).advance_publish(
        TOKENS, f"media:{MEDIA_ID}", publish_request(MemoryVideo(b"x"))
    )
    assert (status.state, status.provider_post_id, status.post_url) == (
        PublishState.PUBLISHED,
        MEDIA_ID,
        PERMALINK,
    )
    assert script.count("POST", f"{API}/{IG_ID}/media_publish") == 0


async def test_a_failed_permalink_read_after_publishing_keeps_the_media_reference() -> None:
    script = (
        Script()
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", body={"id": MEDIA_ID})
        .expect("GET", f"{API}/{MEDIA_ID}", status=503)
    )
    status = await publisher(script).advance_publish(
        TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
    )
    assert (status.state, status.ref) == (PublishState.PROCESSING, f"media:{MEDIA_ID}")


async def test_a_container_not_ready_at_publish_time_keeps_processing() -> None:
    not_ready = {
        "error": {"message": "Media ID is not available", "code": 9007, "error_subcode": 2207027}
    }
    script = (
        Script()
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", status=400, body=not_ready)
    )
    status = await publisher(script).advance_publish(
        TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
    )
    assert (status.state, status.ref) == (PublishState.PROCESSING, None)


@pytest.mark.parametrize(
    ("code", "words"),
    [("ERROR", "2207026"), ("EXPIRED", "expired")],
)
async def test_an_errored_or_expired_container_fails_the_post(code: str, words: str) -> None:
    answer = status_answer(code, "Error: 2207026 unsupported video format")
    script = Script().expect("GET", f"{API}/{CONTAINER}", body=answer)
    status = await publisher(script).advance_publish(
        TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
    )
    assert status.state is PublishState.FAILED
    assert words in status.error


@pytest.mark.parametrize(
    ("name", "expected", "words"),
    [
        (
            "instagram_error_carousel_item_standalone_2207089_real.json",
            ProviderRejected,
            "100/2207089",
        ),
        ("instagram_error_igapiexception_100_real.json", ProviderRejected, "IGApiException"),
        ("instagram_error_image_too_large_36000.json", ProviderRejected, "36000/2207004"),
        ("graph_api_error_190_460_doc.json", ReconnectRequired, "connect Instagram again"),
    ],
)
async def test_recorded_graph_errors_on_container_creation_map_to_domain_errors(
    name: str, expected: type[Exception], words: str
) -> None:
    body = fixture("instagram", name)
    script = Script().expect("POST", f"{API}/{IG_ID}/media", status=400, body=body)
    with pytest.raises(expected, match=words) as caught:
        await publisher(script).begin_publish(TOKENS, publish_request(MemoryVideo(b"x")))
    assert "fbtrace_id" in str(caught.value) or "IGApiException" in str(caught.value)
    assert_no_secret(caught.value)


async def test_an_expired_token_on_the_status_read_asks_for_a_reconnect() -> None:
    expired = {
        "error": {
            "message": "Session has expired",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        }
    }
    script = Script().expect("GET", f"{API}/{CONTAINER}", status=400, body=expired)
    with pytest.raises(ReconnectRequired):
        await publisher(script).advance_publish(
            TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
        )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": 9, "error_subcode": 2207042, "message": "cap"}, ProviderUnavailable),
        ({"code": 4, "message": "Application request limit reached"}, ProviderUnavailable),
        ({"code": 9004, "error_subcode": 2207052, "message": "fetch"}, ProviderRejected),
        ({"code": 25, "error_subcode": 2207050, "message": "restricted"}, ProviderRejected),
    ],
)
async def test_caps_throttling_and_refusals_at_publish_time_map_to_domain_errors(
    error: dict[str, object], expected: type[Exception]
) -> None:
    script = (
        Script()
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", status=400, body={"error": error})
    )
    with pytest.raises(expected) as caught:
        await publisher(script).advance_publish(
            TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
        )
    assert not isinstance(caught.value, ProviderOutcomeUnknown)


async def test_a_5xx_at_publish_time_is_an_unknown_outcome() -> None:
    script = (
        Script()
        .expect("GET", f"{API}/{CONTAINER}", body=status_answer("FINISHED"))
        .expect("POST", f"{API}/{IG_ID}/media_publish", status=500, raw=b"oops")
    )
    with pytest.raises(ProviderOutcomeUnknown):
        await publisher(script).advance_publish(
            TOKENS, CONTAINER, publish_request(MemoryVideo(b"x"))
        )


def _equal(actual: object, expected: object) -> None:
    assert actual == expected
