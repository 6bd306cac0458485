"""One state across worker processes: two domains (and scenario engines) over one
database file stand for two workers. Scenarios, rule counters and windows, the clock,
revoked keys, ids and metrics must be the same whichever of them serves."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.rand import bind_tenant, unbind_tenant
from paylab.simulator.core.risk import Attempt
from paylab.simulator.core.store import Store
from paylab.simulator.metrics import WINDOW_SECONDS, Metrics
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.facts import Facts
from paylab.simulator.scenarios.loader import build as build_scenario
from paylab.suites.unit.conftest import FakeWall
from paylab.suites.unit.inprocess import contracts


class Worker:
    """One 'process': its own store connection, domain and scenario engine."""

    def __init__(self, path: Path, wall: FakeWall, seed: int = 7) -> None:
        self.domain = Domain(Store(path), Clock(wall=wall), seed=seed)
        self.engine = ScenarioEngine(self.domain.clock, seed, lambda key: key,
                                     self.domain.store, self.domain.shared)
        self.engine.restore(contracts())

    def hits(self, n: int = 1, **facts: Any) -> list[bool]:
        """Whether each of `n` requests got an effect."""
        return [self.engine.evaluate(request(**facts)) is not None for _ in range(n)]


def request(**values: Any) -> Facts:
    return Facts(**{"gateway": "stripe", "method": "POST", "path": "/v1/payment_intents",
                    "tenant": "acct_t", **values})


def scenario(lifetime: dict[str, Any] | None = None, **extra: Any) -> Any:
    rule: dict[str, Any] = {"name": "r", "effects": [{"error": {"status": 503}}]}
    if lifetime is not None:
        rule["lifetime"] = lifetime
    return build_scenario({"name": "s", "seed": 4, "rules": [rule], **extra}, contracts(),
                          lambda key: key)


@pytest.fixture
def pair(tmp_path: Path, wall: FakeWall) -> tuple[Worker, Worker]:
    path = tmp_path / "shared.db"
    return Worker(path, wall), Worker(path, wall)


def alternate(a: Worker, b: Worker, n: int, **facts: Any) -> list[bool]:
    return [(a if i % 2 == 0 else b).hits(**facts)[0] for i in range(n)]


# -- scenarios --------------------------------------------------------------------------------
def test_a_scenario_loaded_through_one_worker_applies_on_the_other_at_once(
        pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    assert b.engine.idle
    a.engine.load(scenario())
    assert not b.engine.idle and b.hits() == [True]
    assert b.engine.state()["scenario"]["name"] == "s"
    a.engine.clear()
    assert b.engine.idle and b.hits() == [False]


def test_a_tenant_scenario_and_a_replacement_reach_the_other_worker(
        pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    a.engine.load(scenario({"first": 1}), "acct_t")
    assert b.engine.scopes() == ["acct_t"] and b.hits() == [True] and b.hits() == [False]
    a.engine.load(scenario({"first": 1}), "acct_t")  # loaded again: counters start over
    assert b.hits() == [True]


@pytest.mark.parametrize(("lifetime", "expected"), [
    ({"first": 3}, [True] * 3 + [False] * 5),
    ({"every": 2}, [False, True] * 4),
    ({"every": 3}, [False, False, True] * 2 + [False, False]),
])
def test_lifetime_counters_are_one_sequence_across_workers(
        pair: tuple[Worker, Worker], lifetime: dict, expected: list[bool]) -> None:
    a, b = pair
    a.engine.load(scenario(lifetime))
    assert alternate(a, b, 8) == expected
    state = b.engine.state()["rules"][0]
    assert (state["matches"], state["applied"]) == (8, expected.count(True))


def test_a_sequence_steps_once_per_request_whichever_worker_serves(
        pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    doc = {"name": "s", "rules": [{"name": "seq", "lifetime": {"sequence": [
        [{"error": {"status": 500}}], [{"latency": {"fixed": 1}}],
        [{"error": {"status": 502}}]]}}]}
    a.engine.load(build_scenario(doc, contracts(), lambda k: k))
    plans = [(a if i % 2 else b).engine.evaluate(request()) for i in range(4)]
    assert [p.error["status"] if p and p.error else None for p in plans] == [500, None, 502,
                                                                             None]


def test_rate_limits_are_summed_over_workers(pair: tuple[Worker, Worker],
                                              wall: FakeWall) -> None:
    a, b = pair
    a.engine.load(scenario({"rate": {"limit": 2, "per": 10}}))
    # two requests inside the window pass (one on each worker), the third is over
    assert alternate(a, b, 4) == [False, False, True, True]
    wall.now += 10
    assert b.hits(3) == [False, False, True]


def test_sampling_does_not_depend_on_the_worker(tmp_path: Path, wall: FakeWall) -> None:
    one = Worker(tmp_path / "one.db", wall)
    one.engine.load(scenario({"probability": 0.5}))
    alone = one.hits(30)
    a, b = Worker(tmp_path / "two.db", wall), Worker(tmp_path / "two.db", wall)
    a.engine.load(scenario({"probability": 0.5}))
    assert alternate(a, b, 30) == alone
    assert 5 < alone.count(True) < 25  # sampled, not constant


def test_latency_samples_do_not_depend_on_the_worker(tmp_path: Path, wall: FakeWall) -> None:
    doc = {"name": "l", "seed": 2, "rules": [
        {"name": "slow", "effects": [{"latency": {"uniform": [1, 100]}}]}]}
    one = Worker(tmp_path / "one.db", wall)
    one.engine.load(build_scenario(doc, contracts(), lambda k: k))
    alone = [one.engine.evaluate(request()).latency_ms for _ in range(6)]
    a, b = Worker(tmp_path / "two.db", wall), Worker(tmp_path / "two.db", wall)
    a.engine.load(build_scenario(doc, contracts(), lambda k: k))
    both = [(a if i % 2 else b).engine.evaluate(request()).latency_ms for i in range(6)]
    assert both == alone and len(set(alone)) == 6


def test_fraud_windows_count_attempts_on_every_worker(pair: tuple[Worker, Worker],
                                                       wall: FakeWall) -> None:
    a, b = pair
    doc = {"name": "f", "fraud": [{"name": "fast", "action": "decline",
                                   "velocity": {"key": "card", "count": 2, "window": 60}}]}
    a.engine.load(build_scenario(doc, contracts(), lambda k: k), "acct_t")

    def attempt() -> Attempt:
        return Attempt("acct_t", 500, "usd", "fp_1", "424242", "US", None, Client(), wall.now)

    verdicts = [(a if i % 2 else b).engine.assess(attempt()) for i in range(4)]
    assert [v.rule if v else None for v in verdicts] == [None, None, "fast", "fast"]
    fired = [r for r in a.engine.state("acct_t")["rules"] if r["phase"] == "fraud"]
    assert fired == [{"name": "fast", "phase": "fraud", "matches": 2, "applied": 2}]
    wall.now += 61
    assert b.engine.assess(attempt()) is None


# -- clock and revoked keys -------------------------------------------------------------------
def test_the_clock_advanced_on_one_worker_moves_on_the_other(pair: tuple[Worker, Worker],
                                                              wall: FakeWall) -> None:
    a, b = pair
    woken: list[float] = []
    b.domain.clock.subscribe(lambda: woken.append(b.domain.clock.now()))
    a.domain.advance_clock(3600)
    assert b.engine.idle  # a request's first look at the shared state
    assert b.domain.clock.now() == wall.now + 3600 and woken == [wall.now + 3600]
    a.domain.reset()
    b.domain.shared.refresh()
    assert b.domain.clock.now() == wall.now


def test_a_fast_clock_restarted_behind_its_data_stays_ahead_after_a_reload(
        tmp_path: Path, wall: FakeWall) -> None:
    path = tmp_path / "fast.db"
    first = Domain(Store(path), Clock(10, wall=wall), seed=1)
    wall.now += 100  # 1000 virtual seconds
    created = first.payments.create("acct_t", "stripe", {"amount": 100, "currency": "usd"})
    first.store.close()
    a, b = (Domain(Store(path), Clock(10, wall=wall), seed=1) for _ in range(2))
    assert b.clock.now() >= created["created"]  # not behind what it stored
    a.revoke("acct_x")  # any shared change: b reloads the offset
    b.shared.refresh()
    assert "acct_x" in b.revoked and b.clock.now() >= created["created"]


def test_workers_given_one_start_run_one_fast_clock(wall: FakeWall) -> None:
    start = wall.now
    wall.now += 5
    late, given = Clock(20, wall=wall), Clock(20, wall=wall, start=start)
    wall.now += 1
    assert given.now() == Clock(20, wall=wall, start=start).now() == start + 6 * 20
    assert late.now() == start + 5 + 20


def test_revoked_keys_are_shared(pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    assert "acct_gone" not in b.domain.revoked
    a.domain.revoke("acct_gone")
    assert "acct_gone" in b.domain.revoked
    b.domain.revoke("acct_gone", revoked=False)
    assert "acct_gone" not in a.domain.revoked


def test_a_full_reset_on_one_worker_clears_the_others_caches(
        pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    a.domain.revoke("acct_gone")
    a.engine.load(scenario())
    assert "acct_gone" in b.domain.revoked and not b.engine.idle
    a.domain.reset()
    a.engine.forget_tenants(None)
    assert "acct_gone" not in b.domain.revoked and b.engine.idle


# -- ids --------------------------------------------------------------------------------------
def test_two_workers_never_issue_the_same_id_even_after_a_full_reset(
        pair: tuple[Worker, Worker]) -> None:
    a, b = pair
    a.domain.reset()
    b.domain.shared.refresh()
    issued = [(a if i % 2 else b).domain.rand.new_id("pi") for i in range(50)]
    assert len(set(issued)) == 50
    assert issued == sorted(issued)  # one counter: later ids sort later


def test_a_tenants_kth_id_is_the_same_whichever_worker_issues_it(tmp_path: Path,
                                                                 wall: FakeWall) -> None:
    def ids(workers: list[Worker]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"acct_a": [], "acct_b": []}
        for i in range(12):
            tenant = "acct_a" if i % 3 else "acct_b"  # interleaved tenants
            token = bind_tenant(lambda t=tenant: t)
            try:
                out[tenant].append(workers[i % len(workers)].domain.rand.new_id("ch"))
            finally:
                unbind_tenant(token)
        return out

    alone = ids([Worker(tmp_path / "one.db", wall)])
    two = ids([Worker(tmp_path / "two.db", wall), Worker(tmp_path / "two.db", wall)])
    assert alone == two and len(set(alone["acct_a"]) | set(alone["acct_b"])) == 12
    # tenant b's ids do not depend on how many draws tenant a made in between
    lone_b = Worker(tmp_path / "three.db", wall)
    token = bind_tenant(lambda: "acct_b")
    try:
        assert [lone_b.domain.rand.new_id("ch") for _ in range(4)] == alone["acct_b"]
    finally:
        unbind_tenant(token)


def test_boots_are_counted_atomically_by_workers_starting_together(tmp_path: Path) -> None:
    """Another worker counting its boot holds the write lock: this one waits for it and
    counts after it, instead of reading the count before and writing it over."""
    path = tmp_path / "boots.db"
    Store(path).close()
    other = Store(path)
    other.conn.execute("BEGIN IMMEDIATE")
    other.conn.execute("INSERT INTO meta (key, value) VALUES ('boots', '5')")
    starting, booted = threading.Event(), []

    def boot() -> None:
        store = Store(path)
        starting.set()
        Domain(store, Clock(), seed=1)
        booted.append(store.get_meta("boots"))
        store.close()

    thread = threading.Thread(target=boot)
    thread.start()
    starting.wait(10)
    time.sleep(0.2)  # let it reach the count (a slower machine only weakens the test)
    other.conn.execute("COMMIT")
    thread.join()
    assert booted == ["6"]


def test_a_database_from_before_the_counters_continues_above_its_generations(
        tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Store(path)
    old.set_meta("boots", "3")  # three boots of an older version: generations 0, 1 and 2
    old.close()
    domain = Domain(Store(path), Clock(), seed=1)
    assert domain.rand.new_id("pi").startswith("pi_03000001")
    domain.store.close()
    assert Domain(Store(path), Clock(), seed=1).rand.new_id("pi").startswith("pi_03000002")


# -- determinism ------------------------------------------------------------------------------
def script(workers: list[Worker]) -> None:
    """Two tenants' payments, refunds and customers, each call on the next worker."""
    calls = 0

    def on(tenant: str) -> Domain:
        nonlocal calls
        calls += 1
        domain = workers[calls % len(workers)].domain
        domain.shared.refresh()
        return domain

    for round_ in range(3):
        for tenant in ("acct_a", "acct_b"):
            token = bind_tenant(lambda t=tenant: t)
            try:
                pi = on(tenant).payments.create(tenant, "stripe", {
                    "amount": 1000 + round_, "currency": "usd",
                    "payment_method": "pm_card_visa"})
                paid = on(tenant).payments.confirm(tenant, pi["id"], {})
                if round_ == 1:
                    on(tenant).refunds.create(tenant, {"payment": paid["id"], "amount": 100})
                on(tenant).customers.create(tenant, "stripe", {"email": f"{round_}@x.test"})
            finally:
                unbind_tenant(token)


