"""`SqlCreditLedger`: the credits ledger on SQL, equal in every result to the in-memory
reference (`afp_adapters.fakes.InMemoryCreditLedger`), safe at READ COMMITTED.

How it stays correct and fast under concurrency:
- The idempotency key is claimed first (`INSERT ... ON CONFLICT DO NOTHING`); a concurrent twin
  waits on the key's unique index, then replays the committed result or conflicts.
- A hold inserts its row first and takes the account row's lock last, with one conditional
  `UPDATE ... WHERE available >= :amount AND debt = 0 RETURNING`. On PostgreSQL that update and
  the receipt's write are one statement (data-modifying CTEs), so only the commit follows while
  the hot row is locked; on SQLite the unit of work holds the write lock anyway.
- Anything that fails is diagnosed by the domain (`CreditAccount`, `Hold`) on the rows as they
  are, so every adapter raises the same error for the same state.
- Credits, refunds and adjustments lock the account row with `SELECT ... FOR UPDATE` and apply
  the domain method; captures and releases lock their hold row, then update the account row
  relatively; expiry takes due hold rows with `FOR UPDATE SKIP LOCKED`.
The database's CHECK constraints back all of this up: no balance or hold can go negative.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

import psycopg
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from afp_adapters.sql import _mapping as m
from afp_adapters.sql import tables as t
from afp_adapters.sql._dialect import for_update, upsert
from afp_core.domain.errors import IdempotencyConflict, NotFound
from afp_core.domain.idempotency import check_key
from afp_core.domain.ids import EntryId, HoldId, UserId
from afp_core.domain.ledger import (
    AccountBalance,
    CreditAccount,
    EntryType,
    Hold,
    LedgerEntry,
    LedgerReceipt,
    request_fingerprint,
)
from afp_core.ports.system import IdGenerator

U, H, K, T = t.users, t.credit_holds, t.idempotency_keys, t.transactions

# The hot path's statements, built once (SQLAlchemy caches their compiled form).
_AT = t.UtcDateTime()
_CLAIM = sa.text(
    "INSERT INTO idempotency_keys (scope, key, request_hash, result_ref, result, created_at) "
    "VALUES (:scope, :key, :hash, '', NULL, :now) "
    "ON CONFLICT (scope, key) DO NOTHING RETURNING key"
).bindparams(sa.bindparam("now", type_=_AT))
_NEW_HOLD = sa.text(
    "INSERT INTO credit_holds (id, user_id, amount, captured, released, status, reference, "
    "expires_at, created_at, ended_at) "
    "VALUES (:id, :user_id, :amount, 0, 0, 'OPEN', :reference, :expires_at, :now, NULL)"
).bindparams(sa.bindparam("expires_at", type_=_AT), sa.bindparam("now", type_=_AT))
_RESERVE = sa.text(
    "UPDATE users SET credits_reserved = credits_reserved + :amount "
    "WHERE id = :user_id AND credits_debt = 0 "
    "AND credits_balance - credits_reserved >= :amount "
    "RETURNING credits_balance, credits_reserved"
)
# PostgreSQL's hold, spoken to psycopg directly inside the unit of work's transaction: claiming
# the key and inserting the hold row is one statement (no row when the key was used before),
# reserving and recording the receipt another; SQLAlchemy's per-statement work is skipped.
_PG_CLAIM_AND_HOLD = (
    "WITH claim AS ("
    " INSERT INTO idempotency_keys (scope, key, request_hash, result_ref, result, created_at)"
    " VALUES (%(scope)s, %(key)s, %(hash)s, '', NULL, %(now)s)"
    " ON CONFLICT (scope, key) DO NOTHING RETURNING key)"
    " INSERT INTO credit_holds (id, user_id, amount, captured, released, status, reference,"
    " expires_at, created_at, ended_at)"
    " SELECT %(hold_id)s, %(user_id)s, %(amount)s, 0, 0, 'OPEN', %(reference)s, %(expires_at)s,"
    " %(now)s, NULL FROM claim RETURNING id"
)
# ... and the account row's lock is taken by a statement that also records the receipt, so
# only the commit follows while the hot row is locked
_PG_RESERVE_AND_RECORD = (
    "WITH account AS ("
    " UPDATE users SET credits_reserved = credits_reserved + %(amount)s"
    " WHERE id = %(user_id)s AND credits_debt = 0"
    " AND credits_balance - credits_reserved >= %(amount)s"
    " RETURNING credits_balance, credits_reserved),"
    " receipt AS ("
    " UPDATE idempotency_keys SET result_ref = %(hold_id)s, result = jsonb_build_object("
    " 'operation', 'hold', 'user_id', %(user_id)s::varchar, 'amount', %(amount)s::bigint,"
    " 'balance', account.credits_balance, 'reserved', account.credits_reserved,"
    " 'hold_id', %(hold_id)s::varchar, 'entry_ids', '[]'::jsonb)"
    " FROM account WHERE scope = %(scope)s AND key = %(key)s RETURNING 1)"
    " SELECT credits_balance, credits_reserved FROM account"
)


class SqlCreditLedger:
    """Implements `CreditLedger` inside one SQL unit of work."""

    def __init__(self, conn: AsyncConnection, ids: IdGenerator) -> None:
        self._c = conn
        self._ids = ids

    # ---------------------------------------------------------------- idempotency
    async def _idempotent(
        self,
        user_id: UserId,
        key: str,
        operation: str,
        payload: Mapping[str, object],
        now: datetime,
        run: Callable[[], Awaitable[LedgerReceipt]],
    ) -> LedgerReceipt:
        check_key(key)
        fp = request_fingerprint(operation, user_id, payload)
        scope = f"ledger:{user_id}"
        claimed = await self._c.execute(
            _CLAIM, {"scope": scope, "key": key, "hash": fp, "now": now}
        )
        if claimed.first() is None:
            row = (
                await self._c.execute(
                    sa.select(K.c.request_hash, K.c.result).where(
                        (K.c.scope == scope) & (K.c.key == key)
                    )
                )
            ).one()
            if row.request_hash != fp or row.result is None:
                raise IdempotencyConflict(
                    f"idempotency key {key!r} was already used with a different request"
                )
            return m.receipt_from(row.result)
        try:
            receipt = await run()
        except BaseException:
            # forget the claim, so a failed request can be retried with its key (as in memory);
            # on PostgreSQL a failed statement aborts the transaction, which forgets it anyway
            with contextlib.suppress(DBAPIError):
                await self._c.execute(K.delete().where((K.c.scope == scope) & (K.c.key == key)))
            raise
        await self._c.execute(
            K.update()
            .where((K.c.scope == scope) & (K.c.key == key))
            .values(result=m.receipt_json(receipt), result_ref=receipt.hold_id or "")
        )
        return receipt

    # ---------------------------------------------------------------- helpers
    async def _account_row(self, user_id: UserId, *, lock: bool) -> CreditAccount:
        query = sa.select(U.c.credits_balance, U.c.credits_reserved, U.c.credits_debt).where(
            U.c.id == user_id
        )
        row = (await self._c.execute(for_update(self._c, query) if lock else query)).first()
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return CreditAccount(user_id, row.credits_balance, row.credits_reserved, row.credits_debt)

    async def _save_account(self, account: CreditAccount) -> None:
        await self._c.execute(
            U.update()
            .where(U.c.id == account.user_id)
            .values(
                credits_balance=account.balance,
                credits_reserved=account.reserved,
                credits_debt=account.debt,
            )
        )

    async def _hold_row(self, user_id: UserId, hold_id: HoldId, *, lock: bool) -> Hold:
        query = sa.select(H).where((H.c.id == hold_id) & (H.c.user_id == user_id))
        row = (await self._c.execute(for_update(self._c, query) if lock else query)).first()
        if row is None:
            await self._account_row(user_id, lock=False)  # unknown user: NotFound for it
            raise NotFound(f"hold {hold_id} not found")
        return m.hold_from(row._mapping)

    async def _save_hold(self, hold: Hold) -> None:
        await self._c.execute(
            H.update()
            .where(H.c.id == hold.id)
            .values(
                captured=hold.captured,
                released=hold.released,
                status=hold.status.value,
                ended_at=hold.ended_at,
            )
        )

    async def _entries(self, entries: Sequence[LedgerEntry]) -> None:
        if entries:
            await self._c.execute(T.insert(), [m.entry_values(e) for e in entries])

    def _entry_ids(self) -> tuple[EntryId, EntryId]:
        return EntryId(self._ids.new_id()), EntryId(self._ids.new_id())

    @staticmethod
    def _receipt(
        operation: str,
        account: CreditAccount | tuple[UserId, int, int],
        amount: int,
        *,
        hold_id: HoldId | None = None,
        entries: Sequence[LedgerEntry] = (),
    ) -> LedgerReceipt:
        if isinstance(account, CreditAccount):
            user_id, balance, reserved = account.user_id, account.balance, account.reserved
        else:
            user_id, balance, reserved = account
        return LedgerReceipt(
            operation, user_id, amount, balance, reserved, hold_id, tuple(e.id for e in entries)
        )

    # ---------------------------------------------------------------- reads
    async def balance(self, user_id: UserId) -> AccountBalance:
        return (await self._account_row(user_id, lock=False)).snapshot()

    async def get_hold(self, user_id: UserId, hold_id: HoldId) -> Hold:
        return await self._hold_row(user_id, hold_id, lock=False)

    async def _known(self, user_id: UserId, found: Sequence[object]) -> None:
        """An empty listing is `NotFound` when the user itself does not exist."""
        if not found:
            await self._account_row(user_id, lock=False)

    async def open_holds(self, user_id: UserId) -> Sequence[Hold]:
        rows = await self._c.execute(
            sa.select(H)
            .where((H.c.user_id == user_id) & (H.c.status == "OPEN"))
            .order_by(H.c.created_at, H.c.id)
        )
        holds = [m.hold_from(r._mapping) for r in rows]
        await self._known(user_id, holds)
        return holds

    async def entries(
        self, user_id: UserId, *, limit: int = 50, before: str | None = None
    ) -> Sequence[LedgerEntry]:
        query = sa.select(T).where(T.c.user_id == user_id)
        if before is not None:
            anchor = (
                await self._c.execute(
                    sa.select(T.c.created_at, T.c.id).where(
                        (T.c.id == before) & (T.c.user_id == user_id)
                    )
                )
            ).first()
            if anchor is None:
                return []
            query = query.where(
                sa.tuple_(T.c.created_at, T.c.id)
                < sa.tuple_(sa.literal(anchor.created_at, t.UtcDateTime()), sa.literal(anchor.id))
            )
        query = query.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit)
        found = [m.entry_from(r._mapping) for r in await self._c.execute(query)]
        await self._known(user_id, found)
        return found

    async def all_entries(self, user_id: UserId) -> Sequence[LedgerEntry]:
        rows = await self._c.execute(
            sa.select(T).where(T.c.user_id == user_id).order_by(T.c.created_at, T.c.id)
        )
        found = [m.entry_from(r._mapping) for r in rows]
        await self._known(user_id, found)
        return found

    # ---------------------------------------------------------------- credits in and out
    async def _locked_change(
        self,
        user_id: UserId,
        change: Callable[[CreditAccount], list[LedgerEntry]],
        operation: str,
        amount: int,
    ) -> LedgerReceipt:
        account = await self._account_row(user_id, lock=True)
        entries = change(account)
        await self._save_account(account)
        await self._entries(entries)
        return self._receipt(operation, account, amount, entries=entries)

    async def credit(
        self,
        user_id: UserId,
        amount: int,
        type_: EntryType,
        *,
        key: str,
        now: datetime,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> LedgerReceipt:
        def change(account: CreditAccount) -> list[LedgerEntry]:
            return account.credit(
                self._entry_ids(),
                amount,
                type_,
                now,
                reason=reason,
                provider=provider,
                payment_id=payment_id,
            )

        payload = {
            "amount": amount,
            "type": str(type_),
            "reason": reason,
            "provider": provider,
            "payment_id": payment_id,
        }
        return await self._idempotent(
            user_id,
            key,
            "credit",
            payload,
            now,
            lambda: self._locked_change(user_id, change, "credit", amount),
        )

    async def claw_back(
        self,
        user_id: UserId,
        amount: int,
        *,
        key: str,
        now: datetime,
        reason: str | None = None,
        provider: str | None = None,
        payment_id: str | None = None,
    ) -> LedgerReceipt:
        def change(account: CreditAccount) -> list[LedgerEntry]:
            return [
                account.claw_back(
                    self._entry_ids()[0],
                    amount,
                    now,
                    reason=reason,
                    provider=provider,
                    payment_id=payment_id,
                )
            ]

        payload = {
            "amount": amount,
            "reason": reason,
            "provider": provider,
            "payment_id": payment_id,
        }
        return await self._idempotent(
            user_id,
            key,
            "claw_back",
            payload,
            now,
            lambda: self._locked_change(user_id, change, "claw_back", amount),
        )

    async def adjust(
        self, user_id: UserId, delta: int, *, key: str, now: datetime, reason: str
    ) -> LedgerReceipt:
        def change(account: CreditAccount) -> list[LedgerEntry]:
            return account.adjust(self._entry_ids(), delta, now, reason=reason)

        return await self._idempotent(
            user_id,
            key,
            "adjust",
            {"delta": delta, "reason": reason},
            now,
            lambda: self._locked_change(user_id, change, "adjust", delta),
        )

    # ---------------------------------------------------------------- holds
    async def hold(
        self,
        user_id: UserId,
        amount: int,
        *,
        key: str,
        now: datetime,
        expires_at: datetime,
        reference: str = "",
    ) -> LedgerReceipt:
        if self._c.dialect.name == "postgresql" and expires_at > now:
            fast = await self._pg_hold(user_id, amount, key, now, expires_at, reference)
            if fast is not None:
                return fast

        async def run() -> LedgerReceipt:
            hold_id = HoldId(self._ids.new_id())
            # the domain validates the request (amount, expiry) before anything is written
            Hold(
                id=hold_id,
                user_id=user_id,
                amount=amount,
                expires_at=expires_at,
                created_at=now,
                reference=reference,
            )
            params = {
                "id": hold_id,
                "user_id": user_id,
                "amount": amount,
                "reference": reference,
                "expires_at": expires_at,
                "now": now,
            }
            if expires_at > now:
                # the hold row first (no contention), the account row's lock last
                try:
                    await self._c.execute(_NEW_HOLD, params)
                except IntegrityError as exc:  # the foreign key: no such user
                    raise NotFound(f"user {user_id} not found") from exc
            for _ in range(3):
                reserved = (
                    (await self._c.execute(_RESERVE, params)).first() if expires_at > now else None
                )
                if reserved is not None:
                    return self._receipt(
                        "hold",
                        (user_id, reserved.credits_balance, reserved.credits_reserved),
                        amount,
                        hold_id=hold_id,
                    )
                try:  # let the domain say why, on the account as it is now
                    account = await self._account_row(user_id, lock=False)
                    account.hold(hold_id, amount, now, expires_at=expires_at, reference=reference)
                except BaseException:
                    await self._c.execute(H.delete().where(H.c.id == hold_id))
                    raise
            raise RuntimeError("the account kept changing while a hold was placed; try again")

        payload = {"amount": amount, "reference": reference}
        return await self._idempotent(user_id, key, "hold", payload, now, run)

    async def _pg_hold(
        self,
        user_id: UserId,
        amount: int,
        key: str,
        now: datetime,
        expires_at: datetime,
        reference: str,
    ) -> LedgerReceipt | None:
        """The common case on PostgreSQL in two statements; None hands over to the general path
        (a used key, or a hold the account cannot take), which finds out exactly why."""
        Hold(
            id=HoldId("check"),
            user_id=user_id,
            amount=amount,
            expires_at=expires_at,
            created_at=now,
            reference=reference,
        )  # the domain validates the request
        check_key(key)
        params = {
            "scope": f"ledger:{user_id}",
            "key": key,
            "now": now,
            "reference": reference,
            "hash": request_fingerprint(
                "hold", user_id, {"amount": amount, "reference": reference}
            ),
            "hold_id": HoldId(self._ids.new_id()),
            "user_id": user_id,
            "amount": amount,
            "expires_at": expires_at,
        }
        raw = (await self._c.get_raw_connection()).driver_connection
        assert raw is not None  # noqa: S101 - a checked-out connection has its driver connection
        try:
            async with raw.cursor() as cursor:
                await cursor.execute(_PG_CLAIM_AND_HOLD, params)
                if await cursor.fetchone() is None:
                    return None  # the key was used before: replay or conflict
                await cursor.execute(_PG_RESERVE_AND_RECORD, params)
                reserved = await cursor.fetchone()
        except psycopg.errors.ForeignKeyViolation as exc:
            raise NotFound(f"user {user_id} not found") from exc
        if reserved is None:  # undo both rows; the general path explains the refusal
            await self._c.execute(H.delete().where(H.c.id == params["hold_id"]))
            await self._c.execute(
                K.delete().where((K.c.scope == params["scope"]) & (K.c.key == key))
            )
            return None
        return self._receipt(
            "hold",
            (user_id, reserved[0], reserved[1]),
            amount,
            hold_id=HoldId(str(params["hold_id"])),
        )

    async def _settle_part(
        self, user_id: UserId, hold: Hold, *, captured: int, released: int, now: datetime
    ) -> LedgerReceipt:
        await self._save_hold(hold)
        taken = captured + released
        row = (
            await self._c.execute(
                U.update()
                .where(U.c.id == user_id)
                .values(
                    credits_balance=U.c.credits_balance - captured,
                    credits_reserved=U.c.credits_reserved - taken,
                )
                .returning(U.c.credits_balance, U.c.credits_reserved)
            )
        ).one()
        entries: list[LedgerEntry] = []
        if captured:
            entries.append(
                LedgerEntry(
                    id=EntryId(self._ids.new_id()),
                    user_id=user_id,
                    type=EntryType.USAGE,
                    amount=-captured,
                    balance_after=row.credits_balance,
                    created_at=now,
                    hold_id=hold.id,
                    reference=hold.reference,
                )
            )
            await self._entries(entries)
        operation = "capture" if captured else "release"
        return self._receipt(
            operation,
            (user_id, row.credits_balance, row.credits_reserved),
            taken,
            hold_id=hold.id,
            entries=entries,
        )

    async def capture(
        self, user_id: UserId, hold_id: HoldId, amount: int, *, key: str, now: datetime
    ) -> LedgerReceipt:
        async def run() -> LedgerReceipt:
            hold = await self._hold_row(user_id, hold_id, lock=True)
            hold.take_capture(amount, now)
            return await self._settle_part(user_id, hold, captured=amount, released=0, now=now)

        payload = {"hold_id": hold_id, "amount": amount}
        return await self._idempotent(user_id, key, "capture", payload, now, run)

    async def release(
        self, user_id: UserId, hold_id: HoldId, amount: int | None, *, key: str, now: datetime
    ) -> LedgerReceipt:
        async def run() -> LedgerReceipt:
            hold = await self._hold_row(user_id, hold_id, lock=True)
            part = hold.open if amount is None else amount
            hold.take_release(part, now)
            return await self._settle_part(user_id, hold, captured=0, released=part, now=now)

        payload = {"hold_id": hold_id, "amount": amount}
        return await self._idempotent(user_id, key, "release", payload, now, run)

    async def expire_due(self, now: datetime, *, limit: int = 100) -> Sequence[LedgerReceipt]:
        query = (
            sa.select(H)
            .where((H.c.status == "OPEN") & (H.c.expires_at <= now))
            .order_by(H.c.expires_at, H.c.id)
            .limit(limit)
        )
        rows = await self._c.execute(for_update(self._c, query, skip_locked=True))
        receipts = []
        for row in rows.all():
            hold = m.hold_from(row._mapping)
            released = hold.take_expiry(now)
            receipt = await self._settle_part(
                hold.user_id, hold, captured=0, released=released, now=now
            )
            receipt = LedgerReceipt(
                "expire", receipt.user_id, released, receipt.balance, receipt.reserved, hold.id
            )
            await self._c.execute(
                upsert(self._c, K)
                .values(
                    scope=f"ledger:{hold.user_id}",
                    key=f"expire:{hold.id}",
                    request_hash="expire",
                    result_ref=hold.id,
                    result=m.receipt_json(receipt),
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["scope", "key"])
            )
            receipts.append(receipt)
        return receipts
