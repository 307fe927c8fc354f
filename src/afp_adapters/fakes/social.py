"""`FakeSocialPublisher` and `FakeTokenCipher`."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from afp_core.domain.errors import ProviderRejected, ReconnectRequired
from afp_core.domain.social import OAuthTokens, SocialProvider
from afp_core.ports.social import PublishRequest, PublishState, PublishStatus

CAPTION_LIMIT = 2200
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


class FakeSocialPublisher:
    """Implements `SocialPublisher` for one provider, in memory.

    A publish is PROCESSING for `checks_before_live` steps, then PUBLISHED (or FAILED if the
    caption has `fail_marker`); with `moves_ref` the first step answers a new reference (as a
    YouTube session becomes a video id). Refresh tokens rotate: each refresh spends the one it
    was given, and a spent one is `ReconnectRequired` (as the platforms do). The code `"denied"`
    fails the exchange. Set `*_error` to make the next calls of that kind raise it.
    Inspect `.published` (video URL, caption), `.requests`, `.refreshes`, `.revoked`.
    """

    def __init__(
        self,
        provider: SocialProvider,
        *,
        checks_before_live: int = 1,
        fail_marker: str = "[reject]",
        refresh_margin: timedelta = timedelta(minutes=5),
        moves_ref: bool = False,
    ) -> None:
        self.provider = provider
        self.required_scopes = frozenset({"video.publish"})
        self.checks_before_live = checks_before_live
        self.fail_marker = fail_marker
        self.refresh_margin = refresh_margin
        self.moves_ref = moves_ref
        self.published: list[tuple[str, str]] = []  # (video URL, caption as sent)
        self.requests: list[PublishRequest] = []
        self.refreshes: list[str] = []  # the refresh tokens spent, in order
        self.revoked: list[str] = []
        self.steps: list[str] = []  # the references `advance_publish` was called with
        self.granted_scopes: tuple[str, ...] = ("video.publish",)
        self.publish_error: Exception | None = None
        self.advance_error: Exception | None = None
        self.refresh_error: Exception | None = None
        self.revoke_error: Exception | None = None
        self._spent: set[str] = set()
        self._posts: dict[str, int] = {}  # reference -> index into `published`
        self._checks: dict[int, int] = {}

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "redirect_uri": redirect_uri,
            }
        )
        return f"https://{self.provider.value}.fake.invalid/oauth/authorize?{query}"

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> OAuthTokens:
        if code == "denied" or not code_verifier:
            raise ProviderRejected(f"{self.provider.value} refused the authorisation code")
        return OAuthTokens(
            access_token=f"access-{code}",
            refresh_token=f"refresh-{code}",
            expires_at=FAR_FUTURE,
            scopes=self.granted_scopes,
            account_id=f"acct-{code}",
            account_name=f"{self.provider.value} demo account",
        )

    def refresh_due(self, tokens: OAuthTokens, now: datetime) -> bool:
        return tokens.expires_at is not None and tokens.expires_at - self.refresh_margin <= now

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        if self.refresh_error is not None:
            raise self.refresh_error
        spent = tokens.refresh_token or ""
        self.refreshes.append(spent)
        if not spent or spent in self._spent:
            raise ReconnectRequired(f"{self.provider.value} no longer accepts this sign-in")
        self._spent.add(spent)
        expires = (tokens.expires_at or FAR_FUTURE) + timedelta(days=1)
        return OAuthTokens(
            f"{tokens.access_token}+",
            f"{spent}+",
            expires,
            tokens.scopes,
            tokens.account_id,
            tokens.account_name,
        )

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        if self.publish_error is not None:
            raise self.publish_error
        caption = request.caption[:CAPTION_LIMIT]
        self.published.append((request.video.url, caption))
        self.requests.append(request)
        ref = f"pub-{self.provider.value}-{len(self.published)}"
        self._posts[ref] = len(self.published) - 1
        return ref

    async def advance_publish(
        self, tokens: OAuthTokens, ref: str, request: PublishRequest
    ) -> PublishStatus:
        self.steps.append(ref)
        if self.advance_error is not None:
            raise self.advance_error
        index = self._posts[ref]
        if self.moves_ref and not ref.endswith("/media"):
            moved = f"{ref}/media"
            self._posts[moved] = index
            return PublishStatus(PublishState.PROCESSING, ref=moved)
        self._checks[index] = self._checks.get(index, 0) + 1
        if self._checks[index] <= self.checks_before_live:
            return PublishStatus(PublishState.PROCESSING)
        if self.fail_marker in self.published[index][1]:
            return PublishStatus(PublishState.FAILED, error="rejected by the platform's review")
        post_id = f"{self.provider.value}-post-{index + 1}"
        return PublishStatus(
            PublishState.PUBLISHED,
            provider_post_id=post_id,
            post_url=f"https://{self.provider.value}.fake.invalid/p/{post_id}",
        )

    async def revoke(self, tokens: OAuthTokens) -> None:
        if self.revoke_error is not None:
            raise self.revoke_error
        self.revoked.append(tokens.access_token)


class FakeTokenCipher:
    """Implements `TokenCipher` reversibly *without* secrecy: for tests only (the real one is
    `afp_adapters.crypto.AesGcmTokenCipher`). The context and the key id are checked, so a
    ciphertext moved to another row, or made with a key the ring no longer has, does not
    decrypt; `key_id` encrypts, `readable` (default: just `key_id`) decrypt."""

    _PREFIX = "fake1"

    def __init__(self, key_id: str = "k1", readable: Iterable[str] = ()) -> None:
        self.key_id = key_id
        self.readable = frozenset(readable) | {key_id}

    def encrypt(self, plaintext: str, *, context: str) -> str:
        body = f"{context}\x00{plaintext[::-1]}".encode()
        return f"{self._PREFIX}:{self.key_id}:{base64.urlsafe_b64encode(body).decode()}"

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        prefix, _, rest = ciphertext.partition(":")
        key_id, _, body = rest.partition(":")
        if prefix != self._PREFIX or not body:
            raise ValueError("not a FakeTokenCipher ciphertext")
        if key_id not in self.readable:
            raise ValueError(f"the token does not decrypt: key {key_id!r} is not in the ring")
        try:
            bound, _, reversed_text = base64.urlsafe_b64decode(body).decode().partition("\x00")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("corrupt ciphertext") from exc
        if bound != context:
            raise ValueError("the token does not decrypt in this context")
        return reversed_text[::-1]

    def needs_rotation(self, ciphertext: str) -> bool:
        return ciphertext.split(":", 2)[1:2] != [self.key_id]
