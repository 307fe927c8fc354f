"""Plain tokens for a social connection, refreshed when expired (not a use case itself)."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.errors import NotFound
from afp_core.domain.social import OAuthTokens, SocialConnection
from afp_core.ports.commerce import SocialPublisher, TokenCipher
from afp_core.ports.unit_of_work import UnitOfWorkFactory


async def usable_tokens(
    uow_factory: UnitOfWorkFactory,
    cipher: TokenCipher,
    publisher: SocialPublisher,
    connection: SocialConnection,
    now: datetime,
) -> OAuthTokens:
    """The connection's plain tokens; expired ones are refreshed at the provider (outside any
    unit of work) and stored again, encrypted."""
    refresh = connection.refresh_token_enc
    tokens = OAuthTokens(
        access_token=cipher.decrypt(connection.access_token_enc),
        refresh_token=cipher.decrypt(refresh) if refresh else None,
        expires_at=connection.expires_at,
        scopes=connection.scopes,
        account_id=connection.account_id,
        account_name=connection.account_name,
    )
    if not connection.needs_refresh(now):
        return tokens
    fresh = await publisher.refresh(tokens)
    fresh = attrs.evolve(fresh, refresh_token=fresh.refresh_token or tokens.refresh_token)
    async with uow_factory() as uow:
        current = await uow.connections.get(connection.user_id, connection.provider)
        if current is None:
            raise NotFound(f"no {connection.provider.value} connection found")
        current.access_token_enc = cipher.encrypt(fresh.access_token)
        current.refresh_token_enc = (
            cipher.encrypt(fresh.refresh_token) if fresh.refresh_token else None
        )
        current.expires_at = fresh.expires_at
        await uow.connections.save(current)
        await uow.commit()
    return fresh
