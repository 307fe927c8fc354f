"""A connection's plain tokens, refreshed by one worker at a time (not a use case itself).

Rotating refresh tokens break when two workers refresh at once (the second spends a token the
first already spent), so a refresh runs under the connection's lease: a conditional update
claims it, committed before the platform is called; the winner refreshes and stores the new
tokens (ending the lease) in one unit of work; the others wait a little and read those. A
platform that no longer honours the grant (or tokens that no longer decrypt) marks the
connection NEEDS_RECONNECT, committed, and raises `ReconnectRequired`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import attrs

from afp_core.domain.errors import (
    DomainError,
    NotFound,
    ProviderUnavailable,
    ReconnectRequired,
)
from afp_core.domain.ids import UserId
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthTokens,
    SocialConnection,
    SocialProvider,
    TokenField,
)
from afp_core.ports.social import SocialPublisher, TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory


def reconnect_message(provider: SocialProvider) -> str:
    return f"{provider.value} no longer accepts AFP's sign-in: connect your account again"


def seal(cipher: TokenCipher, connection: SocialConnection, tokens: OAuthTokens) -> None:
    """Put `tokens` on the connection as ciphertexts bound to its row and field."""
    refresh = tokens.refresh_token
    connection.store_tokens(
        cipher.encrypt(tokens.access_token, context=connection.context(TokenField.ACCESS)),
        cipher.encrypt(refresh, context=connection.context(TokenField.REFRESH))
        if refresh
        else None,
        tokens.expires_at,
    )


def unseal(cipher: TokenCipher, connection: SocialConnection) -> OAuthTokens:
    """The connection's plain tokens; `ValueError` when they do not decrypt."""
    refresh = connection.refresh_token_enc
    return OAuthTokens(
        access_token=cipher.decrypt(
            connection.access_token_enc, context=connection.context(TokenField.ACCESS)
        ),
        refresh_token=cipher.decrypt(refresh, context=connection.context(TokenField.REFRESH))
        if refresh
        else None,
        expires_at=connection.expires_at,
        scopes=connection.scopes,
        account_id=connection.account_id,
        account_name=connection.account_name,
    )


class TokenKeeper:
    """Hands out usable plain tokens for a connection (see the module's docstring)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        cipher: TokenCipher,
        clock: Clock,
        timing: SocialTiming,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._clock = clock
        self._timing = timing

    async def usable(self, publisher: SocialPublisher, connection: SocialConnection) -> OAuthTokens:
        """The connection's tokens, refreshed first when the platform says they are due.
        `ReconnectRequired` (after marking the connection), `ProviderUnavailable` when the
        platform or another worker's refresh keeps us waiting, `NotFound` when the connection
        is gone."""
        tokens = await self._plain(connection)
        if not publisher.refresh_due(tokens, self._clock.now()):
            return tokens
        return await self.refresh(publisher, connection.user_id, connection.provider)

    async def refresh(
        self, publisher: SocialPublisher, user_id: UserId, provider: SocialProvider
    ) -> OAuthTokens:
        """Refresh under the lease, or wait for the worker that holds it."""
        give_up_at = time.monotonic() + self._timing.refresh_wait.total_seconds()
        while True:
            now = self._clock.now()
            async with self._uow() as uow:
                won = await uow.connections.claim_refresh(
                    user_id, provider, now=now, until=now + self._timing.refresh_lease
                )
                current = await uow.connections.get(user_id, provider)
                await uow.commit()
            current = _usable_connection(current, provider)
            tokens = await self._plain(current)
            if not publisher.refresh_due(tokens, now):  # refreshed meanwhile by another worker
                if won:
                    await self._release(user_id, provider)
                return tokens
            if won:
                return await self._refresh_claimed(publisher, current, tokens)
            if time.monotonic() >= give_up_at:
                raise ProviderUnavailable(
                    f"the {provider.value} sign-in is being refreshed by another worker; "
                    "try again shortly"
                )
            await asyncio.sleep(self._timing.refresh_wait_step.total_seconds())

    async def _refresh_claimed(
        self, publisher: SocialPublisher, connection: SocialConnection, tokens: OAuthTokens
    ) -> OAuthTokens:
        user_id, provider = connection.user_id, connection.provider
        try:
            fresh = await publisher.refresh(tokens)
        except ReconnectRequired:
            await self.mark_needs_reconnect(user_id, provider)
            raise ReconnectRequired(reconnect_message(provider)) from None
        except BaseException:
            await self._release(user_id, provider)
            raise
        fresh = attrs.evolve(
            fresh,
            refresh_token=fresh.refresh_token or tokens.refresh_token,
            scopes=fresh.scopes or tokens.scopes,
            account_id=fresh.account_id or tokens.account_id,
            account_name=fresh.account_name or tokens.account_name,
        )
        async with self._uow() as uow:
            current = await uow.connections.get(user_id, provider)
            kept = current is not None and current.status is ConnectionStatus.CONNECTED
            if current is not None and kept:
                seal(self._cipher, current, fresh)
                current.scopes = fresh.scopes
                await uow.connections.save(current)
                await uow.commit()
        if not kept:  # disconnected while we refreshed: do not leave a live grant behind
            with contextlib.suppress(DomainError):  # best effort; the user can revoke it too
                await publisher.revoke(fresh)
            raise NotFound(f"the {provider.value} account was disconnected")
        return fresh

    async def mark_needs_reconnect(self, user_id: UserId, provider: SocialProvider) -> None:
        async with self._uow() as uow:
            current = await uow.connections.get(user_id, provider)
            if current is not None:
                current.mark_needs_reconnect()
                await uow.connections.save(current)
                await uow.commit()

    async def _release(self, user_id: UserId, provider: SocialProvider) -> None:
        async with self._uow() as uow:
            current = await uow.connections.get(user_id, provider)
            if current is not None and current.refresh_claimed_until is not None:
                current.release_refresh()
                await uow.connections.save(current)
                await uow.commit()

    async def _plain(self, connection: SocialConnection) -> OAuthTokens:
        """Unsealed tokens; ones that no longer decrypt (a key dropped from the ring too early,
        a ciphertext moved to another row) mark the connection NEEDS_RECONNECT."""
        try:
            return unseal(self._cipher, connection)
        except ValueError:
            await self.mark_needs_reconnect(connection.user_id, connection.provider)
            raise ReconnectRequired(
                f"the saved {connection.provider.value} sign-in can no longer be read: "
                "connect your account again"
            ) from None


def _usable_connection(
    connection: SocialConnection | None, provider: SocialProvider
) -> SocialConnection:
    if connection is None or connection.status is ConnectionStatus.REVOKED:
        raise NotFound(f"the {provider.value} account was disconnected")
    if connection.status is ConnectionStatus.NEEDS_RECONNECT:
        raise ReconnectRequired(reconnect_message(provider))
    return connection


__all__ = ["TokenKeeper", "reconnect_message", "seal", "unseal"]
