"""BeginSocialConnection: send a user to a platform's sign-in page (OAuth 2 with PKCE)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping

import attrs

from afp_core.domain.errors import ValidationFailed
from afp_core.domain.ids import UserId
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import OAuthState, SocialProvider
from afp_core.ports.social import SocialPublisher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class BeginSocialConnectionCommand:
    user_id: UserId
    provider: SocialProvider
    redirect_uri: str


@attrs.frozen
class BeginSocialConnectionResult:
    authorization_url: str
    state: str


def code_challenge(code_verifier: str) -> str:
    """The PKCE S256 challenge: base64url(sha256(verifier)) without padding (RFC 7636)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class BeginSocialConnection:
    """Make a single-use `state` and a PKCE verifier, remember them until
    `timing.oauth_state_ttl` passes, and return the platform's authorisation URL.
    A platform that is not configured is `ValidationFailed`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[SocialProvider, SocialPublisher],
        clock: Clock,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._clock = clock
        self._timing = timing or SocialTiming()

    async def execute(self, command: BeginSocialConnectionCommand) -> BeginSocialConnectionResult:
        publisher = self._publishers.get(command.provider)
        if publisher is None:
            raise ValidationFailed(f"publishing to {command.provider.value} is not available")
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within PKCE's 43-128
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.users.get(command.user_id)
            await uow.oauth_states.add(
                OAuthState(
                    state=state,
                    user_id=command.user_id,
                    provider=command.provider,
                    code_verifier=verifier,
                    redirect_uri=command.redirect_uri,
                    expires_at=now + self._timing.oauth_state_ttl,
                )
            )
            await uow.commit()
        url = publisher.authorization_url(
            state=state,
            code_challenge=code_challenge(verifier),
            redirect_uri=command.redirect_uri,
        )
        return BeginSocialConnectionResult(url, state)


__all__ = [
    "BeginSocialConnection",
    "BeginSocialConnectionCommand",
    "BeginSocialConnectionResult",
    "code_challenge",
]
