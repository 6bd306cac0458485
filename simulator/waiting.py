"""Waiting for an event with a timeout, without losing a cancellation.

On Python 3.11 `asyncio.wait_for(event.wait(), timeout)` can swallow the cancellation of
the task awaiting it when the event is set in the same loop iteration (CPython gh-86296):
a background loop then keeps running and the app's shutdown waits for it forever.
`asyncio.timeout` counts cancellations and re-raises them.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; returns whether it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
