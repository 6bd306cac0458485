"""One leader among worker processes: a lease in the store decides which worker runs the
background work (webhook dispatcher, timer scheduler, alert evaluator).

`paylab serve --workers N` starts N processes on one database. Each tries every
`RENEW_SECONDS` to take or renew the `dispatcher` lease, an upsert that succeeds only for
its holder or once the lease has expired (wall-clock seconds, `TTL_SECONDS` after the last
renewal). The holder runs the background tasks; a worker that stops holding it cancels
them. A worker that takes an expired lease from another (a leader killed, or stalled
longer than the TTL) first recovers what that leader left in flight (the outbox's
`in_flight` rows become pending again, as after a crash); a worker taking a lease nobody
holds (the supervisor clears leases before it starts workers, after its own recovery)
does not, so a worker starting beside others never resets their work.

Followers do not tell the leader about new work in process: the leader polls SQLite's
`data_version` every `POLL_SECONDS` and wakes its loops when another process committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store

log = logging.getLogger("paylab.workers")

DISPATCHER_LEASE = "dispatcher"
TTL_SECONDS = 3.0
RENEW_SECONDS = 1.0
POLL_SECONDS = 0.025
#: The response header naming the worker process that answered (several workers only).
WORKER_HEADER = "Paylab-Worker"


def new_holder() -> str:
    """This process's name on leases: its pid, then a random part (pids are reused)."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def holder_pid(holder: str) -> int:
    """The process id a holder name starts with."""
    return int(holder.split("-", 1)[0])


@dataclass(frozen=True)
class Outcome:
    """One attempt at a lease: whether it is held now, and whether it was just taken from
    another holder whose lease had expired (then their work in flight needs recovering)."""

    held: bool
    took_over: bool = False


class Lease:
    """A named lease in the store, taken, renewed and checked inside the write lock."""

    def __init__(self, store: Store, holder: str, name: str = DISPATCHER_LEASE, *,
                 ttl: float = TTL_SECONDS, wall: Callable[[], float] = time.time) -> None:
        self.store, self.holder, self.name = store, holder, name
        self.ttl, self.wall = ttl, wall

    def acquire(self, on_take_over: Callable[[], object] | None = None) -> Outcome:
        """Take or renew the lease; `on_take_over` runs in the same transaction when it was
        taken from an expired holder. Commit (`store.durable()`) before acting on it."""
        now = self.wall()
        with self.store.atomic() as conn:
            row = conn.execute("SELECT holder, expires FROM leases WHERE name = ?",
                               (self.name,)).fetchone()
            if row is not None and row[0] != self.holder and row[1] > now:
                return Outcome(held=False)
            conn.execute(
                "INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?) ON CONFLICT "
                "(name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires",
                (self.name, self.holder, now + self.ttl))
            took_over = row is not None and row[0] != self.holder
            if took_over and on_take_over is not None:
                on_take_over()
        return Outcome(held=True, took_over=took_over)

    def held(self) -> bool:
        """Whether this holder's lease is unexpired now (call inside the write batch, e.g.
        right before claiming work, so no take-over can come between)."""
        row = self.store.one("SELECT holder, expires FROM leases WHERE name = ?",
                             (self.name,))
        return row is not None and row[0] == self.holder and row[1] > self.wall()

    def release(self) -> None:
        """Give the lease up (a clean stop), so another worker takes it at once."""
        with self.store.atomic() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?",
                         (self.name, self.holder))

    def current(self) -> str | None:
        """Who holds the lease now (an expired lease counts as nobody's)."""
        row = self.store.one("SELECT holder, expires FROM leases WHERE name = ?",
                             (self.name,))
        return row[0] if row is not None and row[1] > self.wall() else None


def lead_background(domain: Domain, work: Mapping[str, Callable[[], Awaitable[None]]],
                    wakers: list[Callable[[], None]], dispatcher: Any) -> Leadership:
    """The leadership of one worker over `work`: the dispatcher claims deliveries only while
    the lease is held, and a take-over recovers what the last leader left in flight."""
    lease = Lease(domain.store, new_holder())
    dispatcher.may_claim = lease.held

    def recover() -> None:
        resumed = domain.outbox.recover()
        domain.idempotency.recover()
        if resumed:
            log.info("resuming %d webhook deliveries left in flight", resumed)

    return Leadership(lease, work, wakers, recover)


async def name_worker(request: Any, response: Any) -> None:
    """An `on_response_prepare` hook: which worker process answered (WORKER_HEADER)."""
    response.headers[WORKER_HEADER] = str(os.getpid())


def clear_leases(store: Store) -> None:
    """Forget every lease (the supervisor, before any worker runs)."""
    with store.atomic() as conn:
        conn.execute("DELETE FROM leases")
    store.commit()


class Leadership:
    """Keeps trying for the lease; runs `work` while it is held, wakes it on others'
    commits, and stops it when the lease is lost."""

    def __init__(self, lease: Lease, work: Mapping[str, Callable[[], Awaitable[None]]],
                 wakers: list[Callable[[], None]], recover: Callable[[], object]) -> None:
        self.lease, self.work, self.wakers, self.recover = lease, work, wakers, recover
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def leading(self) -> bool:
        """Whether this worker runs the background work now."""
        return bool(self._tasks)

    async def run(self) -> None:
        """Until cancelled: renew, lead or follow, and poll for others' commits."""
        store = self.lease.store
        try:
            while True:
                held = await self._attempt()
                if held and not self._tasks:
                    log.info("worker %d leads: runs the webhook dispatcher, timers and "
                             "alerts", os.getpid())
                    self._tasks = [asyncio.create_task(start(), name=name)
                                   for name, start in self.work.items()]
                elif not held and self._tasks:
                    log.warning("worker %d lost the lead", os.getpid())
                    await self._stop()
                version = _version(store)
                renew_at = time.monotonic() + RENEW_SECONDS
                while time.monotonic() < renew_at:
                    await asyncio.sleep(POLL_SECONDS)
                    if self._tasks:
                        seen = _version(store)
                        if seen != version:
                            version = seen
                            for wake in self.wakers:
                                wake()
        finally:
            await self._stop()
            with contextlib.suppress(StorageUnavailable, sqlite3.Error):
                self.lease.release()
                store.commit()

    async def _attempt(self) -> bool:
        try:
            outcome = self.lease.acquire(self._recover)
            await self.lease.store.durable()
        except (StorageUnavailable, sqlite3.Error) as exc:
            log.warning("could not renew the dispatcher lease: %s", exc)
            return False  # step down: the lease may lapse before storage is back
        return outcome.held

    def _recover(self) -> None:
        log.warning("worker %d took over an expired lead: recovering what it left in flight",
                    os.getpid())
        self.recover()

    async def _stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _version(store: Store) -> int | None:
    try:
        return store.data_version()
    except sqlite3.Error:
        return None
