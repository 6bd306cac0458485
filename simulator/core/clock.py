"""An injectable virtual clock: wall time plus an offset the control API can advance.

Domain timestamps (created, expiries, retry due times) come from here. Webhook signature
timestamps use the real wall clock, because receivers check them against theirs.
`time_scale` compresses waiting: a retry due in 60 virtual seconds is waited for
60 / time_scale real seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Virtual time = wall time + offset; advancing it wakes whoever subscribed."""

    def __init__(self, time_scale: float = 1.0, wall: Callable[[], float] = time.time) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._wall = wall
        self._offset = 0.0
        self._listeners: list[Callable[[], None]] = []

    @property
    def offset(self) -> float:
        """Seconds the virtual clock runs ahead of the wall clock."""
        return self._offset

    def now(self) -> float:
        """Current virtual time in unix seconds."""
        return self._wall() + self._offset

    def wall(self) -> float:
        """Real time in unix seconds (for signatures and latency figures)."""
        return self._wall()

    def set_offset(self, offset: float) -> None:
        """Restore a persisted offset (used at start-up)."""
        self._offset = float(offset)

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
