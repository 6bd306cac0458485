"""wait_event: a background loop waiting for its wake-up event stays cancellable even when
the event is set in the same moment (asyncio.wait_for on 3.11 can swallow that cancel)."""

from __future__ import annotations

import asyncio

import pytest
from paylab.simulator.waiting import wait_event


async def _loop_forever(event: asyncio.Event) -> None:
    while True:
        await wait_event(event, 5.0)
        event.clear()


@pytest.mark.parametrize("turns_before_cancel", [0, 1, 2, 3])
async def test_a_cancel_arriving_with_the_wake_up_stops_the_loop(turns_before_cancel: int
                                                                 ) -> None:
    event = asyncio.Event()
    task = asyncio.create_task(_loop_forever(event))
    await asyncio.sleep(0)
    event.set()
    for _ in range(turns_before_cancel):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2.0)
    assert done, "the loop swallowed its cancellation and kept running"
    assert task.cancelled()


async def test_it_says_whether_the_event_came_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    event.set()
    assert await wait_event(event, 5.0) is True
