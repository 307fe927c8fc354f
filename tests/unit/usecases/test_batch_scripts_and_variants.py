"""A batch row's own `script` is the script its video is made of; `variants` makes that many
videos of one product, each on a script of its own, priced and held as that many items."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest
from dependency_injector import providers

from afp_adapters.fakes import FakeScriptWriter
from afp_core.domain.batch import BatchItem, BatchRow, ItemStatus
from afp_core.domain.errors import InvalidRows, ValidationFailed
from afp_core.domain.ids import BatchItemId, UserId
from afp_core.domain.policy import BatchLimits
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script, ScriptOptions
from afp_core.usecases import (
    GetBatchResultsQuery,
    GetBatchStatusQuery,
    QuoteBatchQuery,
    StartBatchCommand,
    StartBatchResult,
)
from tests.world import World

PRICE = 10  # veo3_fast, 8 s
URL = "https://shop.example.com/products/kettle"
OWN = "  Boil water   in 60 seconds! Our kettle is quiet.\nGrab yours today. "


def writer_of(world: World) -> FakeScriptWriter:
    writer = FakeScriptWriter()
    world.c.script_writer.override(providers.Object(writer))
    return writer


async def start(world: World, user: UserId, *rows: BatchRow) -> StartBatchResult:
    return await world.c.start_batch().execute(
        StartBatchCommand(user_id=user, rows=rows, model="veo3_fast")
    )


async def scripts_of(world: World, user: UserId, result: StartBatchResult) -> list[str]:
    """The script text of each item's video, in item order."""
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, result.batch_id))
    texts = []
    for item in sorted(status.items, key=lambda i: (i.row_index, i.variant)):
        assert item.video_id is not None, item
        texts.append((await world.video(item.video_id)).spec.script_text)
    return texts


async def test_a_rows_own_script_is_used_as_written_and_no_script_is_written() -> None:
    world = World()
    writer = writer_of(world)
    user = await world.user(credits=100)
    result = await start(world, user, BatchRow(2, URL, {"script": OWN}))
    await world.run_jobs()
    assert writer.requests == []
    assert await scripts_of(world, user, result) == [
        "Boil water in 60 seconds! Our kettle is quiet. Grab yours today."
    ]
    assert (await world.balance(user)).balance == 100 - PRICE


async def test_a_rows_own_script_is_still_assessed_and_blocked_when_risky() -> None:
    world = World()
    writer_of(world)
    user = await world.user(credits=100)
    risky = "This kettle cures cancer. Guaranteed results or your money back."
    result = await start(world, user, BatchRow(2, URL, {"script": risky}))
    await world.run_jobs()
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, result.batch_id))
    [item] = status.items
    assert item.status is ItemStatus.FAILED
    assert (item.error or "").startswith("content_blocked")
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (100, 0)


async def test_variants_make_that_many_videos_each_on_its_own_script() -> None:
    world = World()
    writer = writer_of(world)
    user = await world.user(credits=100)
    quote = await world.c.quote_batch().execute(
        QuoteBatchQuery(user, (BatchRow(2, URL, {"variants": "3"}), BatchRow(3, URL + "-2")))
    )
    assert [(r.line, r.price, r.variants) for r in quote.rows] == [
        (2, 3 * PRICE, 3),
        (3, PRICE, 1),
    ]
    assert (quote.total, quote.total_items) == (4 * PRICE, 4)

    result = await start(world, user, BatchRow(2, URL, {"variants": "3"}), BatchRow(3, URL + "-2"))
    assert (result.total_items, result.credits_reserved) == (4, 4 * PRICE)
    await world.run_jobs()
    texts = await scripts_of(world, user, result)
    assert len(texts) == 4 and len(set(texts[:3])) == 3  # three different scripts for row 2
    # variant K asks for K scripts and takes the K-th; the single row asks for one
    assert sorted(options.count for _, options in writer.requests) == [1, 1, 2, 3]
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (100 - 4 * PRICE, 0)

    results = await world.c.get_batch_results().execute(GetBatchResultsQuery(user, result.batch_id))
    assert [(r.item.row_index, r.item.variant) for r in results.rows] == [
        (2, 1),
        (2, 2),
        (2, 3),
        (3, 1),
    ]
    assert all(r.result_key for r in results.rows)


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"variants": "0"}, "from 1 to 5"),
        ({"variants": "6"}, "from 1 to 5"),
        ({"variants": "two"}, "from 1 to 5"),
        ({"variants": "\u00b2"}, "from 1 to 5"),  # a digit to str.isdigit, not a number
        ({"variants": "2", "script": OWN}, "own script"),
    ],
)
async def test_bad_variants_are_named_and_nothing_is_held(
    options: dict[str, str], reason: str
) -> None:
    world = World()
    user = await world.user(credits=100)
    before = world.snapshot()
    with pytest.raises(InvalidRows) as caught:
        await start(world, user, BatchRow(2, URL + "-ok"), BatchRow(7, URL, options))
    [error] = caught.value.errors
    assert (error.line, error.column) == (7, "variants")
    assert reason in error.reason
    assert world.snapshot() == before


