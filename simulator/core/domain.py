"""The domain assembled: one object holding every service, built from explicit parts.

`create_app` builds one `Domain` and hands it to adapters through an AppKey; tests build
one directly. Nothing here is global.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from paylab.simulator.core.balance import Balance
from paylab.simulator.core.callbacks import Callbacks
from paylab.simulator.core.catalog import Catalog
from paylab.simulator.core.charges import Charges
from paylab.simulator.core.checkout import Sessions
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.customers import Customers
from paylab.simulator.core.endpoints import Endpoints
from paylab.simulator.core.events import Events
from paylab.simulator.core.idempotency import Idempotency
from paylab.simulator.core.journal import Journal
from paylab.simulator.core.kpi_windows import KpiWindows
from paylab.simulator.core.merchants import Merchants
from paylab.simulator.core.methods import Methods
from paylab.simulator.core.nonces import Nonces
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.orders import Orders
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE, Outbox
from paylab.simulator.core.payments import Payments
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.refunds import Refunds
from paylab.simulator.core.reviews import Reviews
from paylab.simulator.core.self_address import SelfAddress
from paylab.simulator.core.setups import Setups
from paylab.simulator.core.shared import LiveSet, Shared
from paylab.simulator.core.store import Store
from paylab.simulator.core.tenants import Tenants
from paylab.simulator.core.timers import Timers


class Domain:
    """Store, clock, randomness and the services built on them."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        seed: int,
        retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        self_address: SelfAddress | None = None,
    ) -> None:
        """`self_address`: where the simulator listens (webhook URLs may not point there)."""
        self.store = store
        self.clock = clock
        # issue16: S - the boot count is taken atomically (two workers starting together
        # get two numbers); ids continue the store's counters in the stored generation
        generation, boot = _boot(store)
        clock.set_offset(float(store.get_meta("clock_offset", "0") or 0))
        # the newest rows by rowid, not a scan of every object (2.6 s at a million payments)
        newest = store.one("SELECT MAX(created) FROM (SELECT created FROM object_rows "
                           "ORDER BY seq DESC LIMIT 1000)")
        if newest and newest[0] is not None:
            clock.not_before(float(newest[0]))
            if clock.offset != float(store.get_meta("clock_offset", "0") or 0):
                # issue16: S - kept, so reloading the shared offset never moves back
                store.set_meta("clock_offset", repr(clock.offset))
        self.rand = Rand(seed, generation=generation, store=store, boot=boot)
        self.shared = Shared(store)  # clock offset, revoked keys: one state for all workers
        self.objects = Objects(store)
        self.events = Events(self.objects, clock, self.rand)
        self.endpoints = Endpoints(self.objects, clock, self.rand, self_address)
        # other worker processes drop their cached endpoints when these change
        self.endpoints.changed, self.endpoints.refresh = self.shared.bump, self.shared.refresh
        self.callbacks = Callbacks(self.objects, clock, self.rand, self_address)
        self.outbox = Outbox(store, self.endpoints, clock, retry_schedule, self.callbacks)
        self.events.subscribe(self.outbox.enqueue_event)
        self.methods = Methods(self.objects, clock, self.rand, self.events)
        self.customers = Customers(self.objects, self.events, clock, self.rand)
        self.charges = Charges(self.objects, clock, self.rand)
        self.reviews = Reviews(self.objects, self.events, clock, self.rand)
        self.timers = Timers(store, clock)
        self.payments = Payments(self.objects, self.events, self.methods, self.charges,
                                 self.reviews, self.timers, clock, self.rand)
        self.refunds = Refunds(self.objects, self.events, self.charges, clock, self.rand)
        self.setups = Setups(self.objects, self.events, self.methods, self.customers,
                             self.timers, clock, self.rand)
        self.sessions = Sessions(self.objects, self.events, self.payments, self.timers, clock,
                                 self.rand, self.setups)
        self.catalog = Catalog(self.objects, self.events, clock, self.rand)
        self.balance = Balance(self.objects, self.events, clock, self.rand)
        self.kpis = KpiWindows(store, clock)
        self.events.subscribe(self.kpis.on_event)
        self.orders = Orders(self.objects, self.events, self.timers, clock, self.rand,
                             risk=lambda: self.payments.risk)
        self.idempotency = Idempotency(store, clock)
        self.journal = Journal(store)
        self.tenants = Tenants(store, clock)
        self.merchants = Merchants(store, self.tenants, clock, self.rand)
        self.merchants.seed_published()
        self.nonces = Nonces(store, clock)
        # issue16: W - with several workers, the one taking the lead recovers instead
        self.recovered_deliveries = self.outbox.recover() if store.recovers_at_open else 0
        if store.recovers_at_open:
            self.idempotency.recover()
        self.revoked = LiveSet(self.shared.refresh)
        self.revoked.update(orjson.loads(store.get_meta("revoked", "[]") or "[]"))
        self.shared.subscribe(self._reload_shared)

    def _reload_shared(self) -> None:
        """issue16: S - another worker changed the clock, revoked keys or reset: reload."""
        self.clock.sync_offset(float(self.store.get_meta("clock_offset", "0") or 0))
        self.revoked.clear()
        self.revoked.update(orjson.loads(self.store.get_meta("revoked", "[]") or "[]"))
        generation = int(self.store.get_meta("id_generation", "0") or 0)
        if generation != self.rand.generation:
            self.rand.reseed(generation)
        self.endpoints.forget()  # a reset elsewhere deleted endpoints this one cached
        self.tenants.forget(None)

    def revoke(self, tenant: str, revoked: bool = True) -> None:
        """Refuse (or accept again) every credential of a tenant; survives restarts."""
        if revoked:
            self.revoked.add(tenant)
        else:
            self.revoked.discard(tenant)
        self.store.set_meta("revoked", orjson.dumps(sorted(self.revoked)).decode())
        self.shared.bump()  # issue16: S

    def advance_clock(self, seconds: float) -> float:
        """Move virtual time forward and persist the offset; returns the new virtual now."""
        now = self.clock.advance(seconds)
        self.store.set_meta("clock_offset", repr(self.clock.offset))
        self.shared.bump()  # issue16: S
        return now

    def reset(self, tenant: str | None = None) -> None:
        """Forget all state (restarting the seeded id stream), or one tenant's."""
        self.store.reset(tenant)
        self.endpoints.forget()
        self.tenants.forget(tenant)
        self.merchants.restore_tenants(tenant)  # merchants outlive resets, like API keys
        if tenant is None:
            self.revoked.clear()  # the store forgot them with the rest of its meta
            self.clock.set_offset(0.0)
            self.store.set_meta("id_generation", "0")  # issue16: S - counters cleared too
            self.rand.reseed(0)
        self.shared.bump()  # issue16: S - other workers reload clock, keys, generation
        self.kpis.reset(tenant)  # after the clock's offset is back to 0


_BOOT = ("INSERT INTO meta (key, value) VALUES ('boots', '1') ON CONFLICT (key) "
         "DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value")


def _boot(store: Store) -> tuple[int, int]:
    """issue16: S - count this boot and return the id generation: 0 for a database this
    version created, the old boot count for one an older version wrote (its ids used the
    generations below it), and this boot's number (request ids are salted with it)."""
    with store.atomic() as conn:
        boots = int(conn.execute(_BOOT).fetchall()[0][0]) - 1
        conn.execute("INSERT INTO meta (key, value) VALUES ('id_generation', ?) "
                     "ON CONFLICT (key) DO NOTHING", (str(boots),))
        row = conn.execute("SELECT value FROM meta WHERE key = 'id_generation'").fetchone()
    return int(row[0]), boots + 1
