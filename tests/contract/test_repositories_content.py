"""Repository contract for what users make: videos, batches and posts.

Every test uses only the ports (`store.uow()`), so it runs unchanged against the in-memory
reference and the SQL adapters. Owner rows are created first: SQL has foreign keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from afp_core.domain.batch import Batch, BatchItem, BatchStatus, BatchTally, ItemStatus
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.errors import NotFound
from afp_core.domain.ids import BatchId, BatchItemId, HoldId, PostId, UserId, VideoId
from afp_core.domain.social import Post, PostStatus, SocialProvider
from afp_core.domain.users import User
from afp_core.domain.video import Funding, Video, VideoSpec, VideoStatus
from afp_core.ports.unit_of_work import UnitOfWork
from tests.contract.conftest import Store

pytestmark = pytest.mark.contract

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = UserId("u-alice")
BOB = UserId("u-bob")


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def committed(store: Store, action: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    async with store.uow() as uow:
        await action(uow)
        await uow.commit()


async def add_users(store: Store, *user_ids: UserId) -> None:
    async with store.uow() as uow:
        for n, user_id in enumerate(user_ids):
            await uow.users.add(User(id=user_id, email=f"{user_id}@example.com", created_at=at(n)))
        await uow.commit()


def a_video(
    video_id: str,
    user_id: UserId = ALICE,
    *,
    created_at: datetime = NOW,
    status: VideoStatus = VideoStatus.QUEUED,
    task_id: str | None = None,
) -> Video:
    return Video(
        id=VideoId(video_id),
        user_id=user_id,
        spec=VideoSpec(
            model="afp-local", prompt="A bottle on a desk", duration_s=8, aspect_ratio="9:16"
        ),
        price=10,
        hold_id=HoldId(f"h-{video_id}"),
        created_at=created_at,
        updated_at=created_at,
        deadline=created_at + timedelta(hours=1),
        status=status,
        provider_task_id=task_id,
    )


def a_batch(batch_id: str, user_id: UserId = ALICE, *, created_at: datetime = NOW) -> Batch:
    return Batch(
        id=BatchId(batch_id),
        user_id=user_id,
        hold_id=HoldId(f"h-{batch_id}"),
        items=[
            BatchItem(
                id=BatchItemId(f"{batch_id}-i{n}"),
                row_index=n,
                url=f"https://shop.example.com/products/{n}",
                price=price,
            )
            for n, price in enumerate((10, 15, 20))
        ],
        created_at=created_at,
        updated_at=created_at,
    )


def a_post(
    post_id: str, video_id: str, user_id: UserId = ALICE, *, created_at: datetime = NOW
) -> Post:
    return Post(
        id=PostId(post_id),
        user_id=user_id,
        video_id=VideoId(video_id),
        provider=SocialProvider.TIKTOK,
        caption="Cold for 24 hours #bottle",
        created_at=created_at,
        updated_at=created_at,
    )


# ---------------------------------------------------------------------------------- videos


async def test_a_video_round_trips_every_field_exactly(store: Store) -> None:
    await add_users(store, ALICE)
    batch = a_batch("b-1")
    await committed(store, lambda uow: uow.batches.add(batch))
    created = datetime(2026, 1, 1, 12, 30, 15, 123456, tzinfo=UTC)
    video = Video(
        id=VideoId("v-full"),
        user_id=ALICE,
        spec=VideoSpec(
            model="veo3-fast",
            prompt="A steel bottle on a desk, morning light",
            duration_s=8,
            aspect_ratio="9:16",
            image_urls=("https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"),
            script_text="This bottle changed my commute.",
        ),
        price=30,
        hold_id=HoldId("h-b-1"),
        created_at=created,
        updated_at=created + timedelta(minutes=3),
        deadline=created + timedelta(hours=2),
        funding=Funding.BATCH_HOLD,
        batch_id=batch.id,
        batch_item_id=BatchItemId("b-1-i1"),
        status=VideoStatus.RENDERING,
        product={
            "title": "Insulated Water Bottle",
            "bullets": ["Keeps drinks cold for 24 hours", "Leak-proof lid"],
            "price": {"amount": "24.90", "currency": "USD"},
            "rating": 4.5,
            "in_stock": True,
            "variant": None,
        },
        assessment={
            "score": 82,
            "blocked": False,
            "factors": [{"name": "claims_grounded", "weight": 0.25, "notes": ["bullet:0"]}],
        },
        provider_task_id="task-123",
        attempts=2,
        polls=5,
        error_reason="provider busy, retried",
        result_key="videos/u-alice/v-full.mp4",
        result_url="https://media.example.com/videos/u-alice/v-full.mp4",
        history=[
            (VideoStatus.QUEUED, created),
            (VideoStatus.SUBMITTED, created + timedelta(minutes=1)),
            (VideoStatus.RENDERING, created + timedelta(minutes=3)),
        ],
    )
    plain = a_video("v-plain", created_at=at(5))
    async with store.uow() as uow:
        await uow.videos.add(video)
        await uow.videos.add(plain)
        await uow.commit()

    async with store.uow() as uow:
        loaded = await uow.videos.get(ALICE, video.id)
        loaded_plain = await uow.videos.get(ALICE, plain.id)
    assert loaded == video
    assert loaded_plain == plain
    assert loaded.status is VideoStatus.RENDERING
    assert loaded.funding is Funding.BATCH_HOLD
    assert all(type(status) is VideoStatus for status, _ in loaded.history)
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded_plain.product == {} and loaded_plain.history == []


async def test_another_users_video_is_not_found_but_workers_can_read_any(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    await committed(store, lambda uow: uow.videos.add(a_video("v-1")))
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.videos.get(BOB, VideoId("v-1"))
        with pytest.raises(NotFound):
            await uow.videos.get(ALICE, VideoId("v-missing"))
        with pytest.raises(NotFound):
            await uow.videos.get_any(VideoId("v-missing"))
        assert await uow.videos.get_any(VideoId("v-1")) == a_video("v-1")


async def test_a_videos_state_is_read_alone_in_a_read_only_unit_of_work(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    failed = a_video("v-1", status=VideoStatus.FAILED)
    failed.error_reason = "provider_error"
    await committed(store, lambda uow: uow.videos.add(failed))
    async with store.uow(read_only=True) as uow:
        state = await uow.videos.state_of(ALICE, VideoId("v-1"))
        assert (state.id, state.status, state.updated_at, state.error_reason) == (
            "v-1",
            VideoStatus.FAILED,
            NOW,
            "provider_error",
        )
        with pytest.raises(NotFound):
            await uow.videos.state_of(BOB, VideoId("v-1"))
        assert await uow.videos.get(ALICE, VideoId("v-1")) == failed  # no lock taken


async def test_a_video_is_found_by_its_provider_task_id(store: Store) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-1", task_id="task-1"))
        await uow.videos.add(a_video("v-2", created_at=at(1)))
        await uow.commit()
    async with store.uow() as uow:
        found = await uow.videos.by_task_id("task-1")
        missing = await uow.videos.by_task_id("task-unknown")
    assert found is not None and found.id == "v-1"
    assert missing is None


async def test_saving_a_loaded_video_persists_its_changes(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.videos.add(a_video("v-1")))
    async with store.uow() as uow:  # the create call's recovery point is stored as such
        video = await uow.videos.get(ALICE, VideoId("v-1"))
        video.begin_submit(at(1))
        await uow.videos.save(video)
        await uow.commit()
    async with store.uow() as uow:
        video = await uow.videos.get(ALICE, VideoId("v-1"))
        assert video.submit_started_at == at(1) and video.attempts == 1
        video.mark_submitted("task-9", at(1))
        video.mark_rendering(at(2))
        video.polls += 3
        await uow.videos.save(video)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.videos.get(ALICE, VideoId("v-1")) == video
        assert await uow.videos.by_task_id("task-9") == video
    async with store.uow() as uow:
        video = await uow.videos.get_any(VideoId("v-1"))
        video.mark_storing(at(3))
        video.mark_completed("videos/v-1.mp4", "https://media.example.com/v-1.mp4", at(4))
        await uow.videos.save(video)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.videos.get_any(VideoId("v-1"))
    assert stored == video
    assert stored.status is VideoStatus.COMPLETED
    assert [status for status, _ in stored.history] == [
        VideoStatus.SUBMITTED,
        VideoStatus.RENDERING,
        VideoStatus.STORING,
        VideoStatus.COMPLETED,
    ]


async def test_changes_to_a_loaded_video_are_not_stored_without_save(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.videos.add(a_video("v-1")))
    async with store.uow() as uow:
        video = await uow.videos.get(ALICE, VideoId("v-1"))
        video.mark_failed("not saved", at(1))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.videos.get(ALICE, VideoId("v-1")) == a_video("v-1")


async def test_a_users_videos_are_listed_newest_first_filtered_and_paged(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    statuses = [
        VideoStatus.COMPLETED,
        VideoStatus.QUEUED,
        VideoStatus.COMPLETED,
        VideoStatus.FAILED,
        VideoStatus.COMPLETED,
    ]
    async with store.uow() as uow:
        # inserted out of time order, so the order must come from `created_at`
        for n in (2, 0, 4, 1, 3):
            await uow.videos.add(a_video(f"v-a{n}", created_at=at(n), status=statuses[n]))
        await uow.videos.add(a_video("v-b0", BOB, created_at=at(10), status=VideoStatus.COMPLETED))
        await uow.commit()

    async with store.uow() as uow:
        videos = uow.videos
        everything = [v.id for v in await videos.list_for_user(ALICE)]
        completed = [v.id for v in await videos.list_for_user(ALICE, status=VideoStatus.COMPLETED)]
        page = [v.id for v in await videos.list_for_user(ALICE, limit=2, offset=1)]
        last = [v.id for v in await videos.list_for_user(ALICE, limit=2, offset=4)]
        beyond = list(await videos.list_for_user(ALICE, offset=5))
        second_done = [
            v.id
            for v in await videos.list_for_user(
                ALICE, status=VideoStatus.COMPLETED, limit=1, offset=1
            )
        ]
        bobs = [v.id for v in await videos.list_for_user(BOB)]
    assert everything == ["v-a4", "v-a3", "v-a2", "v-a1", "v-a0"]
    assert completed == ["v-a4", "v-a2", "v-a0"]
    assert page == ["v-a3", "v-a2"]
    assert last == ["v-a0"]
    assert beyond == []
    assert second_done == ["v-a2"]
    assert bobs == ["v-b0"]


async def test_every_users_videos_are_listed_newest_first_for_admins(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-a0", created_at=at(0), status=VideoStatus.FAILED))
        await uow.videos.add(a_video("v-b1", BOB, created_at=at(1)))
        await uow.videos.add(a_video("v-a2", created_at=at(2), status=VideoStatus.FAILED))
        await uow.videos.add(a_video("v-b3", BOB, created_at=at(3), status=VideoStatus.FAILED))
        await uow.commit()
    async with store.uow() as uow:
        everything = [v.id for v in await uow.videos.list_all()]
        failed = [v.id for v in await uow.videos.list_all(status=VideoStatus.FAILED)]
        page = [v.id for v in await uow.videos.list_all(limit=2, offset=1)]
        nothing = list(await uow.videos.list_all(status=VideoStatus.CANCELLED))
    assert everything == ["v-b3", "v-a2", "v-b1", "v-a0"]
    assert failed == ["v-b3", "v-a2", "v-a0"]
    assert page == ["v-a2", "v-b1"]
    assert nothing == []


# ---------------------------------------------------------------------------------- batches


async def test_a_batch_round_trips_with_its_items_in_every_state(store: Store) -> None:
    await add_users(store, ALICE)
    settled = datetime(2026, 1, 1, 0, 5, 0, 250000, tzinfo=UTC)
    batch = Batch(
        id=BatchId("b-1"),
        user_id=ALICE,
        hold_id=HoldId("h-b-1"),
        items=[
            BatchItem(
                id=BatchItemId("b-1-i0"),
                row_index=0,
                url="https://shop.example.com/products/0",
                price=10,
                options={"model": "veo3-fast", "aspect_ratio": "9:16"},
                status=ItemStatus.SUCCEEDED,
                video_id=VideoId("v-0"),
                credits_used=10,
                settled_at=settled,
            ),
            BatchItem(
                id=BatchItemId("b-1-i1"),
                row_index=1,
                url="https://shop.example.com/products/1",
                price=15,
                status=ItemStatus.FAILED,
                error="scrape blocked",
                settled_at=settled + timedelta(seconds=1),
            ),
            BatchItem(
                id=BatchItemId("b-1-i2"),
                row_index=2,
                url="https://shop.example.com/products/2",
                price=20,
                status=ItemStatus.RUNNING,
                video_id=VideoId("v-2"),
            ),
            BatchItem(
                id=BatchItemId("b-1-i3"),
                row_index=3,
                url="https://shop.example.com/products/3",
                price=5,
            ),
        ],
        created_at=NOW,
        updated_at=settled,
        metadata={"source": "csv", "filename": "products.csv"},
    )
    await committed(store, lambda uow: uow.batches.add(batch))
    async with store.uow() as uow:
        loaded = await uow.batches.get(ALICE, BatchId("b-1"))
    assert loaded == batch
    assert [type(item.status) for item in loaded.items] == [ItemStatus] * 4
    assert loaded.progress() == batch.progress()
    assert loaded.status is BatchStatus.RUNNING


async def test_saving_a_batch_persists_started_settled_and_cancelled_items(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.batches.add(a_batch("b-1")))
    async with store.uow() as uow:
        batch = await uow.batches.get(ALICE, BatchId("b-1"))
        batch.start_item(BatchItemId("b-1-i0"), VideoId("v-0"), at(1))
        batch.settle_item(BatchItemId("b-1-i1"), succeeded=False, now=at(2), error="bad url")
        await uow.batches.save(batch)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.batches.get(ALICE, BatchId("b-1")) == batch

    async with store.uow() as uow:
        batch = await uow.batches.get_any(BatchId("b-1"))
        batch.settle_item(BatchItemId("b-1-i0"), succeeded=True, now=at(3))
        batch.cancel(at(4))
        await uow.batches.save(batch)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.batches.get(ALICE, BatchId("b-1"))
    assert stored == batch
    assert [i.status for i in stored.items] == [
        ItemStatus.SUCCEEDED,
        ItemStatus.FAILED,
        ItemStatus.CANCELLED,
    ]
    assert (stored.items[0].credits_used, stored.items[2].settled_at) == (10, at(4))
    assert stored.cancelled_at == at(4)
    assert stored.status is BatchStatus.CANCELLED


async def test_another_users_batch_is_not_found_but_workers_can_read_any(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    await committed(store, lambda uow: uow.batches.add(a_batch("b-1")))
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.batches.get(BOB, BatchId("b-1"))
        with pytest.raises(NotFound):
            await uow.batches.get(ALICE, BatchId("b-missing"))
        with pytest.raises(NotFound):
            await uow.batches.get_any(BatchId("b-missing"))
        assert await uow.batches.get_any(BatchId("b-1")) == a_batch("b-1")


async def test_a_batch_keeps_its_budget_window_and_each_items_hold_attempts_and_dispatch(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    batch = a_batch("b-1")
    batch.budget, batch.window = 50, 2
    await committed(store, lambda uow: uow.batches.add(batch))
    async with store.uow() as uow:
        loaded = await uow.batches.get(ALICE, BatchId("b-1"))
        assert (loaded.budget, loaded.window) == (50, 2)
        first = loaded.dispatch(at(1))
        loaded.settle_item(first[0].id, succeeded=False, now=at(2), error="blocked")
        loaded.retry_failed(HoldId("h-retry"), at(3))
        await uow.batches.save(loaded)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.batches.get_any(BatchId("b-1"))
    assert stored == loaded
    retried = stored.item(first[0].id)
    assert (retried.hold_id, retried.attempts) == (HoldId("h-retry"), 2)
    assert retried.dispatched_at is None
    assert stored.hold_ids == (HoldId("h-b-1"), HoldId("h-retry"))
    assert stored.item(first[1].id).dispatched_at == at(1)


async def test_items_in_flight_are_counted_per_user_running_and_queued(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    mine, theirs = a_batch("b-1"), a_batch("b-2", BOB)
    mine.dispatch(at(1))  # the whole window: running and queued below
    mine.start_item(mine.items[0].id, VideoId("v-0"), at(2))
    mine.settle_item(mine.items[1].id, succeeded=True, now=at(2))  # in flight no more
    theirs.window = 1
    theirs.dispatch(at(1))
    await committed(store, lambda uow: uow.batches.add(mine))
    await committed(store, lambda uow: uow.batches.add(theirs))
    async with store.uow() as uow:
        load = await uow.batches.in_flight_by_user()
    queued = sum(1 for i in mine.items if i.in_flight) - 1
    assert dict(load) == {ALICE: (1, queued), BOB: (0, 1)}


def a_long_batch(batch_id: str, rows: int, *, window: int = 2) -> Batch:
    """Items stored out of row order (the last row first), all waiting."""
    items = [
        BatchItem(BatchItemId(f"{batch_id}-r{n}"), n + 2, f"https://shop.example.com/{n}", n + 1)
        for n in reversed(range(rows))
    ]
    return Batch(BatchId(batch_id), ALICE, HoldId(f"h-{batch_id}"), items, NOW, NOW, window=window)


async def whole(store: Store, batch_id: str) -> Batch:
    async with store.uow() as uow:
        return await uow.batches.get_any(BatchId(batch_id))


async def test_a_batch_header_is_the_batch_without_its_items_and_with_their_tally(
    store: Store,
) -> None:
    await add_users(store, ALICE, BOB)
    batch = a_batch("b-1")
    batch.budget, batch.window, batch.metadata = 90, 3, {"model": "veo3_fast"}
    batch.dispatch(at(1))
    batch.start_item(batch.items[0].id, VideoId("v-0"), at(2))
    batch.settle_item(batch.items[1].id, succeeded=False, now=at(3), error="blocked")
    await committed(store, lambda uow: uow.batches.add(batch))
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"))
        assert await uow.batches.get_header(BatchId("b-1"), owner=ALICE, lock=True) == header
        with pytest.raises(NotFound):
            await uow.batches.get_header(BatchId("b-1"), owner=BOB)
        with pytest.raises(NotFound):
            await uow.batches.get_header(BatchId("b-missing"))
    assert header == BatchHeader.of(batch)
    assert header.tally == BatchTally(
        total=3, pending=1, running=1, failed=1, in_flight_running=1, in_flight_queued=1,
        reserved=45, released=15, timed=1, timed_us=120_000_000,
    )  # fmt: skip
    assert (header.progress(), header.status, header.eta()) == (
        batch.progress(),
        batch.status,
        batch.eta(),
    )


async def test_one_item_is_read_and_saved_on_its_own_beside_its_header(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.batches.add(a_batch("b-1")))
    await committed(store, lambda uow: uow.batches.add(a_batch("b-2")))
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"), lock=True)
        item = await uow.batches.get_item(BatchId("b-1"), BatchItemId("b-1-i1"), lock=True)
        header.start_item(item, VideoId("v-1"), at(1))
        await uow.batches.save_item(header.id, item)
        await uow.batches.save_header(header)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.batches.get_item(BatchId("b-1"), BatchItemId("b-1-i1")) == item
        with pytest.raises(NotFound):
            await uow.batches.get_item(BatchId("b-2"), BatchItemId("b-1-i1"))
        with pytest.raises(NotFound):
            await uow.batches.get_item(BatchId("b-1"), BatchItemId("b-1-i9"))
        assert await uow.batches.get_header(BatchId("b-1")) == header
    expected = a_batch("b-1")
    expected.start_item(BatchItemId("b-1-i1"), VideoId("v-1"), at(1))
    assert await whole(store, "b-1") == expected
    assert await whole(store, "b-2") == a_batch("b-2")
    assert header.tally == expected.tally()


async def test_the_next_waiting_items_come_in_row_order_a_window_at_a_time(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.batches.add(a_long_batch("b-1", 6, window=2)))
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"), lock=True)
        assert await uow.batches.next_to_dispatch(header.id, 0) == []
        waiting = await uow.batches.next_to_dispatch(header.id, 3)
        assert [i.row_index for i in waiting] == [2, 3, 4]
        chosen = header.dispatch(waiting, at(1))  # the window: two of them
        assert [i.row_index for i in chosen] == [2, 3]
        for item in chosen:
            await uow.batches.save_item(header.id, item)
        await uow.batches.save_header(header)
        await uow.commit()
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"), lock=True)
        assert header.room == 0
        first = await uow.batches.get_item(header.id, chosen[0].id, lock=True)
        header.settle_item(first, succeeded=True, now=at(2))
        await uow.batches.save_item(header.id, first)
        assert [i.row_index for i in await uow.batches.next_to_dispatch(header.id, 2)] == [4, 5]
        waiting = await uow.batches.next_to_dispatch(header.id, 9)
        assert [i.row_index for i in waiting] == [4, 5, 6, 7]
        await uow.batches.save_header(header)
        await uow.commit()
    stored = await whole(store, "b-1")
    assert stored.tally() == header.tally
    assert stored.in_flight == header.tally.in_flight == 1


async def test_item_and_whole_batch_saves_keep_the_counts_and_the_load_per_user(
    store: Store,
) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.batches.add(a_long_batch("b-1", 4, window=3)))
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"), lock=True)
        items = header.dispatch(await uow.batches.next_to_dispatch(header.id, 3), at(1))
        header.start_item(items[0], VideoId("v-0"), at(2))
        header.settle_item(items[1], succeeded=False, now=at(3), error="blocked")
        for item in items:
            await uow.batches.save_item(header.id, item)
        await uow.batches.save_header(header)
        await uow.commit()
    async with store.uow() as uow:
        assert dict(await uow.batches.in_flight_by_user()) == {ALICE: (1, 1)}
    batch = await whole(store, "b-1")
    assert batch.tally() == header.tally
    async with store.uow() as uow:
        batch = await uow.batches.get_any(BatchId("b-1"))
        batch.cancel(at(4))
        await uow.batches.save(batch)
        await uow.commit()
    async with store.uow() as uow:
        header = await uow.batches.get_header(BatchId("b-1"))
        assert dict(await uow.batches.in_flight_by_user()) == {}
    assert header.tally == batch.tally()
    assert (header.status, header.tally.cancelled, header.tally.released) == (
        BatchStatus.CANCELLED,
        3,
        10,
    )


# ---------------------------------------------------------------------------------- posts


async def test_a_post_round_trips_every_field(store: Store) -> None:
    await add_users(store, ALICE)
    await committed(store, lambda uow: uow.videos.add(a_video("v-1")))
    published = Post(
        id=PostId("p-1"),
        user_id=ALICE,
        video_id=VideoId("v-1"),
        provider=SocialProvider.YOUTUBE,
        caption="Cold for 24 hours #bottle",
        created_at=NOW,
        updated_at=at(3),
        status=PostStatus.PUBLISHED,
        publish_id="pub-1",
        provider_post_id="yt-abc",
        post_url="https://youtube.com/shorts/abc",
        checks=3,
    )
    failed = Post(
        id=PostId("p-2"),
        user_id=ALICE,
        video_id=VideoId("v-1"),
        provider=SocialProvider.INSTAGRAM,
        caption="",
        created_at=at(1),
        updated_at=at(2),
        status=PostStatus.FAILED,
        error="token expired",
        checks=1,
    )
    async with store.uow() as uow:
        await uow.posts.add(published)
        await uow.posts.add(failed)
        await uow.posts.add(a_post("p-3", "v-1", created_at=at(2)))
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.posts.get(ALICE, PostId("p-1")) == published
        assert await uow.posts.get(ALICE, PostId("p-2")) == failed
        fresh = await uow.posts.get_any(PostId("p-3"))
    assert fresh == a_post("p-3", "v-1", created_at=at(2))
    assert fresh.status is PostStatus.PUBLISHING and fresh.provider is SocialProvider.TIKTOK


async def test_saving_a_post_persists_its_progress(store: Store) -> None:
    await add_users(store, ALICE)
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-1"))
        await uow.posts.add(a_post("p-1", "v-1"))
        await uow.commit()
    async with store.uow() as uow:
        post = await uow.posts.get(ALICE, PostId("p-1"))
        post.record_upload("pub-9", at(1))
        post.checks += 1
        await uow.posts.save(post)
        await uow.commit()
    async with store.uow() as uow:
        assert await uow.posts.get(ALICE, PostId("p-1")) == post
    async with store.uow() as uow:
        post = await uow.posts.get_any(PostId("p-1"))
        post.checks += 1
        post.mark_published("tt-9", "https://tiktok.com/@a/video/9", at(2))
        await uow.posts.save(post)
        await uow.commit()
    async with store.uow() as uow:
        stored = await uow.posts.get_any(PostId("p-1"))
    assert stored == post
    assert (stored.status, stored.checks, stored.publish_id) == (PostStatus.PUBLISHED, 2, "pub-9")


async def test_another_users_post_is_not_found_but_workers_can_read_any(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-1"))
        await uow.posts.add(a_post("p-1", "v-1"))
        await uow.commit()
    async with store.uow() as uow:
        with pytest.raises(NotFound):
            await uow.posts.get(BOB, PostId("p-1"))
        with pytest.raises(NotFound):
            await uow.posts.get(ALICE, PostId("p-missing"))
        with pytest.raises(NotFound):
            await uow.posts.get_any(PostId("p-missing"))
        assert await uow.posts.get_any(PostId("p-1")) == a_post("p-1", "v-1")
        assert list(await uow.posts.list_for_user(BOB)) == []


async def test_a_users_posts_are_listed_newest_first(store: Store) -> None:
    await add_users(store, ALICE, BOB)
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-a"))
        await uow.videos.add(a_video("v-b", BOB))
        for n in (1, 3, 0, 2):
            await uow.posts.add(a_post(f"p-a{n}", "v-a", created_at=at(n)))
        await uow.posts.add(a_post("p-b", "v-b", BOB, created_at=at(9)))
        await uow.commit()
    async with store.uow() as uow:
        mine = [p.id for p in await uow.posts.list_for_user(ALICE)]
        newest_two = [p.id for p in await uow.posts.list_for_user(ALICE, limit=2)]
        bobs = [p.id for p in await uow.posts.list_for_user(BOB)]
    assert mine == ["p-a3", "p-a2", "p-a1", "p-a0"]
    assert newest_two == ["p-a3", "p-a2"]
    assert bobs == ["p-b"]


async def test_stale_posts_are_the_publishing_ones_idle_since_before_a_time(store: Store) -> None:
    await add_users(store, ALICE)
    done = a_post("p-done", "v-1", created_at=at(0))
    done.mark_published("tt-1", None, at(1))
    async with store.uow() as uow:
        await uow.videos.add(a_video("v-1"))
        await uow.posts.add(a_post("p-old", "v-1", created_at=at(0)))
        await uow.posts.add(a_post("p-older", "v-1", created_at=at(-5)))
        await uow.posts.add(a_post("p-new", "v-1", created_at=at(10)))
        await uow.posts.add(done)
        await uow.commit()
    async with store.uow() as uow:
        stale = await uow.posts.stale(at(5))
        first = await uow.posts.stale(at(5), limit=1)
    assert [p.id for p in stale] == ["p-older", "p-old"]
    assert [p.id for p in first] == ["p-older"]
