"""Durable timers: work the core must do later (settle a `processing` payment).

Rows live in SQLite with the state they act on, so a restart keeps them; the app's
scheduler task fires the due ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.store import Store


@dataclass(frozen=True)
class Timer:
    """One due piece of work."""

    id: int
    tenant: str
    kind: str
    ref: str
    payload: dict[str, Any]


class Timers:
    """Schedule, find and finish timers."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._wake: list[Any] = []

    def on_schedule(self, callback: Any) -> None:
        """Called after a timer is added (the scheduler re-plans its sleep)."""
        self._wake.append(callback)

    def schedule(self, tenant: str, kind: str, ref: str, after: float,
                 payload: dict[str, Any]) -> None:
        """Run `kind` on `ref` in `after` virtual seconds."""
        self.store.write(
            "INSERT INTO timers (tenant, kind, ref, due_at, payload) VALUES (?, ?, ?, ?, ?)",
            (tenant, kind, ref, self.clock.now() + after, orjson.dumps(payload)),
        )
        for wake in self._wake:
            wake()

    def due(self, limit: int = 100) -> list[Timer]:
        """Timers whose time has come, oldest first."""
        rows = self.store.all(
            "SELECT id, tenant, kind, ref, payload FROM timers WHERE due_at <= ? "
            "ORDER BY due_at, id LIMIT ?",
            (self.clock.now(), limit),
        )
        return [Timer(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    def next_due(self) -> float | None:
        """Virtual time of the earliest timer."""
        row = self.store.one("SELECT MIN(due_at) FROM timers")
        return row[0] if row and row[0] is not None else None

    def done(self, timer_id: int) -> None:
        """Remove a fired timer (in the same batch as its effects)."""
        self.store.write("DELETE FROM timers WHERE id = ?", (timer_id,))
