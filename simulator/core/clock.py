"""An injectable virtual clock that runs `time_scale` times as fast as the wall clock,
plus an offset the control API can advance.

Domain timestamps (created, expiries, retry due times, scenario windows) come from here,
so `--time-scale 20` makes a retry due in 60 virtual seconds arrive after 3 real seconds.
Webhook signature timestamps use the real wall clock, because receivers check them
against theirs.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Virtual time = wall time + offset; advancing it wakes whoever subscribed."""

    def __init__(self, time_scale: float = 1.0, wall: Callable[[], float] = time.time,
                 start: float | None = None) -> None:
        """`start`: the wall time the scaled clock runs from (default: now). Worker
        processes of one simulator pass the same, so their fast clocks agree."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._wall = wall
        self._start = wall() if start is None else float(start)
        self._offset = 0.0
        self._listeners: list[Callable[[], None]] = []

    @property
    def offset(self) -> float:
        """Seconds the virtual clock runs ahead of the wall clock."""
        return self._offset

    def now(self) -> float:
        """Current virtual time in unix seconds."""
        wall = self._wall()
        return wall + (wall - self._start) * (self.time_scale - 1) + self._offset

    def wall(self) -> float:
        """Real time in unix seconds (for signatures and latency figures)."""
        return self._wall()

    def set_offset(self, offset: float) -> None:
        """Restore a persisted offset (used at start-up)."""
        self._offset = float(offset)

    def sync_offset(self, offset: float) -> None:
        """Take the offset another process persisted; an advance wakes the subscribers as
        `advance` does (a reset to 0 only sets it)."""
        moved = float(offset) > self._offset
        self._offset = float(offset)
        if moved:
            for listener in list(self._listeners):
                listener()

    def not_before(self, floor: float) -> None:
        """Never run behind `floor` (the newest stored timestamp), e.g. after a restart of a
        fast clock; later advances and time persist as usual."""
        if self.now() < floor:
            self._offset += floor - self.now()

    def advance(self, seconds: float) -> float:
        """Move virtual time forward; returns the new virtual now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        for listener in list(self._listeners):
            listener()
        return self.now()

    def real_delay(self, virtual_seconds: float) -> float:
        """How long to really wait for `virtual_seconds` to pass."""
        return max(0.0, virtual_seconds) / self.time_scale

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every advance (the webhook dispatcher re-checks due work)."""
        self._listeners.append(listener)
