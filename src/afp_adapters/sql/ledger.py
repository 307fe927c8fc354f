"""`SqlCreditLedger`: the credits ledger on SQL, equal in every result to the in-memory
reference (`afp_adapters.fakes.InMemoryCreditLedger`), safe at READ COMMITTED.

How it stays correct and fast under concurrency:
- The idempotency key is claimed first (`INSERT ... ON CONFLICT DO NOTHING`); a concurrent twin
  waits on the key's unique index, then replays the committed result or conflicts.
- A hold inserts its row first and takes the account row's lock last, with one conditional
  `UPDATE ... WHERE available >= :amount AND debt = 0 RETURNING`; on SQLite the unit of work
  holds the write lock anyway. On PostgreSQL the common case (`_pg_hold`) checks the account
  without a lock and claims the key at `hold()`, and leaves the statement that locks the
  account, inserts the hold row and records the receipt for the commit, which sends it with
  COMMIT in one round trip (`PgTransaction`): the hot row is locked only inside the server. A
  hold that loses the race in between makes that statement fail, so the commit raises the
  domain's error and the whole unit of work is rolled back.
- Anything that fails is diagnosed by the domain (`CreditAccount`, `Hold`) on the rows as they
  are, so every adapter raises the same error for the same state.
- Credits, refunds and adjustments lock the account row with `SELECT ... FOR UPDATE` and apply
  the domain method; captures and releases lock their hold row, then update the account row
  relatively; expiry takes due hold rows with `FOR UPDATE SKIP LOCKED`.
The database's CHECK constraints back all of this up: no balance or hold can go negative.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

import psycopg
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from afp_adapters.sql import _mapping as m
from afp_adapters.sql import journal
from afp_adapters.sql import tables as t
from afp_adapters.sql._dialect import for_update, upsert
from afp_core.domain.errors import DomainError, IdempotencyConflict, NotFound
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
IDLE = TransactionStatus.IDLE

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
# PostgreSQL's hold, spoken to psycopg directly inside the unit of work's transaction, in two
# statements. The first reads the account without locking it and, only if it can take the
# hold, claims the key and inserts the hold row; it writes nothing otherwise (a used key, an
# unknown user, debt or too little available: the general path finds out which). The hold
# row's foreign key to the account is checked at commit (DEFERRABLE INITIALLY DEFERRED,
# migration 0011), once the second statement has locked the account row: checked now, it
# would share a lock on that row with the hold holding it for update.
_PG_CHECK_AND_CLAIM = (
    "WITH account AS ("
    " SELECT credits_balance, credits_reserved FROM users"
    " WHERE id = %(user_id)s AND credits_debt = 0"
    " AND credits_balance - credits_reserved >= %(amount)s),"
    " claim AS ("
    " INSERT INTO idempotency_keys (scope, key, request_hash, result_ref, result, created_at)"
    " SELECT %(scope)s, %(key)s, %(hash)s, '', NULL, %(now)s FROM account"
    " ON CONFLICT (scope, key) DO NOTHING RETURNING key),"
    " hold AS ("
    " INSERT INTO credit_holds (id, user_id, amount, captured, released, status, reference,"
    " expires_at, created_at, ended_at)"
    " SELECT %(hold_id)s, %(user_id)s, %(amount)s, 0, 0, 'OPEN', %(reference)s, %(expires_at)s,"
    " %(now)s, NULL FROM claim)"
    " SELECT credits_balance, credits_reserved FROM account, claim"
)
# The second is the unit of work's last statement, sent with COMMIT in one round trip
# (`PgTransaction`), so the account row is locked only inside the server, and for as little
# as possible: it reserves and records the receipt (the hold row is already written). It
# re-checks the account on the row as it is once locked and, when the hold no longer fits (a
# concurrent hold won the race), fails: a text that is not a number, cast to bigint, carries
# the account's figures out in the error and aborts the whole transaction, hold row included.
# Without its own hold row (the first statement rolled back to a savepoint, and maybe the key
# claimed since by another transaction) it changes nothing.
_REFUSED = re.compile(r"afp hold refused: (\d+) (\d+) (\d+)")
_PG_RESERVE_AND_RECORD = (
    "WITH account AS ("
    " UPDATE users SET credits_reserved = CASE"
    " WHEN credits_debt = 0 AND credits_balance - credits_reserved >= %(amount)s"
    " THEN credits_reserved + %(amount)s"
    " ELSE ('afp hold refused: ' || credits_balance || ' ' || credits_reserved || ' '"
    " || credits_debt)::bigint END"
    " WHERE id = %(user_id)s"
    " AND EXISTS (SELECT FROM idempotency_keys WHERE scope = %(scope)s AND key = %(key)s)"
    " AND EXISTS (SELECT FROM credit_holds WHERE id = %(hold_id)s)"
    " RETURNING credits_balance, credits_reserved),"
    " receipt AS ("
    " UPDATE idempotency_keys SET result_ref = %(hold_id)s, result = jsonb_build_object("
    " 'operation', 'hold', 'user_id', %(user_id)s::varchar, 'amount', %(amount)s::bigint,"
    " 'balance', account.credits_balance, 'reserved', account.credits_reserved,"
    " 'hold_id', %(hold_id)s::varchar, 'entry_ids', '[]'::jsonb)"
    " FROM account WHERE scope = %(scope)s AND key = %(key)s)"
    " SELECT credits_balance, credits_reserved FROM account"
)


@dataclass(eq=False)
class _Final:
    """A hold's locking statement, left for the commit."""

    params: dict[str, Any]
    receipt: LedgerReceipt  # its figures are set from the statement's row
    refusal: Callable[[int, int, int], BaseException]  # the error for the refused account

    def done(self, row: tuple[Any, ...] | None) -> None:
        if row is not None:  # None: the key's claim was rolled back to a savepoint, no hold
            # the receipt was made before the account row was locked; now its figures are known
            object.__setattr__(self.receipt, "balance", row[0])
            object.__setattr__(self.receipt, "reserved", row[1])

    def failed(self, exc: psycopg.Error) -> BaseException | None:
        """The domain's error when `exc` is this statement's refusal, else None."""
        found = _REFUSED.search(str(exc))
        if not isinstance(exc, psycopg.errors.InvalidTextRepresentation) or found is None:
            return None
        balance, reserved, debt = (int(figure) for figure in found.groups())
        return self.refusal(balance, reserved, debt)


