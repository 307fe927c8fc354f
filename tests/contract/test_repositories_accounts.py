"""Repository contract for accounts and money: users, purchases, webhook deliveries,
social connections, OAuth states and idempotency keys.

Every test uses only the ports (`store.uow()`), so it runs unchanged against the in-memory
reference and the SQL adapters. Owner rows are created first: SQL has foreign keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from afp_core.domain.errors import Conflict, NotFound
from afp_core.domain.idempotency import IdempotencyRecord, fingerprint
from afp_core.domain.ids import PurchaseId, UserId
from afp_core.domain.money import Money
from afp_core.domain.payments import PaymentProviderName, Purchase, PurchaseStatus
from afp_core.domain.pricing import PlanTier
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthState,
    SocialConnection,
    SocialProvider,
)
from afp_core.domain.users import Role, User
from afp_core.ports.unit_of_work import UnitOfWork
from tests.contract.conftest import Store, delivery

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = UserId("u-alice")
BOB = UserId("u-bob")
LEMON = PaymentProviderName.LEMONSQUEEZY


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def committed(store: Store, action: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    async with store.uow() as uow:
        await action(uow)
        await uow.commit()


def a_user(user_id: str, *, email: str | None = None, created_at: datetime = NOW) -> User:
    return User(id=UserId(user_id), email=email or f"{user_id}@example.com", created_at=created_at)


async def add_users(store: Store, *user_ids: UserId) -> None:
    async with store.uow() as uow:
        for n, user_id in enumerate(user_ids):
            await uow.users.add(a_user(user_id, created_at=at(n)))
        await uow.commit()


# ---------------------------------------------------------------------------------- users


async def test_a_user_round_trips_and_is_found_by_id_and_by_email_in_any_case(
    store: Store,
) -> None:
    alice = User(
        id=ALICE,
        email="Alice@Example.COM",
        created_at=datetime(2026, 1, 1, 9, 30, 0, 654321, tzinfo=UTC),
        role=Role.ADMIN,
        plan=PlanTier.PRO,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    )
    bob = a_user(BOB)
    async with store.uow() as uow:
        await uow.users.add(alice)
        await uow.users.add(bob)
        await uow.commit()

    async with store.uow() as uow:
        loaded = await uow.users.get(ALICE)
        by_upper = await uow.users.by_email("ALICE@example.com")
        by_padded = await uow.users.by_email("  alice@EXAMPLE.com ")
        loaded_bob = await uow.users.get(BOB)
        nobody = await uow.users.by_email("nobody@example.com")
    assert loaded == alice
    assert loaded.email == "alice@example.com"
    assert loaded.role is Role.ADMIN and loaded.plan is PlanTier.PRO
    assert by_upper == alice and by_padded == alice
    assert loaded_bob == bob
    assert loaded_bob.password_hash is None and loaded_bob.role is Role.USER
    assert nobody is None


async def test_users_are_listed_in_creation_order_a_page_at_a_time(store: Store) -> None:
    async with store.uow() as uow:
        # inserted out of time order, so the order must come from `created_at`
        for n in (3, 0, 4, 2, 1):
            await uow.users.add(a_user(f"u-{n}", created_at=at(n)))
        await uow.commit()
    async with store.uow() as uow:
        everyone = [u.id for u in await uow.users.list()]
        first = [u.id for u in await uow.users.list(limit=2)]
        second = [u.id for u in await uow.users.list(limit=2, offset=2)]
        last = [u.id for u in await uow.users.list(limit=2, offset=4)]
        beyond = list(await uow.users.list(offset=5))
    assert everyone == ["u-0", "u-1", "u-2", "u-3", "u-4"]
    assert first == ["u-0", "u-1"]
    assert second == ["u-2", "u-3"]
    assert last == ["u-4"]
    assert beyond == []


async def test_a_second_user_with_the_same_email_is_a_conflict_and_the_store_still_works(
    store: Store,
) -> None:
    await committed(store, lambda uow: uow.users.add(a_user(ALICE, email="alice@example.com")))
    with pytest.raises(Conflict):
        await committed(
            store, lambda uow: uow.users.add(a_user("u-alice-2", email="ALICE@Example.com"))
        )

    await add_users(store, BOB)
    async with store.uow() as uow:
        assert (await uow.users.get(ALICE)).email == "alice@example.com"
        assert (await uow.users.get(BOB)).email == "u-bob@example.com"
        with pytest.raises(NotFound):
            await uow.users.get(UserId("u-alice-2"))
        assert [u.id for u in await uow.users.list()] == [ALICE, BOB]


async def test_two_users_with_one_email_in_one_unit_of_work_conflict_and_neither_is_kept(
    store: Store,
) -> None:
    async def add_both(uow: UnitOfWork) -> None:
        await uow.users.add(a_user("u-first", email="same@example.com"))
        await uow.users.add(a_user("u-second", email="Same@example.com"))

    with pytest.raises(Conflict):
        await committed(store, add_both)
    async with store.uow() as uow:
        assert await uow.users.by_email("same@example.com") is None
        assert list(await uow.users.list()) == []


async def test_an_unknown_user_is_not_found(store: Store) -> None:
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(UserId("u-nobody"))


# ---------------------------------------------------------------------------------- purchases


def a_purchase(purchase_id: str, user_id: UserId = ALICE, **changes: object) -> Purchase:
    fields: dict[str, object] = {
        "id": PurchaseId(purchase_id),
        "user_id": user_id,
        "pack_id": "starter",
        "credits": 100,
        "price": Money(Decimal("9.99"), "USD"),
        "provider": LEMON,
        "created_at": NOW,
    }
    return Purchase(**(fields | changes))  # type: ignore[arg-type]


async def test_a_purchase_round_trips_with_its_exact_decimal_price(store: Store) -> None:
    await add_users(store, ALICE)
    paid = a_purchase(
        "p-paid",
        pack_id="pro",
        credits=1200,
        price=Money(Decimal("1234.56"), "EUR"),
        provider=PaymentProviderName.CRYPTOMUS,
        created_at=datetime(2026, 1, 1, 10, 0, 0, 1, tzinfo=UTC),
        status=PurchaseStatus.PARTIALLY_REFUNDED,
        payment_id="pay-1",
        checkout_url="https://pay.example.com/c/1",
        refunded_credits=300,
    )
    pending = a_purchase("p-pending")
    async with store.uow() as uow:
        await uow.purchases.add(paid)
        await uow.purchases.add(pending)
        await uow.commit()
    async with store.uow() as uow:
        loaded_paid = await uow.purchases.get(PurchaseId("p-paid"))
        loaded_pending = await uow.purchases.get(PurchaseId("p-pending"))
        missing = await uow.purchases.get(PurchaseId("p-missing"))
    assert loaded_paid == paid and loaded_pending == pending
    assert loaded_pending is not None and loaded_paid is not None
    assert loaded_pending.price == Money(Decimal("9.99"), "USD")
    assert isinstance(loaded_pending.price.amount, Decimal)
    assert loaded_paid.price.amount == Decimal("1234.56")
    assert loaded_paid.status is PurchaseStatus.PARTIALLY_REFUNDED
    assert loaded_paid.provider is PaymentProviderName.CRYPTOMUS
    assert missing is None


async def test_a_paid_purchase_is_found_by_its_provider_and_payment_id(store: Store) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        # several pending purchases have no payment id yet; that is not a clash
        for name in ("p-1", "p-2", "p-3"):
            await uow.purchases.add(a_purchase(name))
        await uow.commit()
    async with store.uow() as uow:
        purchase = await uow.purchases.get(PurchaseId("p-2"))
        assert purchase is not None
        assert purchase.mark_paid("pay-42")
        await uow.purchases.save(purchase)
        await uow.commit()
    async with store.uow() as uow:
        found = await uow.purchases.by_payment_id(LEMON, "pay-42")
        other_provider = await uow.purchases.by_payment_id(PaymentProviderName.CRYPTOMUS, "pay-42")
        unknown = await uow.purchases.by_payment_id(LEMON, "pay-unknown")
    assert found == purchase
    assert found is not None and found.status is PurchaseStatus.PAID
    assert other_provider is None and unknown is None


async def test_saving_a_purchase_persists_payment_and_refunds(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.purchases.add(a_purchase("p-1")))
    async with store.uow() as uow:
        purchase = await uow.purchases.get(PurchaseId("p-1"))
        assert purchase is not None
        purchase.mark_paid("pay-1")
        assert purchase.refund_to(Money(Decimal("4.995"), "USD")) == 50
        await uow.purchases.save(purchase)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.purchases.get(PurchaseId("p-1"))
    assert stored == purchase
    assert stored is not None
    assert (stored.status, stored.refunded_credits) == (PurchaseStatus.PARTIALLY_REFUNDED, 50)


async def test_two_purchases_cannot_both_be_saved_with_one_provider_payment_id(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        await uow.purchases.add(a_purchase("p-1"))
        await uow.purchases.add(a_purchase("p-2"))
        await uow.commit()

    async def pay(purchase_id: str) -> None:
        async with store.uow() as uow:
            purchase = await uow.purchases.get(PurchaseId(purchase_id))
            assert purchase is not None
            purchase.mark_paid("pay-1")
            await uow.purchases.save(purchase)
            await uow.commit()

    await pay("p-1")
    # SQL adapters may surface their own integrity error; any failure at save or commit will do
    with pytest.raises(Exception):  # noqa: B017, PT011
        await pay("p-2")

    async with store.uow() as uow:
        first = await uow.purchases.get(PurchaseId("p-1"))
        second = await uow.purchases.get(PurchaseId("p-2"))
        by_payment = await uow.purchases.by_payment_id(LEMON, "pay-1")
    assert first is not None and first.payment_id == "pay-1"
    assert second == a_purchase("p-2")
    assert by_payment == first


# ---------------------------------------------------------------------------------- webhooks


async def test_a_webhook_delivery_is_new_once_per_provider_and_event_id(store: Store) -> None:
    async with store.uow() as uow:
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", NOW)) is True
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", at(1))) is False
        assert await uow.webhooks.record(delivery("cryptomus", "evt-1", at(1))) is True
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", at(2))) is False
        assert await uow.webhooks.record(delivery("cryptomus", "evt-1", at(2))) is False
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-2", at(2))) is True
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-2", at(3))) is False


async def test_a_delivery_recorded_in_a_unit_of_work_that_did_not_commit_is_new_again(
    store: Store,
) -> None:
    async with store.uow() as uow:
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", NOW)) is True
    async with store.uow() as uow:
        assert await uow.webhooks.record(delivery("lemonsqueezy", "evt-1", at(1))) is True


async def test_a_delivery_is_stored_raw_with_its_outcome_and_found_by_purchase(
    store: Store,
) -> None:
    async with store.uow() as uow:
        await uow.users.add(a_user(ALICE))
        await uow.purchases.add(a_purchase("p-1"))
        first = delivery("lemonsqueezy", "evt-1", NOW, purchase_id="p-1", kind="paid")
        later = delivery("lemonsqueezy", "evt-2", at(1), purchase_id="p-1", event_name="x")
        assert await uow.webhooks.record(later) is True
        assert await uow.webhooks.record(first) is True
        assert await uow.webhooks.record(delivery("cryptomus", "evt-3", NOW)) is True
        await uow.webhooks.set_outcome("lemonsqueezy", "evt-1", "credited")
        await uow.commit()
    async with store.uow() as uow:
        found = await uow.webhooks.for_purchase(PurchaseId("p-1"))
    assert [d.event_id for d in found] == ["evt-1", "evt-2"]
    assert found[0] == attrs.evolve(first, outcome="credited")
    assert found[0].body == first.body and found[1].event_name == "x"


async def test_purchases_are_listed_newest_first_since_a_date(store: Store) -> None:
    async with store.uow() as uow:
        await uow.users.add(a_user(ALICE))
        for n in range(3):
            await uow.purchases.add(a_purchase(f"p-{n}", created_at=at(n)))
        await uow.commit()
    async with store.uow() as uow:
        every = await uow.purchases.list_all()
        recent = await uow.purchases.list_all(since=at(1), limit=1)
    assert [p.id for p in every] == ["p-2", "p-1", "p-0"]
    assert [p.id for p in recent] == ["p-2"]


async def test_a_purchase_keeps_its_review_reason_and_refund_levels(store: Store) -> None:
    flagged = a_purchase(
        "p-1",
        status=PurchaseStatus.NEEDS_REVIEW,
        review_reason="paid 4.50 USD, the pack costs 9.00 USD",
        pending_refund=Money("3.00", "USD"),
        paid_amount=Money("10.80", "USD"),
    )
    async with store.uow() as uow:
        await uow.users.add(a_user(ALICE))
        await uow.purchases.add(flagged)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.purchases.get(PurchaseId("p-1"), lock=True) == flagged


# ---------------------------------------------------------------------------------- social


def a_connection(
    user_id: UserId = ALICE, provider: SocialProvider = SocialProvider.TIKTOK, **changes: object
) -> SocialConnection:
    fields: dict[str, object] = {
        "user_id": user_id,
        "provider": provider,
        "access_token_enc": "enc:access-1",
        "refresh_token_enc": "enc:refresh-1",
        "expires_at": at(60),
        "scopes": ("video.upload", "user.info.basic"),
        "account_id": "acct-1",
        "account_name": "@alice",
        "connected_at": NOW,
    }
    return SocialConnection(**(fields | changes))  # type: ignore[arg-type]


async def test_a_users_connections_round_trip_and_are_theirs_alone(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    tiktok = a_connection()
    youtube = a_connection(
        provider=SocialProvider.YOUTUBE,
        refresh_token_enc=None,
        expires_at=None,
        scopes=(),
        account_id="UC123",
        account_name="Alice Shorts",
    )
    async with store.uow() as uow:
        await uow.connections.save(tiktok)
        await uow.connections.save(youtube)
        await uow.commit()
    async with store.uow() as uow:
        got_tiktok = await uow.connections.get(ALICE, SocialProvider.TIKTOK)
        got_youtube = await uow.connections.get(ALICE, SocialProvider.YOUTUBE)
        got_instagram = await uow.connections.get(ALICE, SocialProvider.INSTAGRAM)
        listed = sorted(await uow.connections.list_for_user(ALICE), key=lambda c: c.provider)
        bobs = list(await uow.connections.list_for_user(BOB))
        bobs_tiktok = await uow.connections.get(BOB, SocialProvider.TIKTOK)
    assert got_tiktok == tiktok and got_youtube == youtube
    assert got_tiktok is not None and got_tiktok.scopes == ("video.upload", "user.info.basic")
    assert got_instagram is None
    assert listed == [tiktok, youtube]
    assert bobs == [] and bobs_tiktok is None


async def test_saving_a_connection_again_replaces_it(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.connections.save(a_connection()))
    renewed = a_connection(
        access_token_enc="enc:access-2",
        refresh_token_enc="enc:refresh-2",
        expires_at=at(120),
        account_name="@alice.new",
        connected_at=at(5),
    )
    await committed(store, lambda uow: uow.connections.save(renewed))
    async with store.uow() as uow:
        assert await uow.connections.get(ALICE, SocialProvider.TIKTOK) == renewed
        assert list(await uow.connections.list_for_user(ALICE)) == [renewed]

    async with store.uow() as uow:
        connection = await uow.connections.get(ALICE, SocialProvider.TIKTOK)
        assert connection is not None
        connection.revoke()
        await uow.connections.save(connection)
        await uow.commit()
    async with store.uow() as uow:
        revoked = await uow.connections.get(ALICE, SocialProvider.TIKTOK)
    assert revoked == connection
    assert revoked is not None and revoked.status is ConnectionStatus.REVOKED
    assert (revoked.access_token_enc, revoked.refresh_token_enc) == ("", None)


def an_oauth_state(state: str = "st-1") -> OAuthState:
    return OAuthState(
        state=state,
        user_id=ALICE,
        provider=SocialProvider.YOUTUBE,
        code_verifier="v" * 64,
        redirect_uri="https://app.example.com/oauth/youtube/callback",
        expires_at=at(10),
    )


async def test_an_oauth_state_can_be_popped_once(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.oauth_states.add(an_oauth_state()))
    async with store.uow() as uow:
        popped = await uow.oauth_states.pop("st-1")
        again = await uow.oauth_states.pop("st-1")
        await uow.commit()
    assert popped == an_oauth_state()
    assert popped is not None and popped.provider is SocialProvider.YOUTUBE
    assert again is None
    async with store.uow() as uow:
        assert await uow.oauth_states.pop("st-1") is None
        assert await uow.oauth_states.pop("st-unknown") is None


async def test_an_oauth_state_popped_without_commit_is_still_pending(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.oauth_states.add(an_oauth_state()))
    async with store.uow() as uow:
        assert await uow.oauth_states.pop("st-1") == an_oauth_state()
    async with store.uow() as uow:
        assert await uow.oauth_states.pop("st-1") == an_oauth_state()


# ---------------------------------------------------------------------------------- idempotency


def a_record(
    key: str = "k-1", *, scope: str = "start_video:u-alice", ref: str = "v-1"
) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=scope,
        key=key,
        fingerprint=fingerprint("start_video", {"url": "https://shop.example.com/p", "ref": ref}),
        result_ref=ref,
        created_at=NOW,
    )


async def test_an_idempotency_record_round_trips_under_its_scope_and_key(store: Store) -> None:
    await committed(store, lambda uow: uow.idempotency.add(a_record()))
    async with store.uow() as uow:
        stored = await uow.idempotency.get("start_video:u-alice", "k-1")
        other_key = await uow.idempotency.get("start_video:u-alice", "k-2")
        other_scope = await uow.idempotency.get("start_video:u-bob", "k-1")
    assert stored == a_record()
    assert other_key is None and other_scope is None


async def test_a_used_idempotency_key_cannot_be_added_again_and_keeps_its_first_record(
    store: Store,
) -> None:
    await committed(store, lambda uow: uow.idempotency.add(a_record(ref="v-1")))
    # SQL adapters may surface their own integrity error; any failure at add or commit will do
    with pytest.raises(Exception):  # noqa: B017, PT011
        await committed(store, lambda uow: uow.idempotency.add(a_record(ref="v-2")))
    await committed(store, lambda uow: uow.idempotency.add(a_record(scope="start_video:u-bob")))
    async with store.uow() as uow:
        assert await uow.idempotency.get("start_video:u-alice", "k-1") == a_record(ref="v-1")
        assert await uow.idempotency.get("start_video:u-bob", "k-1") == a_record(
            scope="start_video:u-bob"
        )
