"""`FakeSocialPublisher` and `FakeTokenCipher`."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from afp_core.domain.errors import ProviderRejected
from afp_core.domain.social import OAuthTokens, SocialProvider
from afp_core.ports.commerce import PublishState, PublishStatus


class FakeSocialPublisher:
    """Implements `SocialPublisher` for one provider. A publish is PROCESSING for
    `checks_before_live` status calls, then PUBLISHED (or FAILED if the caption has
    `fail_marker`). The code `"denied"` fails the exchange."""

    def __init__(
        self,
        provider: SocialProvider,
        *,
        checks_before_live: int = 1,
        fail_marker: str = "[reject]",
    ) -> None:
        self.provider = provider
        self.checks_before_live = checks_before_live
        self.fail_marker = fail_marker
        self.published: list[tuple[str, str]] = []  # (video_url, caption)
        self.revoked: list[str] = []
        self._checks: dict[str, int] = {}

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
            expires_at=datetime(2100, 1, 1, tzinfo=UTC),
            scopes=("video.publish",),
            account_id=f"acct-{code}",
            account_name=f"{self.provider.value} demo account",
        )

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        expires = (tokens.expires_at or datetime(2100, 1, 1, tzinfo=UTC)) + timedelta(days=1)
        return OAuthTokens(
            f"{tokens.access_token}+",
            tokens.refresh_token,
            expires,
            tokens.scopes,
            tokens.account_id,
            tokens.account_name,
        )

    async def publish(self, tokens: OAuthTokens, *, video_url: str, caption: str) -> str:
        self.published.append((video_url, caption))
        publish_id = f"pub-{self.provider.value}-{len(self.published)}"
        self._checks[publish_id] = 0
        return publish_id

    async def status(self, tokens: OAuthTokens, publish_id: str) -> PublishStatus:
        self._checks[publish_id] = self._checks.get(publish_id, 0) + 1
        if self._checks[publish_id] <= self.checks_before_live:
            return PublishStatus(PublishState.PROCESSING)
        index = int(publish_id.rsplit("-", 1)[-1]) - 1
        if self.fail_marker in self.published[index][1]:
            return PublishStatus(PublishState.FAILED, error="rejected by the platform's review")
        post_id = f"{self.provider.value}-post-{index + 1}"
        return PublishStatus(
            PublishState.PUBLISHED,
            provider_post_id=post_id,
            post_url=f"https://{self.provider.value}.fake.invalid/p/{post_id}",
        )

    async def revoke(self, tokens: OAuthTokens) -> None:
        self.revoked.append(tokens.access_token)


class FakeTokenCipher:
    """Implements `TokenCipher` reversibly *without* secrecy: for tests only (the real one is
    `afp_adapters.crypto.FernetTokenCipher`). Tampering is still detected."""

    _PREFIX = "fake1:"

    def encrypt(self, plaintext: str) -> str:
        return self._PREFIX + base64.urlsafe_b64encode(plaintext.encode()[::-1]).decode()

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext.startswith(self._PREFIX):
            raise ValueError("not a FakeTokenCipher ciphertext")
        try:
            return base64.urlsafe_b64decode(ciphertext[len(self._PREFIX) :])[::-1].decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("corrupt ciphertext") from exc
