"""Retention: forget traffic older than a window, in small batches, never live state.

Off unless configured (`PAYLAB_RETENTION_DAYS` / `--retention DAYS`): a simulator keeps
everything by default, as it always did, because tests read back what they made. With a
window, `prune(now, limit)` deletes at most `limit` rows of each kind of history per call,
each call one short transaction (the write lock is held for milliseconds), and a tiny loop
(`run`) calls it until nothing is left to prune, then sleeps.

What goes, once older than the window on the VIRTUAL clock (documents by their `created`):
payments that came to an end (succeeded, canceled), their charges, refunds, reviews and
balance entries (children go with their parent, never before it), payment methods no
customer saved, orders in a final state, checkout sessions no longer open, setups that came
to an end, events (unless a webhook delivery of theirs is still pending or in flight),
webhook deliveries that came to an end and their attempts. Journal rows are stamped by the
wall clock, so they go once older than the window of wall time (the journal also keeps at
most its own 200,000 rows).

What stays, whatever its age: anything not in `PRUNED_KINDS` (customers, webhook endpoints,
products and prices, fee schedules, callbacks), payments and orders still open or held
(a capture, a settlement or a shopper may still come), objects a timer refers to, children
whose parent stays, events a delivery still waits on, idempotency keys (their own 24 h
expiry prunes them; the window is at least a day, so no key outlives what it answered).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.objects import decode
from paylab.simulator.core.store import Store

#: The shortest window: a day, the idempotency keys' lifetime.
MIN_DAYS = 1.0
DAY = 86_400.0
#: Rows looked at per call (and so at most deleted per call, per table).
DEFAULT_LIMIT = 500
#: Kinds of traffic retention may delete, and the statuses in which each is finished (None:
#: any status). Everything else is configuration and stays.
PRUNED_KINDS: dict[str, frozenset[str] | None] = {
    "payment": frozenset({"succeeded", "canceled"}),
    "order": frozenset({"paid", "failed", "expired", "canceled"}),
    "checkout_session": frozenset({"complete", "expired"}),
    "setup": frozenset({"succeeded", "canceled"}),
    "charge": None, "refund": None, "review": None, "balance_entry": None,
    "payment_method": None, "event": None,
}
_CURSOR = "retention_seq"
#: The kinds a document's `parent` may be (one index lookup each, by `object_rows_id`).
_PARENT_KINDS = ", ".join(f"'{kind}'" for kind in (
    "payment", "charge", "order", "customer", "setup", "checkout_session", "refund",
    "payment_method"))
_PARENT_EXISTS = ("SELECT 1 FROM objects WHERE kind IN (" + _PARENT_KINDS  # noqa: S608
                  + ") AND id = ? AND tenant = ? LIMIT 1")


@dataclass(frozen=True)
class Pruned:
    """What one call deleted."""

    objects: int = 0
    journal: int = 0
    deliveries: int = 0
    #: True when the object scan reached the window's edge (nothing older left to look at).
    caught_up: bool = True

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return self.objects + self.journal + self.deliveries


def window_seconds(days: float | None) -> float | None:
    """The window in seconds, or None when retention is off; refuses less than a day."""
    if days is None or days <= 0:
        return None
    if days < MIN_DAYS:
        raise ValueError(f"retention must be at least {MIN_DAYS:g} day (idempotency keys live "
                         "24 h); 0 keeps everything")
    return days * DAY


def _keep(kind: str, tenant: str, object_id: str, parent: str | None, data: bytes,
          live_refs: set[tuple[str, str]], gone: set[tuple[str, str]], store: Store) -> bool:
    finished = PRUNED_KINDS.get(kind, frozenset())
    if kind not in PRUNED_KINDS or (tenant, object_id) in live_refs:
        return True
    if kind == "payment_method" and parent is not None:
        return True  # saved under a customer
    if finished is not None and decode(data).get("status") not in finished:
        return True
    if parent is not None and (tenant, parent) not in gone:
        # a child goes with its parent: only once the parent is gone (or never existed)
        return store.one(_PARENT_EXISTS, (parent, tenant)) is not None
    if kind == "event":
        return store.one("SELECT 1 FROM deliveries WHERE event_id = ? AND +tenant = ? AND "
                         "status IN ('pending', 'in_flight') LIMIT 1",
                         (object_id, tenant)) is not None
    return False


def _prune_objects(store: Store, cutoff: float, limit: int) -> tuple[int, bool]:
    after = int(store.get_meta(_CURSOR, "0") or 0)
    rows = store.all("SELECT seq, tenant, kind, id, created, parent, data FROM objects "
                     "WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
    live_refs = {(t, r) for t, r in store.all("SELECT tenant, ref FROM timers")}
    gone: set[tuple[str, str]] = set()
    doomed: list[tuple[int]] = []
    last, caught_up = after, len(rows) < limit
    for seq, tenant, kind, object_id, created, parent, data in rows:
        if created >= cutoff:
            caught_up = True  # newer rows follow (seq order is creation order)
            break
        last = seq
        if not _keep(kind, tenant, object_id, parent, data, live_refs, gone, store):
            gone.add((tenant, object_id))
            doomed.append((seq,))
    with store.atomic() as conn:
        conn.executemany("DELETE FROM object_rows WHERE seq = ?", doomed)
        # a pass that reached the edge starts over, so what was kept is looked at again
        store.set_meta(_CURSOR, "0" if caught_up else str(last))
    return len(doomed), caught_up


def prune(store: Store, now: float, window: float, wall_now: float | None = None,
          limit: int = DEFAULT_LIMIT) -> Pruned:
    """Delete up to `limit` rows of each table older than `now - window` (see module doc).

    `now` is the virtual clock; `wall_now` (the wall clock) dates the journal, which is left
    alone when it is None."""
    cutoff = now - window
    objects, caught_up = _prune_objects(store, cutoff, limit)
    with store.atomic() as conn:
        ids = [(r[0],) for r in conn.execute(
            "SELECT id FROM deliveries WHERE created < ? AND status NOT IN "
            "('pending', 'in_flight') ORDER BY id LIMIT ?", (cutoff, limit))]
        conn.executemany("DELETE FROM delivery_attempts WHERE delivery_id = ?", ids)
        conn.executemany("DELETE FROM deliveries WHERE id = ?", ids)
        journal = 0
        if wall_now is not None:
            journal = conn.execute(
                "DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE at < ? "
                "ORDER BY seq LIMIT ?)", (wall_now - window, limit)).rowcount
    return Pruned(objects, journal, len(ids), caught_up)


async def run(store: Store, now: Callable[[], float], wall: Callable[[], float],
              window: float, *, limit: int = DEFAULT_LIMIT, idle: float = 30.0,
              pause: float = 0.05) -> None:
    """Prune until caught up, then every `idle` seconds; one process (the leader) runs it.
    Between batches it yields `pause` seconds so requests keep the write lock."""
    while True:
        pruned = prune(store, now(), window, wall(), limit)
        await store.durable()
        busy = pruned.total >= limit or not pruned.caught_up
        await asyncio.sleep(pause if busy else idle)


def loop(store: Store, clock: Clock, days: float | None) -> Callable[[], Awaitable[None]] | None:
    """The background task for a `retention_days` setting (None when retention is off):
    what the app starts with its other background work, in the leader only."""
    window = window_seconds(days)
    if window is None:
        return None
    return partial(run, store, clock.now, clock.wall, window)
