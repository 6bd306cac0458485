"""The stored payments and orders per gateway and payment method (core/kpis.py
`gateway_methods`) for the dashboard and /_sim/metrics: counted afresh while that is quick,
reused for a while when it is slow, and counted on a thread of its own when the store is
a file, so a large database does not stall the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paylab.simulator.core.kpis import gateway_methods
from paylab.simulator.core.objects import register_sql
from paylab.simulator.core.store import Store

#: The payment figures (core/kpis.py) are counted afresh on every read while that takes
#: less than this; past it (a store grown by a long load test), a count is reused for
#: FIGURES_REUSE times as long as it took, so a dashboard polling every 1.5 s costs the
#: event loop about a tenth of its time at most, not all of it.
FIGURES_FRESH_SECONDS = 0.05
FIGURES_REUSE = 10


class PaymentFigures:
    """The last count of the payment figures, and when it may be reused until."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._figures: tuple[float, float, list[dict[str, Any]]] | None = None
        self._counting: asyncio.Future[tuple[float, list[dict[str, Any]]]] | None = None

    async def apart(self, store: Store) -> tuple[float, list[dict[str, Any]]]:
        """`figures`, counted on a thread with its own read-only connection when the store
        is a file, so the event loop goes on serving meanwhile (a million stored payments
        take tens of seconds to count). While a count runs, the last one answers: its time
        says how old it is."""
        if store.path == ":memory:":
            return self.now(store)
        cached = self._figures
        if cached is not None and (self._counting is not None or self._clock() < cached[0]):
            return cached[1], cached[2]
        if self._counting is None:
            self._counting = asyncio.ensure_future(asyncio.to_thread(_count_apart, store.path))
        counting = self._counting
        try:
            cost, rows = await asyncio.shield(counting)
        finally:
            if self._counting is counting and counting.done():
                self._counting = None
        return self._keep(cost, rows)

    def now(self, store: Store) -> tuple[float, list[dict[str, Any]]]:
        """(when counted, rows): the stored payments and orders per gateway and method
        (core/kpis.py), counted now unless counting is slow and was done very recently
        (see FIGURES_FRESH_SECONDS)."""
        if self._figures is not None and self._clock() < self._figures[0]:
            return self._figures[1], self._figures[2]
        started = time.perf_counter()
        rows = gateway_methods(store)
        return self._keep(time.perf_counter() - started, rows)

    def _keep(self, cost: float, rows: list[dict[str, Any]]
              ) -> tuple[float, list[dict[str, Any]]]:
        """Remember a count that took `cost` seconds: reused for a while if it was slow."""
        now = self._clock()
        reuse_until = now + cost * FIGURES_REUSE if cost >= FIGURES_FRESH_SECONDS else 0.0
        self._figures = (reuse_until, now, rows)
        return now, rows


class _Reader:
    """A read-only connection of its own, for counting off the event loop's connection."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True,
                                    timeout=10.0)
        register_sql(self.conn)

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()


def _count_apart(path: str) -> tuple[float, list[dict[str, Any]]]:
    """gateway_methods on its own connection (run on a thread); (seconds it took, rows)."""
    started = time.perf_counter()
    reader = _Reader(path)
    try:
        rows = gateway_methods(reader)  # type: ignore[arg-type] - it only reads with all()
    finally:
        reader.conn.close()
    return time.perf_counter() - started, rows
