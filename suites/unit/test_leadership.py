"""Worker processes sharing one database: the dispatcher lease, recovery only on take-over,
and reads that decide writes made inside the write lock (two Store objects on one file
stand for two worker processes)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import IdempotencyInFlight
from paylab.simulator.core.idempotency import Replay, fingerprint
from paylab.simulator.core.store import Store
from paylab.simulator.leadership import TTL_SECONDS, Lease, clear_leases, holder_pid
from paylab.simulator.scheduler import Scheduler
from paylab.simulator.webhooks.dispatcher import Dispatcher
from paylab.suites.unit.conftest import TENANT, FakeWall

EP = "POST /stripe/v1/payment_intents"
#: Long enough for a thread to reach SQLite's write lock and wait there.
BLOCKED = 0.3


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "shared.db"


def _worker(db: Path, wall: FakeWall) -> Domain:
    """One worker's domain over the shared file, as `--workers 2` builds it."""
    store = Store(db)
    store.recovers_at_open = False
    return Domain(store, Clock(wall=wall), seed=7, retry_schedule=(5, 300, 1800))


def test_one_holder_at_a_time(db: Path, wall: FakeWall) -> None:
    a, b = Lease(Store(db), "101-a", wall=wall), Lease(Store(db), "102-b", wall=wall)
    assert a.acquire().held
    assert not b.acquire().held
    assert a.held() and not b.held()
    assert a.current() == b.current() == "101-a"
    assert holder_pid(a.current() or "") == 101


def test_renewal_keeps_the_lease_past_its_first_expiry(db: Path, wall: FakeWall) -> None:
    a, b = Lease(Store(db), "101-a", wall=wall), Lease(Store(db), "102-b", wall=wall)
    assert a.acquire().held
    for _ in range(5):  # renewed every second: never lapses
        wall.now += 1.0
        assert a.acquire().held
        assert not b.acquire().held
    assert a.held()


def test_an_expired_lease_is_taken_over_and_recovery_runs_then_only(db: Path,
                                                                    wall: FakeWall) -> None:
    a, b = Lease(Store(db), "101-a", wall=wall), Lease(Store(db), "102-b", wall=wall)
    recovered: list[str] = []
    first = a.acquire(lambda: recovered.append("a"))
    assert first.held and not first.took_over  # nobody held it: nothing to recover
    wall.now += 1.0
    assert not a.acquire(lambda: recovered.append("a")).took_over  # a renewal
    wall.now += TTL_SECONDS - 0.5
    assert not b.acquire(lambda: recovered.append("b")).held  # not expired yet
    wall.now += 1.0  # a stopped renewing: its lease has lapsed
    taken = b.acquire(lambda: recovered.append("b"))
    assert taken.held and taken.took_over
    assert recovered == ["b"]
    assert not a.held() and not a.acquire().held  # the old leader is a follower now
    wall.now += 1.0
    assert not b.acquire(lambda: recovered.append("b")).took_over
    assert recovered == ["b"]


def test_a_released_or_cleared_lease_is_taken_without_recovery(db: Path,
                                                               wall: FakeWall) -> None:
    store = Store(db)
    a, b = Lease(store, "101-a", wall=wall), Lease(Store(db), "102-b", wall=wall)
    a.acquire()
    a.release()
    assert b.acquire(lambda: pytest.fail("a clean hand-over recovers nothing")).held
    clear_leases(store)
    assert a.acquire(lambda: pytest.fail("cleared leases recover nothing")).held


def _in_flight_delivery(domain: Domain) -> int:
    with domain.store.atomic() as conn:
        cur = conn.execute(
            "INSERT INTO deliveries (tenant, gateway, event_id, endpoint_id, status, next_at, "
            "created) VALUES (?, 'stripe', 'evt_1', 'we_1', 'in_flight', 0, 0)", (TENANT,))
    return int(cur.lastrowid or 0)