#: Credentials are never drawn from the (public) seed: random by design, left out.
SECRETS = {"client_secret", "page_token", "secret", "hash_key", "hash_iv"}


def without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<secret>" if k in SECRETS else without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def objects(path: Path) -> dict[str, list[tuple[str, str, bytes]]]:
    """Each tenant's stored objects in the order stored: kind, id and JSON bytes."""
    store = Store(path)
    stored = Objects(store)
    out: dict[str, list[tuple[str, str, bytes]]] = {}
    for tenant, kind, oid in store.all("SELECT tenant, kind, id FROM objects ORDER BY seq"):
        doc = without_secrets(stored.get(tenant, kind, oid))
        out.setdefault(tenant, []).append(
            (kind, oid, orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)))
    return out


def test_a_sequential_script_gives_each_tenant_the_same_bytes_on_one_or_two_workers(
        tmp_path: Path, wall: FakeWall) -> None:
    script([Worker(tmp_path / "one.db", wall)])
    script([Worker(tmp_path / "two.db", wall), Worker(tmp_path / "two.db", wall)])
    alone, shared = objects(tmp_path / "one.db"), objects(tmp_path / "two.db")
    assert set(alone) == {"acct_a", "acct_b"}
    assert len(alone["acct_a"]) >= 12  # payments, charges, refunds, customers, events
    assert alone == shared


