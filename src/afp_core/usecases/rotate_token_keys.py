"""RotateTokenKeys: re-encrypt every stored token with the key ring's current key
(`afp admin rotate-token-keys`), so an old key can leave the ring."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import UserId
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import SocialConnection, SocialProvider
from afp_core.ports.social import TokenCipher
from afp_core.ports.system import Clock
from afp_core.ports.unit_of_work import UnitOfWorkFactory
from afp_core.usecases._social_tokens import seal, unseal


@attrs.frozen
class RotateTokenKeysCommand:
    page: int = 200  # connections read per unit of work


@attrs.frozen
class RotateTokenKeysResult:
    rotated: int  # connections whose tokens were re-encrypted with the current key
    current: int  # connections already on the current key (or without tokens)
    unreadable: int  # tokens no key of the ring decrypts: those users must reconnect
    busy: int  # being refreshed right now: run the rotation again


class RotateTokenKeys:
    """Walk every connection a page at a time; one whose ciphertexts `needs_rotation` is
    re-encrypted under its refresh lease (so a refresh running at the same moment is neither
    overwritten nor lost) with the same associated data. Safe to run again at any time."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        cipher: TokenCipher,
        clock: Clock,
        timing: SocialTiming | None = None,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._clock = clock
        self._timing = timing or SocialTiming()

    async def execute(self, command: RotateTokenKeysCommand) -> RotateTokenKeysResult:
        counts = {"rotated": 0, "current": 0, "unreadable": 0, "busy": 0}
        after: tuple[UserId, SocialProvider] | None = None
        while True:
            async with self._uow(read_only=True) as uow:
                page = await uow.connections.list_all(after=after, limit=command.page)
            for connection in page:
                counts[await self._rotate(connection)] += 1
            if len(page) < command.page:
                return RotateTokenKeysResult(**counts)
            after = (page[-1].user_id, page[-1].provider)

    def _stale(self, connection: SocialConnection) -> bool:
        sealed = [connection.access_token_enc, connection.refresh_token_enc]
        return any(s and self._cipher.needs_rotation(s) for s in sealed)

    async def _rotate(self, connection: SocialConnection) -> str:
        if not self._stale(connection):
            return "current"
        user_id, provider = connection.user_id, connection.provider
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.connections.claim_refresh(
                user_id, provider, now=now, until=now + self._timing.refresh_lease
            )
            current = await uow.connections.get(user_id, provider)
            if not claimed or current is None:
                return "busy" if current is not None and self._stale(current) else "current"
            outcome = "rotated"
            try:
                seal(self._cipher, current, unseal(self._cipher, current))
            except ValueError:
                current.release_refresh()
                outcome = "unreadable"
            await uow.connections.save(current)
            await uow.commit()
        return outcome


__all__ = ["RotateTokenKeys", "RotateTokenKeysCommand", "RotateTokenKeysResult"]
