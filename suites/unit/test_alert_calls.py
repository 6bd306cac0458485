"""Gateway calls and their outright failures, as the metrics recorder counts them.

The server counts every gateway call in the KPI figures (one batched upsert per tick with
the latency figures), and `failure_rate` rules read the share that got a server error or
no answer from there: no row per call, no table of its own.
"""

from __future__ import annotations

from pathlib import Path

from paylab.simulator.alerts.evaluator import Alerts
from paylab.simulator.alerts.loader import build
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.kpi_windows import KpiWindows
from paylab.simulator.core.store import Store
from paylab.simulator.metrics import Metrics
from paylab.suites.unit.inprocess import contracts


def _engine(domain: Domain) -> Alerts:
    rules = {"rules": [{"name": "down", "kind": "failure_rate",
                        "params": {"above": 0.5, "window": 60, "min_volume": 4}}]}
    return Alerts(domain, contracts(), lambda t: t, build(rules, contracts(), lambda t: t))


def test_the_metrics_recorder_counts_calls_and_outright_failures(domain: Domain) -> None:
    metrics = Metrics(store=domain.store, virtual=domain.clock.now)
    for status in (200, 402, 503, 0, 500):
        metrics.request("ecpay", status, 3.0, None, method="POST", route="/x", tenant="t1")
    metrics.request("stripe", 200, 3.0, None, method="POST", route="/x", tenant="t2")
    calls = _engine(domain).calls
    assert calls.window("t1", 60) == [{"gateway": "ecpay", "requests": 5, "errors": 3}]
    assert calls.window(None, 60) == [{"gateway": "ecpay", "requests": 5, "errors": 3},
                                      {"gateway": "stripe", "requests": 1, "errors": 0}]
    assert calls.window(None, 60, "stripe") == [
        {"gateway": "stripe", "requests": 1, "errors": 0}]


def test_an_outage_counted_by_the_recorder_fires_the_rule(domain: Domain) -> None:
    metrics = Metrics(store=domain.store, virtual=domain.clock.now)
    engine = _engine(domain)
    for status in (503, 503, 0, 200):
        metrics.request("ecpay", status, 1.0, None, tenant="t1")
    [alert] = engine.tick()
    assert alert["status"] == "firing" and alert["value"] == 0.75
    assert alert["labels"]["gateway"] == "ecpay" and alert["labels"]["method"] == "*"
    domain.advance_clock(60)  # the calls' second is a full window old
    assert [a["status"] for a in engine.tick()] == ["resolved"]


def test_call_figures_leave_the_latency_figures_alone(domain: Domain) -> None:
    metrics = Metrics(store=domain.store, virtual=domain.clock.now)
    for status in (200, 503, 0):
        metrics.request("ecpay", status, 2.0, None, tenant="t1")
    [row] = KpiWindows(domain.store, domain.clock).rows("t1", 60)
    assert (row["gateway"], row["method"]) == ("ecpay", "*")
    assert row["latency_ms"]["count"] == 3


def test_an_old_store_loses_its_per_call_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(path).close()
    old = Store(path)
    old.conn.execute("CREATE TABLE alert_requests (tenant TEXT, gateway TEXT, second INTEGER,"
                     " requests INTEGER, errors INTEGER)")
    old.close()
    reopened = Store(path)
    assert reopened.one("SELECT name FROM sqlite_master WHERE name = 'alert_requests'") is None
    reopened.reset()  # a reset no longer names it
    reopened.close()
