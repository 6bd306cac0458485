"""KPIs over sliding windows of the virtual clock (core/kpi_windows.py): what each event
adds, where a window's edges fall, rates without volume, medians, latency percentiles,
webhook figures, tenants kept apart, and processes sharing one database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.core import kpi_windows as k
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined
from paylab.simulator.core.store import Store
from paylab.simulator.metrics import Metrics
from paylab.suites.unit.conftest import TENANT, FakeWall

OTHER = "acct_other"


def pay(domain: Domain, card: str = "pm_card_visa", amount: int = 2000,
        tenant: str = TENANT, **extra: Any) -> dict:
    return domain.payments.create(tenant, "stripe", {
        "amount": amount, "currency": "usd", "payment_method": card, "confirm": True, **extra})


def emit(domain: Domain, event_type: str, obj: dict, *, kind: str = "order",
         previous: dict | None = None, tenant: str = TENANT, gateway: str = "ecpay") -> None:
    domain.events.emit(tenant, gateway, event_type, kind, obj, previous)


def order(amount: int = 1000, method: str = "credit", **extra: Any) -> dict:
    return {"id": "o_1", "amount": amount, "currency": "twd", "method": method, **extra}


def one(domain: Domain, seconds: float | None = 60, tenant: str | None = TENANT,
        **kw: Any) -> dict:
    (row,) = domain.kpis.rows(tenant, seconds, **kw)
    return row


# -- pure functions ----------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "kept"), [
    (0, 0), (7, 7), (999, 999), (1000, 1000), (1234, 1230), (1235, 1240), (12345, 12300),
    (12349, 12300), (12350, 12400), (99950, 100000), (99949, 99900)])
def test_amounts_keep_three_significant_digits_rounded_half_up(amount: int, kept: int) -> None:
    assert k.significant(amount) == kept


def test_median_of_a_distribution() -> None:
    assert k.median({}) is None
    assert k.median({5.0: 1}) == 5.0
    assert k.median({1.0: 1, 2.0: 1}) == 1.5
    assert k.median({1.0: 1, 2.0: 1, 9.0: 1}) == 2.0
    assert k.median({1.0: 2, 9.0: 1}) == 1.0
    assert k.median({1.0: 1, 9.0: 2}) == 9.0
    assert k.median({3.0: 2, 1.0: 2}) == 2.0  # sorted by value, not by insertion


def test_rates_without_volume_are_null_not_zero() -> None:
    assert k.rate(0, 0) is None
    assert k.rate(0, 3) == 0.0
    assert k.rate(1, 3) == 0.3333
    assert k.rate(2, 3) == 0.6667


def test_latency_quantiles_interpolate_inside_the_bucket() -> None:
    counts = [0.0] * (len(k.LATENCY_BUCKETS) + 1)
    assert k.histogram_quantile(0.5, counts) is None
    counts[1] = 4  # four requests in (1 ms, 2.5 ms]
    assert k.histogram_quantile(0.5, counts) == pytest.approx(0.00175)
    assert k.histogram_quantile(1.0, counts) == pytest.approx(0.0025)
    counts[0] = 4  # and four at or under 1 ms
    assert k.histogram_quantile(0.5, counts) == pytest.approx(0.001)
    assert k.histogram_quantile(0.25, counts) == pytest.approx(0.0005)
    counts[-1] = 2  # past 30 s: the highest bound
    assert k.histogram_quantile(0.99, counts) == 30.0
    assert k.latency_figure(1.0) == "latency:0"
    assert k.latency_figure(1.01) == "latency:1"
    assert k.latency_figure(31_000) == f"latency:{len(k.LATENCY_BUCKETS)}"


def test_nearest_rank() -> None:
    assert k.nearest_rank([], 0.5) is None
    assert k.nearest_rank([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert k.nearest_rank([4.0, 1.0, 3.0, 2.0], 0.99) == 4.0
    assert k.nearest_rank([4.0, 1.0, 3.0, 2.0], 0.0) == 1.0


# -- card payments through the core ---------------------------------------------------------
def test_a_paid_card_payment_and_its_refund(domain: Domain) -> None:
    payment = pay(domain)
    domain.refunds.create(TENANT, {"payment": payment["id"], "amount": 500})
    row = one(domain)
    assert (row["gateway"], row["method"], row["volume"], row["succeeded"], row["failed"]) == (
        "stripe", "card", 1, 1, 0)
    assert (row["amount"], row["average_amount"], row["median_amount"]) == (
        {"usd": 2000}, {"usd": 2000.0}, {"usd": 2000.0})
    assert (row["success_rate"], row["failure_rate"], row["decline_rate"]) == (1.0, 0.0, 0.0)
    assert (row["refunds"], row["refund_rate"], row["refunded_amount"]) == (1, 1.0, {"usd": 500})
    assert (row["challenges"], row["challenge_rate"], row["fraud_blocks"]) == (0, 0.0, 0)


def test_declines_by_reason_and_fraud_blocks(domain: Domain) -> None:
    pay(domain)
    funds = "pm_card_chargeDeclinedInsufficientFunds"
    for card in (funds, funds, "pm_card_radarBlock"):
        with pytest.raises(CardDeclined):
            pay(domain, card)
    row = one(domain)
    assert (row["volume"], row["succeeded"], row["failed"]) == (4, 1, 3)
    assert row["declines"] == {"fraudulent": 1, "insufficient_funds": 2}
    assert (row["success_rate"], row["failure_rate"], row["decline_rate"]) == (0.25, 0.75, 0.75)
    assert row["fraud_blocks"] == 1
    assert row["refund_rate"] == 0.0


def test_a_three_d_secure_challenge_and_its_failure(domain: Domain) -> None:
    payment = pay(domain, "pm_card_threeDSecure2Required")
    domain.payments.authenticate(TENANT, payment["id"], "failed")
    row = one(domain)
    assert (row["challenges"], row["challenge_rate"]) == (1, 1.0)
    # a failed authentication is a failure, not a decline (no decline code)
    assert (row["failed"], row["declines"], row["decline_rate"]) == (
        1, {"authentication_failed": 1}, 0.0)


def test_a_capture_is_not_counted_twice(domain: Domain) -> None:
    payment = pay(domain, capture_method="manual")
    domain.payments.capture(TENANT, payment["id"])
    assert one(domain)["succeeded"] == 1


# -- orders (the form-post and wallet gateways), by their events ------------------------------
def test_orders_count_by_their_events(domain: Domain) -> None:
    emit(domain, "order.created", order(methods=["credit", "atm"], method=None))
    emit(domain, "order.paid", order(), previous={"status": "created"})
    emit(domain, "order.authorized", order(2000, "atm"), previous={"status": "created"})
    emit(domain, "order.captured", order(2000, "atm"), previous={"status": "authorized"})
    emit(domain, "order.needs_action", order())
    emit(domain, "order.failed", order(failure={"code": "10100058", "decline_code": "fraudulent",
                                                "rule": "block_big"}))
    emit(domain, "order.failed", order(method="atm", failure={"code": "payment_failed"}))
    emit(domain, "order.refunded", order(refunded_amount=700), previous={"refunded_amount": 300})
    rows = {r["method"]: r for r in domain.kpis.rows(TENANT, 60)}
    assert sorted(rows) == ["atm", "credit", "unselected"]
    assert rows["unselected"]["volume"] == 1
    credit, atm = rows["credit"], rows["atm"]
    assert (credit["succeeded"], credit["failed"], credit["fraud_blocks"]) == (1, 1, 1)
    assert credit["declines"] == {"fraudulent": 1}
    assert (credit["refunds"], credit["refunded_amount"]) == (1, {"twd": 400})
    assert credit["challenges"] == 1
    assert (atm["succeeded"], atm["amount"], atm["failed"]) == (1, {"twd": 2000}, 1)
    assert (atm["declines"], atm["decline_rate"], atm["fraud_blocks"]) == (
        {"payment_failed": 1}, 0.0, 0)
    assert credit["challenge_rate"] is None  # no order created under it in the window


def test_average_and_median_amounts_per_currency(domain: Domain) -> None:
    for amount in (1000, 3000, 2000, 12345):
        emit(domain, "order.paid", order(amount))
    emit(domain, "order.paid", {**order(50), "currency": "usd"})
    row = one(domain)
    assert row["amount"] == {"twd": 18345, "usd": 50}
    assert row["average_amount"] == {"twd": 4586.25, "usd": 50.0}
    assert row["median_amount"] == {"twd": 2500.0, "usd": 50.0}


# -- windows on the virtual clock ---------------------------------------------------------------
def test_window_edges(domain: Domain, wall: FakeWall) -> None:
    pay(domain)
    wall.now += 59
    assert one(domain, 60)["volume"] == 1
    wall.now += 1
    assert domain.kpis.rows(TENANT, 60) == []  # 60 s ago: out of (now - 60, now]
    domain.advance_clock(1)  # 61 s: out of 1m, in 15m, 1h and run
    assert domain.kpis.rows(TENANT, 60) == []
    assert [one(domain, s)["volume"] for s in (900, 3600, None)] == [1, 1, 1]
    domain.advance_clock(900 - 61)
    assert domain.kpis.rows(TENANT, 900) == []
    assert one(domain, 3600)["volume"] == 1


def test_every_window_at_once_has_the_same_edges(domain: Domain, wall: FakeWall) -> None:
    pay(domain)
    wall.now += 60
    snap = domain.kpis.snapshot(TENANT)
    assert snap["at"] == 1_700_000_060.0
    assert [len(snap["windows"][w]) for w in ("1m", "15m", "1h", "run")] == [0, 1, 1, 1]
    wall.now += 840
    snap = domain.kpis.snapshot(TENANT)
    assert [len(snap["windows"][w]) for w in ("1m", "15m", "1h", "run")] == [0, 0, 1, 1]
    assert snap["windows"]["run"][0]["volume"] == 1


def test_series_per_minute(domain: Domain, wall: FakeWall) -> None:
    wall.now = 1_700_000_080.0  # 40 s into the minute that starts at 1_700_000_040
    pay(domain)
    wall.now += 30  # the next minute
    pay(domain, amount=500)
    with pytest.raises(CardDeclined):
        pay(domain, "pm_card_chargeDeclinedInsufficientFunds")
    points = domain.kpis.series(TENANT)
    assert points == [
        {"minute": 1_700_000_040, "gateway": "stripe", "method": "card", "volume": 1,
         "succeeded": 1, "failed": 0, "refunds": 0, "amount": {"usd": 2000}},
        {"minute": 1_700_000_100, "gateway": "stripe", "method": "card", "volume": 2,
         "succeeded": 1, "failed": 1, "refunds": 0, "amount": {"usd": 500}}]
    domain.advance_clock(3600)
    assert domain.kpis.series(TENANT) == []
    # whole minutes, the current one included: 61 reach back to the second payment's
    assert [p["volume"] for p in domain.kpis.series(TENANT, minutes=61)] == [2]
    assert [p["volume"] for p in domain.kpis.series(TENANT, minutes=62)] == [1, 2]


# -- latency, webhooks ---------------------------------------------------------------------------
def test_latency_percentiles_per_gateway(domain: Domain, wall: FakeWall) -> None:
    metrics = Metrics(store=domain.store, virtual=domain.clock.now)
    for ms in (0.5, 0.5, 2.0, 2.0):
        metrics.request("stripe", 200, ms, None, tenant=TENANT)
    metrics.request("stripe", 200, 40_000, None, tenant=OTHER)
    metrics.flush()
    row = one(domain)
    assert (row["method"], row["volume"]) == (k.ALL_METHODS, 0)
    assert row["latency_ms"] == {"p50": 1.0, "p95": 2.35, "p99": 2.47, "count": 4}
    assert one(domain, tenant=OTHER)["latency_ms"]["p50"] == 30_000.0
    assert one(domain, tenant=None)["latency_ms"]["count"] == 5
    wall.now += 60
    assert domain.kpis.rows(TENANT, 60) == []
    pay(domain)  # a payment row carries its gateway's latency
    metrics.request("stripe", 200, 0.5, None, tenant=TENANT)
    row = one(domain)
    assert (row["method"], row["latency_ms"]["count"]) == ("card", 1)


def test_webhook_lag_failures_and_backlog(domain: Domain, wall: FakeWall) -> None:
    domain.endpoints.create(TENANT, "stripe", url="http://127.0.0.1:9/hook",
                            enabled_events=["payment.succeeded", "payment.created"])
    pay(domain)  # two deliveries
    assert domain.kpis.webhook_backlog(TENANT) == 2
    assert domain.kpis.webhook_backlog(TENANT, "ecpay") == 0
    assert one(domain)["webhooks"] == {"delivered": 0, "failed": 0, "failure_rate": None,
                                       "lag_ms_p50": None, "lag_ms_p99": None, "backlog": 2}
    first, second = domain.outbox.claim_due(10)
    wall.now += 2
    domain.outbox.record_attempt(first, started=wall.now, duration_ms=250, status_code=200,
                                 response="", error=None)
    domain.outbox.record_attempt(second, started=wall.now, duration_ms=10, status_code=500,
                                 response="", error=None)
    wall.now += 1
    domain.advance_clock(5)  # the retry is due; the lag so far stays what it was
    (retry,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(retry, started=wall.now, duration_ms=100, status_code=200,
                                 response="", error=None)
    hooks = one(domain)["webhooks"]
    assert hooks == {"delivered": 2, "failed": 1, "failure_rate": 0.3333,
                     "lag_ms_p50": 2250.0, "lag_ms_p99": 8100.0, "backlog": 0}
    wall.now += 55  # virtually 54.9 s after the retry ended, 60.75 s after the first
    assert (one(domain)["webhooks"]["delivered"], one(domain)["webhooks"]["failed"]) == (1, 0)
    domain.advance_clock(60)
    assert domain.kpis.rows(TENANT, 60) == []
    assert one(domain, None)["webhooks"]["delivered"] == 2


# -- tenants, processes, resets --------------------------------------------------------------------
def test_two_tenants_are_kept_apart(domain: Domain) -> None:
    pay(domain)
    pay(domain, tenant=OTHER, amount=700)
    pay(domain, tenant=OTHER, amount=900)
    assert one(domain)["amount"] == {"usd": 2000}
    assert one(domain, tenant=OTHER)["amount"] == {"usd": 1600}
    assert one(domain, tenant=None)["volume"] == 3
    domain.reset(OTHER)
    assert domain.kpis.rows(OTHER, None) == []
    assert one(domain, None)["volume"] == 1


def test_two_domains_on_one_database_see_the_same_figures(tmp_path: Path) -> None:
    wall = FakeWall()
    first = Domain(Store(tmp_path / "k.db"), Clock(wall=wall), seed=7)
    second = Domain(Store(tmp_path / "k.db"), Clock(wall=wall), seed=7)
    pay(first)
    with pytest.raises(CardDeclined):
        pay(second, "pm_card_chargeDeclinedInsufficientFunds")
    for domain in (first, second):
        row = one(domain)
        assert (row["volume"], row["succeeded"], row["failed"]) == (2, 1, 1)
    first.reset()
    assert second.kpis.rows(None, None) == []


def test_a_reset_starts_the_run_again(domain: Domain) -> None:
    pay(domain)
    domain.advance_clock(7200)
    assert one(domain, None)["volume"] == 1
    domain.reset()
    assert domain.kpis.rows(None, None) == []
    pay(domain)
    assert one(domain, None)["volume"] == 1


def test_a_fast_clock_maps_wall_stamps_to_virtual_time() -> None:
    """Webhook attempts and request latencies are stamped by the wall clock; a clock 20
    times as fast puts them where they fell in virtual time, before and after advances."""
    wall = FakeWall()
    domain = Domain(Store(":memory:"), Clock(time_scale=20, wall=wall), seed=7)
    assert k.virtual_now(Store(":memory:"), 5.0) == 5.0  # no mapping noted: the wall time
    domain.endpoints.create(TENANT, "stripe", url="http://127.0.0.1:9/hook",
                            enabled_events=["payment.created"])
    pay(domain)
    wall.now += 1  # 20 virtual seconds
    (delivery,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(delivery, started=wall.now, duration_ms=500, status_code=200,
                                 response="", error=None)
    assert one(domain)["webhooks"]["lag_ms_p50"] == 30_000.0
    metrics = Metrics(wall, store=domain.store)  # no virtual clock given: the noted mapping
    metrics.request("stripe", 200, 1.0, None, tenant=TENANT)
    metrics.flush()
    wall.now += 0.5
    domain.advance_clock(100)
    metrics.request("stripe", 200, 1.0, None, tenant=TENANT)
    metrics.flush()
    assert k.virtual_now(domain.store, wall.now) == pytest.approx(domain.clock.now())
    assert one(domain, None)["latency_ms"]["count"] == 2
    assert one(domain, 60)["latency_ms"]["count"] == 1  # the first fell 110 s before now


def test_seconds_past_the_longest_window_fold_into_hours(domain: Domain, wall: FakeWall) -> None:
    assert k.KEEP_SECONDS == 3660
    wall.now = 1_700_002_800.0 + 10  # ten seconds into an hour (1_700_002_800 is one)
    pay(domain)
    wall.now += 1
    pay(domain, amount=3000)

    def seconds() -> list[int]:
        return sorted({r[0] for r in domain.store.all(
            "SELECT second FROM kpi_seconds WHERE method = 'card'")})

    assert seconds() == [1_700_002_810, 1_700_002_811]
    domain.kpis.compact(1_700_002_811 + 3660)  # the second payment's second is kept
    assert seconds() == [1_700_002_800, 1_700_002_811]
    wall.now += 3661
    pay(domain, amount=500)  # an event in a new minute compacts
    assert seconds() == [1_700_002_800, 1_700_002_811 + 3661]
    domain.kpis.compact(1_700_002_811 + 3661)  # again: nothing counted twice
    run = one(domain, None)
    assert (run["volume"], run["amount"], run["median_amount"]) == (
        3, {"usd": 5500}, {"usd": 2000.0})
    assert one(domain, 3600)["volume"] == 1


def test_a_slow_snapshot_is_reused_within_its_second(domain: Domain, wall: FakeWall,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pay(domain)
    first = domain.kpis.snapshot(TENANT)
    pay(domain)  # counting is quick: every snapshot is fresh
    assert domain.kpis.snapshot(TENANT)["windows"]["1m"][0]["volume"] == 2
    assert first["windows"]["1m"][0]["volume"] == 1
    monkeypatch.setattr(k, "SLOW_SECONDS", 0.0)  # every count now counts as slow
    monkeypatch.setattr(k, "REUSE", 1e9)
    slow = domain.kpis.snapshot(TENANT)
    pay(domain)
    assert domain.kpis.snapshot(TENANT) is slow  # the same second: reused
    assert domain.kpis.snapshot(OTHER) is not slow
    wall.now += 1
    assert domain.kpis.snapshot(TENANT)["windows"]["1m"][0]["volume"] == 3


def test_a_bare_object_is_counted_without_failing_its_event(domain: Domain) -> None:
    """Figures never break the operation that emitted the event: an object without a
    currency or amount (a gateway kit's fake, say) is counted without them."""
    for kind in ("order.paid", "order.refunded", "order.failed"):
        domain.events.emit(TENANT, "fake", kind, "order", {"id": "o_1"})
    domain.events.emit(TENANT, "fake", "order.paid", "order", {"id": "o_1", "amount": 100})
    row = one(domain)
    assert (row["gateway"], row["succeeded"], row["refunds"], row["failed"]) == (
        "fake", 2, 1, 1)
    assert (row["amount"], row["refunded_amount"], row["declines"]) == ({}, {}, {"unknown": 1})