async def test_variants_count_against_the_batch_size_limit() -> None:
    world = World()
    world.c.batch_limits.override(providers.Object(BatchLimits(max_rows=4)))
    user = await world.user(credits=1000)
    before = world.snapshot()
    with pytest.raises(ValidationFailed, match="5 videos"):
        await start(
            world,
            user,
            BatchRow(2, URL, {"variants": "3"}),
            BatchRow(3, URL + "-2", {"variants": "2"}),
        )
    assert world.snapshot() == before


class ShortWriter(FakeScriptWriter):
    """Writes one script whatever it is asked for."""

    async def write(self, product: ProductFacts, options: ScriptOptions) -> Sequence[Script]:
        return list(await super().write(product, attrs.evolve(options, count=1)))


async def test_a_variant_whose_script_was_not_written_fails_and_is_not_charged() -> None:
    world = World()
    world.c.script_writer.override(providers.Object(ShortWriter()))
    user = await world.user(credits=100)
    result = await start(world, user, BatchRow(2, URL, {"variants": "3"}))
    await world.run_jobs()
    status = await world.c.get_batch_status().execute(GetBatchStatusQuery(user, result.batch_id))
    assert [(i.variant, i.status) for i in sorted(status.items, key=lambda i: i.variant)] == [
        (1, ItemStatus.SUCCEEDED),
        (2, ItemStatus.FAILED),
        (3, ItemStatus.FAILED),
    ]
    assert all("wrote 1 of the" in (i.error or "") for i in status.items if i.variant > 1)
    balance = await world.balance(user)
    assert (balance.balance, balance.reserved) == (100 - PRICE, 0)  # one video, one price


async def test_a_replay_answers_with_its_batch_even_if_the_rules_changed_since() -> None:
    world = World()
    user = await world.user(credits=100)
    command = StartBatchCommand(
        user_id=user,
        rows=(BatchRow(2, URL, {"variants": "3"}),),
        model="veo3_fast",
        idempotency_key="once",
    )
    first = await world.c.start_batch().execute(command)
    world.c.batch_limits.override(providers.Object(BatchLimits(max_rows=2)))  # now too big
    again = await world.c.start_batch().execute(command)
    assert again.replayed and (again.batch_id, again.total_items) == (first.batch_id, 3)
    assert (await world.balance(user)).reserved == 3 * PRICE


def test_an_item_stored_before_variants_took_effect_is_its_rows_only_video() -> None:
    old = BatchItem(BatchItemId("i"), 2, URL, PRICE, options={"variants": "\u00b2"})
    assert (old.variant, old.variants) == (1, 1)
    old = BatchItem(BatchItemId("i"), 2, URL, PRICE, options={"variants": "4"})
    assert (old.variant, old.variants) == (1, 1)
    new = BatchItem(BatchItemId("i"), 2, URL, PRICE, options={"variants": "4", "variant": "2"})
    assert (new.variant, new.variants) == (2, 4)
