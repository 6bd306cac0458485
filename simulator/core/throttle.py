"""A sliding-window throttle over stored times: at most `burst` events in any `window`.

Pure functions over the times the caller keeps in the store (so several worker processes
share one limit, and a restart keeps it). It does not refuse: it says when the next event
may happen (now, or later), so callers can defer work instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Sequence


def recent(times: Sequence[float], now: float, window: float) -> list[float]:
    """The times still inside the window that ends at `now`, oldest first."""
    return sorted(t for t in times if t > now - window)


def next_slot(times: Sequence[float], now: float, burst: int, window: float) -> float:
    """The earliest time, `now` or later, for one more event after `times`."""
    kept = recent(times, now, window)
    return now if len(kept) < burst else max(now, kept[-burst] + window)


def take(times: Sequence[float], now: float, burst: int, window: float
         ) -> tuple[float, list[float]]:
    """Book one more event at its earliest slot: (the slot, the times to store)."""
    slot = next_slot(times, now, burst, window)
    return slot, [*recent(times, now, window)[-burst:], slot]