class PgTransaction:
    """The unit of work's PostgreSQL transaction as the ledger's fast path drives it, through
    psycopg on the same connection as SQLAlchemy.

    - `execute` runs a statement; when it is the transaction's first, `BEGIN` goes with it in
      one round trip (psycopg on its own sends `BEGIN` and waits for it first). To send it
      itself, it switches the connection to psycopg's autocommit: the server is inside the
      explicit transaction all the same, so every later statement runs in it; `end()` switches
      autocommit back once the transaction is over.
    - `defer` leaves a hold's locking statement for the commit: `commit()` sends it and COMMIT
      in one pipeline, so the row lock it takes is held only inside the server. Any other
      ledger call runs it first (`flush`), so the ledger's own statements stay in order; the
      other repositories' statements go before it (none of them reads or writes an account).
    - If that statement is refused (a hold lost the race for the last credits), the whole
      transaction is aborted and the domain's error is raised, by `flush` or `commit`; a later
      `commit` raises it again, so nothing the unit of work wrote is taken for committed.
    Other database errors come out as SQLAlchemy's (`IntegrityError`, `OperationalError`...),
    as from any other statement of the unit of work.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._raw: psycopg.AsyncConnection[Any] | None = None
        self._final: _Final | None = None
        self._refused: BaseException | None = None
        self._began = False  # BEGIN sent by `execute`, with psycopg's autocommit switched on

    async def _driver(self) -> psycopg.AsyncConnection[Any]:
        if self._raw is None:
            raw = (await self._conn.get_raw_connection()).driver_connection
            assert raw is not None  # noqa: S101 - a checked-out connection has its driver's
            self._raw = raw
        return self._raw

    async def execute(
        self, sql: LiteralString, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """Run `sql`; its first row."""
        raw = await self._driver()
        try:
            async with raw.cursor() as cursor:
                if raw.pgconn.transaction_status != IDLE:
                    await cursor.execute(sql, params)
                elif raw.autocommit:  # never: `end()` switches it off after every transaction
                    raise RuntimeError("the connection is in autocommit outside a transaction")
                else:  # the transaction's first statement: BEGIN in the same round trip
                    await raw.set_autocommit(True)  # no round trip: nothing is in progress
                    self._began = True
                    async with raw.pipeline():
                        await raw.execute(_begin(raw))
                        await cursor.execute(sql, params)
                return await cursor.fetchone()
        except psycopg.Error as exc:
            raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc

    def defer(self, final: _Final) -> None:
        if self._final is not None:
            raise RuntimeError("a deferred hold statement must be flushed first")
        self._final = final

    def _check(self) -> None:
        if self._refused is not None:
            raise self._refused

    async def flush(self) -> None:
        """Run the deferred statement now: another ledger call comes before the commit."""
        self._check()
        final, self._final = self._final, None
        if final is None:
            return
        raw = await self._driver()
        async with raw.cursor() as cursor:
            try:
                await cursor.execute(_PG_RESERVE_AND_RECORD, final.params)
            except psycopg.Error as exc:
                raise self._failure(final, exc) from exc
            final.done(await cursor.fetchone())

    async def commit(self) -> None:
        """COMMIT, with the deferred statement before it in the same round trip; nothing when
        no statement is deferred (SQLAlchemy or `end` commits)."""
        self._check()
        final, self._final = self._final, None
        if final is None:
            return
        raw = await self._driver()
        async with raw.cursor() as cursor:
            try:
                async with raw.pipeline():
                    await cursor.execute(_PG_RESERVE_AND_RECORD, final.params)
                    # COMMIT as a plain statement: `raw.commit()` would sync once more
                    await raw.execute("COMMIT", prepare=False)
            except psycopg.Error as exc:
                raise self._failure(final, exc) from exc
            final.done(await cursor.fetchone())

    def _failure(self, final: _Final, exc: psycopg.Error) -> BaseException:
        """The domain's error for a refusal, remembered (the transaction is lost); else the
        database error as SQLAlchemy's."""
        refused = final.failed(exc)
        if refused is None:
            return DBAPIError.instance(_PG_RESERVE_AND_RECORD, final.params, exc, psycopg.Error)
        self._refused = refused
        return refused

    async def end(self, *, commit: bool) -> None:
        """The unit of work's transaction is over: if only this spoke to the server since
        BEGIN, COMMIT (or ROLLBACK) it; then back to psycopg's own transactions, or out of the
        pool if that cannot be done."""
        self._final = self._refused = None
        if not self._began:
            return
        self._began = False
        raw = await self._driver()
        try:
            if raw.pgconn.transaction_status != IDLE:
                await (raw.commit() if commit else raw.rollback())
        except psycopg.Error as exc:
            raise DBAPIError.instance("COMMIT", None, exc, psycopg.Error) from exc
        finally:
            try:
                await raw.set_autocommit(False)
            except BaseException:  # never pool a connection left in autocommit
                await self._conn.invalidate()
                raise


