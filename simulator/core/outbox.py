"""The durable webhook outbox.

An event becomes one `deliveries` row per matching target, written in the same
transaction as the state change that caused it. A target is a registered endpoint
(`we_...`, all of a tenant's events of the kinds it enabled) or a callback (`cb_...`, the
events of the one payment it is bound to; see core.callbacks); the row's `endpoint_id`
names either. The dispatcher (simulator.webhooks)
claims due rows, delivers them, and records each attempt here. Rows survive restarts;
a row claimed by a process that died is pending again at the next start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from paylab.simulator.core import throttle
from paylab.simulator.core.callbacks import Callbacks, is_callback_id
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.endpoints import KIND as ENDPOINT_KIND
from paylab.simulator.core.endpoints import Endpoints
from paylab.simulator.core.events import event_matches
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.store import Store

#: Standard Webhooks' example schedule, in seconds after the previous failure.
DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)

RESPONSE_EXCERPT = 500
#: Redeliveries of one delivery: at most this many in any window of wall-clock seconds
#: (wall-clock, so a fast --time-scale does not shorten it). More are deferred until the
#: window allows: two receivers that redeliver each other's deliveries would otherwise loop
#: as fast as the simulator can send.
REDELIVERY_BURST = 10
REDELIVERY_WINDOW = 60.0


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery, ready to be attempted."""

    id: int
    tenant: str
    gateway: str
    event_id: str
    endpoint_id: str
    attempts: int
    copy: int = 0
    chaos: dict[str, Any] | None = None


class ChaosPlan(Protocol):
    """Scenario effects on one event's deliveries (see simulator.scenarios.effects.Chaos)."""

    duplicate: int

    def for_copy(self, copy: int) -> dict[str, Any]:
        """The stored plan of copy `copy` (0 is the original): delay, drops, tampering."""
        ...


ChaosHook = Callable[[str, Any, Any], ChaosPlan | None]