def _status(domain: Domain, delivery: int) -> str:
    row = domain.store.one("SELECT status FROM deliveries WHERE id = ?", (delivery,))
    assert row is not None
    return str(row[0])


def test_a_worker_opening_beside_others_leaves_their_deliveries_in_flight(
        db: Path, wall: FakeWall) -> None:
    first = _worker(db, wall)
    delivery = _in_flight_delivery(first)
    second = _worker(db, wall)  # a worker starting (or restarted) while `first` delivers
    assert second.recovered_deliveries == 0
    assert _status(second, delivery) == "in_flight"
    lone = Store(db)  # one process (no --workers): it recovers when it opens, as before
    assert Domain(lone, Clock(wall=wall), seed=7).recovered_deliveries == 1
    assert _status(second, delivery) == "pending"


def test_the_dispatcher_claims_only_while_its_lease_holds(db: Path, wall: FakeWall) -> None:
    domain = _worker(db, wall)
    with domain.store.atomic() as conn:
        conn.execute("INSERT INTO deliveries (tenant, gateway, event_id, endpoint_id, status, "
                     "next_at, created) VALUES (?, 'stripe', 'evt_1', 'we_1', 'pending', 0, 0)",
                     (TENANT,))
    lease = Lease(domain.store, "101-a", wall=wall)
    dispatcher = Dispatcher(domain, {})
    dispatcher.may_claim = lease.held
    lease.acquire()
    wall.now += TTL_SECONDS + 1  # stalled past its lease: another worker may lead now
    assert dispatcher._claim(10) == []
    lease.acquire()
    assert [d.event_id for d in dispatcher._claim(10)] == ["evt_1"]


def _blocked_beside(store: Store, call: Callable[[], Any]) -> list[Any]:
    """Run `call` in a thread while this thread holds `store`'s write batch open; the
    returned list holds the thread first, then its result (or exception) once the batch
    commits: the result may land before or after the caller leaves the batch."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(call())
        except Exception as exc:  # the test looks at which one
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(BLOCKED)
    out.insert(0, thread)  # first, whether or not `call` returned during the sleep
    return out


def test_same_key_in_two_workers_at_once_executes_once(db: Path, wall: FakeWall) -> None:
    a, b = _worker(db, wall), _worker(db, wall)
    digest = fingerprint(EP, [("amount", "1")])
    with a.store.atomic():  # worker a is executing the first request: not committed yet
        assert a.idempotency.begin(TENANT, "k", EP, digest) is None
        out = _blocked_beside(b.store, lambda: b.idempotency.begin(TENANT, "k", EP, digest))
        a.idempotency.finish(TENANT, "k", 200, b'{"id":"pi_1"}')
    out.pop(0).join()
    assert out == [Replay(200, b'{"id":"pi_1"}')]


def test_an_unfinished_claim_in_another_worker_is_in_flight(db: Path, wall: FakeWall) -> None:
    a, b = _worker(db, wall), _worker(db, wall)
    digest = fingerprint(EP, [("amount", "1")])
    a.idempotency.begin(TENANT, "k", EP, digest)  # committed, not finished
    with pytest.raises(IdempotencyInFlight):
        b.idempotency.begin(TENANT, "k", EP, digest)


def test_a_due_timer_fires_once_when_two_workers_look_at_once(db: Path,
                                                               wall: FakeWall) -> None:
    a, b = _worker(db, wall), _worker(db, wall)
    fired: list[str] = []
    schedulers = [Scheduler(a), Scheduler(b)]
    for name, scheduler in zip("ab", schedulers, strict=True):
        scheduler.handlers["probe"] = lambda tenant, ref, payload, name=name: fired.append(name)
    a.timers.schedule(TENANT, "probe", "ref_1", 0, {})
    with a.store.atomic():  # a fires it; b looks before a's batch commits
        out = _blocked_beside(b.store, schedulers[1].fire_due)
        assert schedulers[0].fire_due() == 1
    out.pop(0).join()
    assert out == [0]
    assert fired == ["a"]