# -- metrics ----------------------------------------------------------------------------------
def test_dashboard_figures_and_request_counters_sum_over_workers(tmp_path: Path) -> None:
    path, wall = tmp_path / "metrics.db", [1_700_000_000.5]
    one, other = (Metrics(clock=lambda: wall[0], store=Store(path)) for _ in range(2))
    one.request("stripe", 200, 2.0, None)
    other.request("stripe", 200, 40.0, "r:latency=40ms")
    other.request("stripe", 503, 1.0, "r:error=503")
    payment = {"type": "payment.succeeded", "gateway": "stripe",
               "object": {"amount": 700, "payment_method_types": ["card"]}}
    one.event("acct_a", payment)
    other.event("acct_b", {**payment, "object": {"amount": 300,
                                                 "payment_method_types": ["card"]}})
    for reader in (one, other):
        snap = reader.snapshot(60)
        assert snap["requests"] == {"stripe:injected": 2, "stripe:ok": 2,
                                    "stripe:server_error": 1}
        assert snap["timeline"][-1] == {"t": 1_700_000_000, "requests": 3, "errors": 1,
                                        "injected": 2}
        assert snap["latency_ms"] == {"p50": 2.24, "p99": 44.67}  # buckets: within 12 %
        card = snap["methods"][0]
        assert (card["succeeded"], card["average_amount"]) == (2, 500)
        text = reader.prometheus()
        assert 'paylab_requests_total{gateway="stripe",outcome="ok"} 2' in text
        assert 'paylab_injected_total{gateway="stripe"} 2' in text
    wall[0] += WINDOW_SECONDS
    assert one.snapshot(60)["requests"] == {}  # out of the window
    other.request("stripe", 200, 1.0, None)  # the next write drops what fell out
    assert one.store.all("SELECT COUNT(*) FROM metric_seconds") == [(2,)]  # req, lat


def test_an_endpoint_made_on_one_worker_receives_the_events_of_the_other(
        pair: tuple[Worker, Worker]) -> None:
    first, second = pair
    assert first.domain.endpoints.active("acct_t", "stripe") == []  # cached: none yet
    made = second.domain.endpoints.create("acct_t", "stripe", url="https://shop.test/hook",
                                          enabled_events=["*"])
    assert [d["id"] for d in first.domain.endpoints.active("acct_t", "stripe")] == [made["id"]]
    second.domain.endpoints.update("acct_t", made["id"], {"disabled": True})
    assert first.domain.endpoints.active("acct_t", "stripe") == []
    second.domain.endpoints.update("acct_t", made["id"], {"disabled": False})
    assert len(first.domain.endpoints.active("acct_t", "stripe")) == 1
    second.domain.endpoints.delete("acct_t", made["id"])
    assert first.domain.endpoints.active("acct_t", "stripe") == []
