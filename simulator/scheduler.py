"""Fires the core's durable timers (e.g. settling `processing` payments) when they fall due.

A background task of the app, like the webhook dispatcher; it sleeps until the next timer
(in real time, scaled by --time-scale) and wakes early when the clock is advanced or a
timer is added. With several worker processes it runs in the leader only (see
simulator.leadership), which is woken when another process commits.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.waiting import wait_event

log = logging.getLogger("paylab.scheduler")

IDLE_POLL_SECONDS = 1.0


class Scheduler:
    """Runs due timers, one batch per wake-up (and at once when the clock is advanced
    through the control API, so its answer already shows what fell due)."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self._wake = asyncio.Event()
        domain.timers.on_schedule(self._wake.set)
        domain.clock.subscribe(self._wake.set)
        self.handlers = {"settle_payment": domain.payments.settle,
                         "expire_checkout": domain.sessions.expire_due,
                         "expire_order": domain.orders.expire_due,
                         "close_order": domain.orders.close_due,
                         "pay_order": domain.orders.pay_due,
                         "approve_order": domain.orders.approve_due}

    async def run(self) -> None:
        """Fire timers until cancelled."""
        while True:
            self._wake.clear()
            try:
                self.fire_due()
                await self.domain.store.durable()
            except (StorageUnavailable, sqlite3.Error) as exc:
                log.warning("timers paused: %s", exc)  # due timers stay due; retry shortly
            due = self.domain.timers.next_due()
            delay = IDLE_POLL_SECONDS
            if due is not None:
                delay = min(delay, self.domain.clock.real_delay(due - self.domain.clock.now()))
            await wait_event(self._wake, max(delay, 0.001))

    def wake(self) -> None:
        """Re-plan now (another worker process may have added a timer)."""
        self._wake.set()

    def fire_due(self) -> int:
        """Run every due timer now; returns how many ran.

        The due rows are read inside the store's write lock and deleted in the same batch,
        so two processes firing at once (the leader's loop, a clock advance another worker
        answered) never run one timer twice."""
        due = self.domain.timers.next_due()
        if due is None or due > self.domain.clock.now():
            return 0  # nothing due: no write lock taken (the leader looks often)
        self.domain.store.claim()
        fired = 0
        for timer in self.domain.timers.due():
            try:  # the handler's own savepoint rolls its writes back if it fails
                self.handlers[timer.kind](timer.tenant, timer.ref, timer.payload)
            except StorageUnavailable:
                raise  # not the timer's fault: it stays due and runs once storage is back
            except Exception:
                log.exception("timer %s %s failed; dropping it", timer.kind, timer.ref)
            self.domain.timers.done(timer.id)
            fired += 1
        return fired


#: Where the app keeps its scheduler (the control API fires due timers through it).
SCHEDULER = web.AppKey("scheduler", Scheduler)
