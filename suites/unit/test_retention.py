"""Retention (core/retention.py): old finished traffic goes, live state stays, on the
virtual clock, in batches."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from paylab.simulator.core.retention import DAY, loop, prune, window_seconds
from paylab.suites.unit.inprocess import Sim, eventually, start

CARD = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true"}


async def paid(sim: Sim, **extra: Any) -> str:
    answer = await sim.stripe("POST", "/v1/payment_intents", {**CARD, **extra})
    assert answer.status == 200, answer.body
    return answer.body["id"]


def kinds(sim: Sim) -> dict[str, int]:
    return dict(sim.domain.store.all("SELECT kind, COUNT(*) FROM objects GROUP BY kind"))


def prune_all(sim: Sim, window: float = DAY, limit: int = 500) -> int:
    """Prune until a call deletes nothing and has caught up; the number of calls."""
    domain, calls = sim.domain, 0
    while True:
        calls += 1
        pruned = prune(domain.store, domain.clock.now(), window, domain.clock.wall(), limit)
        if pruned.total == 0 and pruned.caught_up:
            return calls
        assert calls < 1000


async def test_finished_payments_older_than_the_window_go_with_their_children(
        aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    old = await paid(sim)
    sim.domain.advance_clock(2 * DAY)
    new = await paid(sim)
    prune_all(sim)
    store = sim.domain.store
    ids = {row[0] for row in store.all("SELECT id FROM objects")}
    assert old not in ids and new in ids
    # the new payment's charge, balance entry, method and three events are all still there
    assert kinds(sim) == {"payment": 1, "charge": 1, "balance_entry": 1, "payment_method": 1,
                          "event": 3}
    assert (await sim.stripe("GET", f"/v1/payment_intents/{new}")).status == 200
    assert (await sim.stripe("GET", f"/v1/payment_intents/{old}")).status == 404


async def test_nothing_younger_than_the_window_goes(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    await paid(sim)
    before = kinds(sim)
    sim.domain.advance_clock(DAY - 60)
    prune_all(sim)
    assert kinds(sim) == before


async def test_payments_still_open_or_held_stay_with_their_charge(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    held = await paid(sim, capture_method="manual")
    unconfirmed = (await sim.stripe("POST", "/v1/payment_intents",
                                    {"amount": 500, "currency": "usd"})).body["id"]
    sim.domain.advance_clock(3 * DAY)
    prune_all(sim)
    ids = {row[0] for row in sim.domain.store.all("SELECT id FROM objects")}
    assert {held, unconfirmed} <= ids
    assert kinds(sim)["charge"] == 1  # the held payment's charge stays with it
    capture = await sim.stripe("POST", f"/v1/payment_intents/{held}/capture")
    assert capture.status == 200, capture.body


async def test_events_with_a_pending_delivery_stay(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    store = sim.domain.store
    await paid(sim)
    event_id = store.one("SELECT id FROM objects WHERE kind = 'event' ORDER BY seq")[0]
    store.write("INSERT INTO deliveries (tenant, gateway, event_id, endpoint_id, status, "
                "next_at, created) VALUES (?, 'stripe', ?, 'we_1', 'pending', 1e12, 0)",
                (sim.tenant, event_id))
    store.write("INSERT INTO deliveries (tenant, gateway, event_id, endpoint_id, status, "
                "created) VALUES (?, 'stripe', 'evt_gone', 'we_1', 'delivered', 0)",
                (sim.tenant,))
    sim.domain.advance_clock(2 * DAY)
    prune_all(sim)
    assert store.all("SELECT id FROM objects WHERE kind = 'event'") == [(event_id,)]
    assert store.all("SELECT event_id FROM deliveries") == [(event_id,)]


async def test_objects_a_timer_refers_to_stay(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    payment = await paid(sim)
    sim.domain.timers.schedule(sim.tenant, "settle", payment, 10 * DAY, {})
    sim.domain.advance_clock(2 * DAY)
    prune_all(sim)
    assert sim.domain.store.one("SELECT 1 FROM objects WHERE id = ?", (payment,))


async def test_configuration_stays_whatever_its_age(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    customer = (await sim.stripe("POST", "/v1/customers", {"email": "a@example.com"})).body
    sim.domain.advance_clock(30 * DAY)
    prune_all(sim)
    assert (await sim.stripe("GET", f"/v1/customers/{customer['id']}")).status == 200


async def test_pruning_goes_in_batches_of_the_limit(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    for _ in range(5):
        await paid(sim)
    sim.domain.advance_clock(2 * DAY)
    domain = sim.domain
    first = prune(domain.store, domain.clock.now(), DAY, None, limit=4)
    assert first.objects <= 4 and not first.caught_up
    assert prune_all(sim, limit=4) > 3
    assert kinds(sim) == {}


async def test_the_journal_goes_by_the_wall_clock(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    await paid(sim)
    store, clock = sim.domain.store, sim.domain.clock
    assert store.one("SELECT COUNT(*) FROM journal")[0] >= 1
    prune(store, clock.now(), DAY, clock.wall() + DAY - 60)
    assert store.one("SELECT COUNT(*) FROM journal")[0] >= 1
    prune(store, clock.now(), DAY, clock.wall() + DAY + 60)
    assert store.one("SELECT COUNT(*) FROM journal")[0] == 0


def test_the_window_is_off_by_default_and_at_least_a_day() -> None:
    assert window_seconds(None) is None
    assert window_seconds(0) is None
    assert window_seconds(2) == 2 * DAY
    with pytest.raises(ValueError, match="at least"):
        window_seconds(0.5)


async def test_the_background_loop_prunes_and_is_none_when_retention_is_off(
        aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    domain = sim.domain
    assert loop(domain.store, domain.clock, 0) is None
    await paid(sim)
    domain.advance_clock(3 * DAY)
    task = asyncio.create_task(loop(domain.store, domain.clock, 2)())  # type: ignore[misc]
    try:
        await eventually(lambda: _empty(sim))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _empty(sim: Sim) -> bool:
    return not kinds(sim)