class Outbox:
    """Enqueue, claim and settle webhook deliveries."""

    def __init__(
        self,
        store: Store,
        endpoints: Endpoints,
        clock: Clock,
        retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        callbacks: Callbacks | None = None,
    ) -> None:
        """`retry_schedule`: delays after each failed attempt. A schedule other than the
        default was chosen (--retry-schedule; tests use short ones), so it applies to every
        gateway; the default lets a gateway's own schedule apply (`schedule_for`)."""
        self.store = store
        self.endpoints = endpoints
        self.callbacks = callbacks
        self.clock = clock
        self.retry_schedule = tuple(retry_schedule)
        self.uniform = self.retry_schedule != tuple(DEFAULT_RETRY_SCHEDULE)
        self._wake: list[Callable[[], None]] = []
        #: Asked per (tenant, event, endpoint) for webhook chaos; set when scenarios exist.
        self.chaos: ChaosHook | None = None

    def on_enqueue(self, callback: Callable[[], None]) -> None:
        """Called after rows are added, so the dispatcher need not poll."""
        self._wake.append(callback)

    # -- producer side --------------------------------------------------------------------
    def schedule_for(self, gateway_schedule: Sequence[float] | None) -> tuple[float, ...]:
        """The retry schedule a gateway's deliveries follow: its own (`gateway_schedule`,
        None: it has none) unless an explicit schedule applies to every gateway."""
        if self.uniform or gateway_schedule is None:
            return self.retry_schedule
        return tuple(gateway_schedule)

    def target(self, tenant: str, target_id: str) -> Doc | None:
        """The endpoint or callback a delivery goes to (by its id's prefix), or None when
        it is gone."""
        if is_callback_id(target_id):
            return self.callbacks.get(tenant, target_id) if self.callbacks else None
        return self.endpoints.objects.find(tenant, ENDPOINT_KIND, target_id)

    def enqueue_event(self, tenant: str, event: Doc) -> int:
        """One pending delivery per endpoint subscribed to this event and per callback
        bound to its object that wants it; returns the count."""
        targets = [
            ep for ep in self.endpoints.active(tenant, event["gateway"])
            if event_matches(ep["enabled_events"], event["type"])
        ]
        if self.callbacks is not None:
            targets += self.callbacks.matching(tenant, event)
        if not targets:
            return 0
        now = self.clock.now()
        rows = []
        for ep in targets:
            chaos = self.chaos(tenant, event, ep) if self.chaos is not None else None
            for copy in range(1 + (chaos.duplicate if chaos else 0)):
                plan = chaos.for_copy(copy) if chaos else None
                rows.append((tenant, event["gateway"], event["id"], ep["id"],
                             now + (plan["delay"] if plan else 0), now, copy,
                             orjson.dumps(plan).decode() if plan else None))
        self.store.write_many(
            "INSERT OR IGNORE INTO deliveries (tenant, gateway, event_id, endpoint_id, "
            "status, next_at, created, copy, chaos) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
            rows,
        )
        for wake in self._wake:
            wake()
        return len(targets)

    def redeliver(self, delivery_id: int) -> bool:
        """Queue one more attempt of a delivery, whatever its state; False if unknown.

        One at a time: a delivery already pending at least as soon is left as it is. At
        most REDELIVERY_BURST per REDELIVERY_WINDOW: beyond, the attempt waits its turn.
        """
        wall, now = self.clock.wall(), self.clock.now()
        with self.store.atomic() as conn:
            row = conn.execute("SELECT status, next_at, redeliveries FROM deliveries "
                               "WHERE id = ?", (delivery_id,)).fetchone()
            if row is None:
                return False
            booked = orjson.loads(row[2] or "[]")
            slot, booked = throttle.take(booked, wall, REDELIVERY_BURST, REDELIVERY_WINDOW)
            at = now + (slot - wall) * self.clock.time_scale  # the wall wait, in virtual time
            if row[0] == "pending" and row[1] is not None and row[1] <= at:
                return True
            conn.execute("UPDATE deliveries SET status = 'pending', next_at = ?, "
                         "redeliveries = ? WHERE id = ?",
                         (at, orjson.dumps(booked).decode(), delivery_id))
        for wake in self._wake:
            wake()
        return True

    # -- consumer side --------------------------------------------------------------------
    def recover(self) -> int:
        """At start-up: rows left in flight by a dead process are pending again."""
        with self.store.atomic() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET status = 'pending' WHERE status = 'in_flight'"
            )
        return cur.rowcount

    def claim_due(self, limit: int) -> list[Delivery]:
        """Mark up to `limit` due rows in flight and return them."""
        now = self.clock.now()
        with self.store.atomic() as conn:
            rows = conn.execute(
                "SELECT id, tenant, gateway, event_id, endpoint_id, attempts, copy, chaos "
                "FROM deliveries WHERE status = 'pending' AND next_at <= ? "
                "ORDER BY next_at, id LIMIT ?",
                (now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE deliveries SET status = 'in_flight' WHERE id = ?", [(r[0],) for r in rows]
            )
        return [Delivery(*r[:7], orjson.loads(r[7]) if r[7] else None) for r in rows]

    def release(self, delivery_ids: list[int]) -> None:
        """Claimed rows whose attempt could not be recorded are pending again."""
        with self.store.atomic() as conn:
            conn.executemany("UPDATE deliveries SET status = 'pending' "
                             "WHERE id = ? AND status = 'in_flight'",
                             [(i,) for i in delivery_ids])

    def next_due(self) -> float | None:
        """Virtual time of the earliest pending row."""
        row = self.store.one("SELECT MIN(next_at) FROM deliveries WHERE status = 'pending'")
        return row[0] if row and row[0] is not None else None

    def record_attempt(
        self,
        delivery: Delivery,
        *,
        started: float,
        duration_ms: float,
        status_code: int | None,
        response: str | None,
        error: str | None,
        signed_at: int | None = None,
        accepted: bool | None = None,
        schedule: Sequence[float] | None = None,
    ) -> str:
        """Store the attempt, then settle or reschedule the delivery; returns its new status.

        `accepted`: the gateway's verdict on the answer (its success contract; None: any
        2xx). `schedule`: the gateway's own retry delays (None: the outbox's), subject to
        `schedule_for`."""
        if accepted is None:
            accepted = status_code is not None and 200 <= status_code < 300
        delays = self.schedule_for(schedule)
        with self.store.atomic() as conn:
            n = self._add_attempt(conn, delivery.id, started, duration_ms, status_code,
                                  response, error, signed_at)
            if accepted and status_code is not None:
                status, next_at = "delivered", None
            elif n > len(delays):
                status, next_at = "failed", None
            else:
                status, next_at = "pending", self.clock.now() + delays[n - 1]
            conn.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_at = ? WHERE id = ?",
                (status, n, next_at, delivery.id),
            )
        return status

    def abandon(self, delivery: Delivery, reason: str) -> None:
        """The endpoint or event is gone: stop trying, and say why."""
        with self.store.atomic() as conn:
            n = self._add_attempt(conn, delivery.id, self.clock.wall(), 0.0, None, None,
                                  reason, None)
            conn.execute("UPDATE deliveries SET status = 'abandoned', attempts = ?, "
                         "next_at = NULL WHERE id = ?", (n, delivery.id))

    @staticmethod
    def _add_attempt(conn: sqlite3.Connection, delivery_id: int, started: float,
                     duration_ms: float, status_code: int | None, response: str | None,
                     error: str | None, signed_at: int | None) -> int:
        """Insert the delivery's next attempt; returns its number. It is counted from the
        stored row, not the claimed copy: a redelivery can put a second attempt in flight
        beside the first."""
        n = conn.execute("SELECT attempts FROM deliveries WHERE id = ?",
                         (delivery_id,)).fetchone()[0] + 1
        conn.execute(
            "INSERT INTO delivery_attempts "
            "(delivery_id, n, started, duration_ms, status_code, response, error, signed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (delivery_id, n, started, round(duration_ms, 3), status_code,
             (response or "")[:RESPONSE_EXCERPT] if response is not None else None, error,
             signed_at),
        )
        return n

    # -- inspection -----------------------------------------------------------------------
    def listing(
        self,
        *,
        tenant: str | None = None,
        event_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Deliveries with their attempts, newest first (for /_sim/webhooks)."""
        where, args = [], []
        for column, value in (("tenant", tenant), ("event_id", event_id), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.store.all(
            "SELECT id, tenant, gateway, event_id, endpoint_id, status, attempts, next_at, "  # noqa: S608 - fixed column names
            f"created, copy, chaos FROM deliveries {clause} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        )
        out = []
        for r in rows:
            attempts = self.store.all(
                "SELECT n, started, duration_ms, status_code, response, error "
                "FROM delivery_attempts WHERE delivery_id = ? ORDER BY n",
                (r[0],),
            )
            out.append({
                "id": r[0], "tenant": r[1], "gateway": r[2], "event_id": r[3],
                "endpoint_id": r[4], "status": r[5], "attempt_count": r[6], "next_attempt_at": r[7],
                "created": r[8], "copy": r[9],
                "effect": orjson.loads(r[10])["note"] if r[10] else None,
                "attempts": [
                    {"n": a[0], "started": a[1], "duration_ms": a[2], "status_code": a[3],
                     "response": a[4], "error": a[5]}
                    for a in attempts
                ],
            })
        return out

    def last_signed_at(self, delivery_id: int) -> int | None:
        """The signature timestamp of a delivery's latest sent attempt (for exact replays)."""
        row = self.store.one(
            "SELECT signed_at FROM delivery_attempts WHERE delivery_id = ? AND signed_at IS NOT "
            "NULL ORDER BY n DESC LIMIT 1", (delivery_id,))
        return row[0] if row else None

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery row, as the dispatcher would claim it."""
        row = self.store.one(
            "SELECT id, tenant, gateway, event_id, endpoint_id, attempts, copy, chaos "
            "FROM deliveries WHERE id = ?", (delivery_id,))
        return Delivery(*row[:7], orjson.loads(row[7]) if row[7] else None) if row else None

    def attempts_for(self, event_id: str, target_id: str) -> int:
        """How often an event was sent to one target so far, over all its copies (a
        gateway that words a resent notice differently counts from here)."""
        row = self.store.one(
            "SELECT COALESCE(SUM(attempts), 0) FROM deliveries WHERE event_id = ? AND "
            "endpoint_id = ?", (event_id, target_id))
        return int(row[0]) if row else 0

    def backlog(self) -> int:
        """Deliveries not yet settled."""
        row = self.store.one(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')"
        )
        return int(row[0]) if row else 0