def _begin(raw: psycopg.AsyncConnection[Any]) -> LiteralString:
    level = raw.isolation_level
    if level is None:
        return "BEGIN"
    return _BEGIN[level]


_BEGIN: dict[psycopg.IsolationLevel, LiteralString] = {
    psycopg.IsolationLevel.READ_UNCOMMITTED: "BEGIN ISOLATION LEVEL READ UNCOMMITTED",
    psycopg.IsolationLevel.READ_COMMITTED: "BEGIN ISOLATION LEVEL READ COMMITTED",
    psycopg.IsolationLevel.REPEATABLE_READ: "BEGIN ISOLATION LEVEL REPEATABLE READ",
    psycopg.IsolationLevel.SERIALIZABLE: "BEGIN ISOLATION LEVEL SERIALIZABLE",
}


class SqlCreditLedger:
    """Implements `CreditLedger` inside one SQL unit of work. On PostgreSQL, given the unit of
    work's `PgTransaction`, a hold's locking statement waits for the commit (`_pg_hold`)."""

    def __init__(
        self, conn: AsyncConnection, ids: IdGenerator, pg: PgTransaction | None = None
    ) -> None:
        self._c = conn
        self._ids = ids
        self._pg = pg

    async def _in_order(self) -> None:
        """Every call first runs a hold statement left for the commit, so the ledger's
        statements keep their order (and a read sees the hold)."""
        if self._pg is not None:
            await self._pg.flush()

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
        await self._in_order()
        return (await self._account_row(user_id, lock=False)).snapshot()

    async def get_hold(self, user_id: UserId, hold_id: HoldId) -> Hold:
        await self._in_order()
        return await self._hold_row(user_id, hold_id, lock=False)

    async def _known(self, user_id: UserId, found: Sequence[object]) -> None:
        """An empty listing is `NotFound` when the user itself does not exist."""
        if not found:
            await self._account_row(user_id, lock=False)

    async def open_holds(self, user_id: UserId) -> Sequence[Hold]:
        await self._in_order()
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
        await self._in_order()
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
        await self._in_order()
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
        await self._in_order()

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
        await self._in_order()

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
        await self._in_order()

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
        await self._in_order()
        if self._pg is not None and expires_at > now:
            fast = await self._pg_hold(self._pg, user_id, amount, key, now, expires_at, reference)
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
                # the hold row first (no contention), the account row's lock last; its foreign
                # key is checked at commit, and an unknown user is found out below
                await self._c.execute(_NEW_HOLD, params)
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
        pg: PgTransaction,
        user_id: UserId,
        amount: int,
        key: str,
        now: datetime,
        expires_at: datetime,
        reference: str,
    ) -> LedgerReceipt | None:
        """The common case on PostgreSQL: one statement now, checking the account without a
        lock and claiming the key; the one that locks the account, inserts the hold row and
        records the receipt at the commit. None (nothing written) hands over to the general
        path, which finds out exactly why."""
        hold_id = HoldId(self._ids.new_id())
        # the domain validates the request
        Hold(
            id=hold_id,
            user_id=user_id,
            amount=amount,
            expires_at=expires_at,
            created_at=now,
            reference=reference,
        )
        check_key(key)
        params: dict[str, Any] = {
            "scope": f"ledger:{user_id}",
            "key": key,
            "now": now,
            "reference": reference,
            "hash": request_fingerprint(
                "hold", user_id, {"amount": amount, "reference": reference}
            ),
            "hold_id": hold_id,
            "user_id": user_id,
            "amount": amount,
            "expires_at": expires_at,
        }
        seen = await pg.execute(_PG_CHECK_AND_CLAIM, params)
        if seen is None:
            return None
        # the figures the hold would leave on the account as just read; the locking statement
        # replaces them with the real ones when it runs
        receipt = self._receipt(
            "hold", (user_id, seen[0], seen[1] + amount), amount, hold_id=hold_id
        )

        def refusal(balance: int, reserved: int, debt: int) -> BaseException:
            account = CreditAccount(user_id, balance, reserved, debt)
            try:
                account.hold(hold_id, amount, now, expires_at=expires_at, reference=reference)
            except DomainError as error:
                return error
            return RuntimeError(f"hold refused on an account that can take it: {account!r}")

        pg.defer(_Final(params, receipt, refusal))
        return receipt

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
        await self._in_order()

        async def run() -> LedgerReceipt:
            hold = await self._hold_row(user_id, hold_id, lock=True)
            hold.take_capture(amount, now)
            return await self._settle_part(user_id, hold, captured=amount, released=0, now=now)

        payload = {"hold_id": hold_id, "amount": amount}
        return await self._idempotent(user_id, key, "capture", payload, now, run)

    async def release(
        self, user_id: UserId, hold_id: HoldId, amount: int | None, *, key: str, now: datetime
    ) -> LedgerReceipt:
        await self._in_order()

        async def run() -> LedgerReceipt:
            hold = await self._hold_row(user_id, hold_id, lock=True)
            part = hold.open if amount is None else amount
            hold.take_release(part, now)
            return await self._settle_part(user_id, hold, captured=0, released=part, now=now)

        payload = {"hold_id": hold_id, "amount": amount}
        return await self._idempotent(user_id, key, "release", payload, now, run)

    async def expire_due(self, now: datetime, *, limit: int = 100) -> Sequence[LedgerReceipt]:
        await self._in_order()
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

    # ---------------------------------------------------------------- journal pages
    async def entries_page(
        self, user_id: UserId, *, limit: int, offset: int
    ) -> Sequence[LedgerEntry]:
        await self._in_order()
        return await journal.entries_page(self._c, user_id, limit=limit, offset=offset)

    async def count_entries(self, user_id: UserId) -> int:
        await self._in_order()
        return await journal.count_entries(self._c, user_id)
