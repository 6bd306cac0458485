"""The gateway comparison (core.fee_comparison): the traffic read from the store, fees
and success rates per gateway and method, what the same settled traffic would cost on
each other gateway (methods mapped by family, n/a where a gateway lacks the family),
per currency, never converted, monthly fees shown apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.simulator.core import fee_comparison as fc
from paylab.simulator.core import fees
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store

ALPHA = {"monthly_fee": {"twd": 90000},
         "methods": {"card": {"percent": 2, "fixed": {"twd": 1000}},
                     "atm": {"fixed": {"twd": 1500}}}}
BETA = {"methods": {"card": {"percent": 3}, "wallet": {"percent": 1, "minimum": {"twd": 2000}}}}
P = fc.Payment


def schedules(tmp_path: Path) -> fees.FeeSchedules:
    out = fees.FeeSchedules(Objects(Store(str(tmp_path / "c.db"))))
    out.offer("alpha", ALPHA)
    out.offer("beta", BETA)
    return out


TRAFFIC = [
    P("t", "alpha", "card", "twd", "paid", 100000),
    P("t", "alpha", "card", "twd", "failed", 50000),
    P("t", "alpha", "card", "twd", "open", 70000),          # not finished: no rate effect
    P("t", "alpha", "atm", "twd", "paid", 200000),
    P("t", "alpha", "google_pay", "twd", "paid", 10000),    # priced as its family's card
    P("t", "beta", "wallet", "twd", "paid", 100000),
    P("t", "beta", "wallet", "twd", "authorized", 30000),   # a success, nothing settled
    P("t", "gamma", "card", "twd", "paid", 5000),           # a gateway with no schedule
    P("t", "beta", "card", "usd", "paid", 1000),
]


@pytest.fixture
def doc(tmp_path: Path) -> dict:
    return fc.Comparison(schedules(tmp_path)).compare(TRAFFIC, ["alpha", "beta"])


def test_rows_per_gateway_and_method_with_success_beside_cost(doc: dict) -> None:
    twd = doc["currencies"]["twd"]
    assert twd["decimals"] == 2
    got = {(r["gateway"], r["method"]): r for r in twd["rows"]}
    assert list(got) == [("alpha", "atm"), ("alpha", "card"), ("alpha", "google_pay"),
                         ("beta", "wallet"), ("gamma", "card")]
    card = got["alpha", "card"]
    assert {k: card[k] for k in ("family", "count", "succeeded", "settled_count", "amount",
                                 "fee", "success_rate", "effective_rate")} == {
        "family": "card", "count": 3, "succeeded": 1, "settled_count": 1, "amount": 100000,
        "fee": 3000, "success_rate": 0.5, "effective_rate": 0.03}
    wallet = got["beta", "wallet"]
    assert (wallet["count"], wallet["succeeded"], wallet["success_rate"]) == (2, 2, 1.0)
    assert (wallet["amount"], wallet["fee"], wallet["effective_rate"]) == (100000, 2000, 0.02)
    assert got["alpha", "google_pay"]["fee"] == 1200          # 200 + the NT$10 fixed
    assert got["gamma", "card"]["fee"] == 0                   # keeps nothing


def test_what_the_same_traffic_costs_on_each_other_gateway(doc: dict) -> None:
    got = {(r["gateway"], r["method"]): r["on"] for r in doc["currencies"]["twd"]["rows"]}
    assert got["alpha", "card"]["beta"] == {"method": "card", "fee": 3000,
                                            "effective_rate": 0.03}
    assert got["alpha", "atm"]["beta"] == {"method": None, "fee": None,
                                           "effective_rate": None}  # no bank transfer
    assert got["beta", "wallet"]["alpha"]["fee"] is None        # no wallet
    assert got["alpha", "google_pay"]["beta"] == {"method": "card", "fee": 300,
                                                  "effective_rate": 0.03}
    assert got["gamma", "card"]["alpha"] == {"method": "card", "fee": 1100,
                                             "effective_rate": 0.22}
    assert got["alpha", "card"]["alpha"]["fee"] == 3000


def test_totals_per_gateway_count_what_it_cannot_take_apart(doc: dict) -> None:
    alpha, beta = doc["currencies"]["twd"]["totals"]
    assert alpha == {"gateway": "alpha", "amount": 315000, "fee": 6800, "count": 4,
                     "unpriced_count": 1, "unpriced_amount": 100000,
                     "effective_rate": 0.0216, "monthly_fee": 90000}
    assert beta == {"gateway": "beta", "amount": 215000, "fee": 5450, "count": 4,
                    "unpriced_count": 1, "unpriced_amount": 200000,
                    "effective_rate": 0.0253, "monthly_fee": 0}


def test_currencies_are_compared_apart_never_converted(doc: dict) -> None:
    assert sorted(doc["currencies"]) == ["twd", "usd"]
    usd = doc["currencies"]["usd"]
    assert [(r["gateway"], r["fee"], r["on"]["alpha"]["fee"]) for r in usd["rows"]] == [
        ("beta", 30, 20)]
    assert [t["monthly_fee"] for t in usd["totals"]] == [0, 0]
    assert (doc["converted"], doc["monthly_fees"]) == (False, "shown apart, not prorated")


def test_rates_round_half_up_to_four_places() -> None:
    assert fc.rate(1, 3) == 0.3333
    assert fc.rate(2, 3) == 0.6667
    assert fc.rate(1, 20000) == 0.0001      # 0.00005 rounds up
    assert fc.rate(1, 20001) == 0.0
    assert fc.rate(5, 0) is None


def test_traffic_reads_payments_and_orders_of_a_tenant_or_all(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))
    objects = Objects(store)
    objects.insert("t1", "charge", {"id": "ch_1", "created": 1, "card": {"country": "GB"}})
    base = {"created": 1, "gateway": "alpha", "payment_method_types": ["card"],
            "currency": "usd", "last_payment_error": None, "latest_charge": None}
    objects.insert("t1", "payment", {**base, "id": "p1", "status": "succeeded",
                                     "amount_received": 1000, "latest_charge": "ch_1"})
    objects.insert("t1", "payment", {**base, "id": "p2", "status": "needs_method",
                                     "amount_received": 0, "last_payment_error": {"x": 1}})
    objects.insert("t1", "payment", {**base, "id": "p3", "status": "needs_method",
                                     "amount_received": 0})
    order = {"created": 1, "gateway": "beta", "currency": "twd", "captured_amount": 0,
             "card": None}
    objects.insert("t2", "order", {**order, "id": "o1", "method": None, "methods": ["atm"],
                                   "status": "paid", "amount": 2000})
    objects.insert("t2", "order", {**order, "id": "o2", "method": None,
                                   "methods": ["atm", "cvs"], "status": "created",
                                   "amount": 3000})
    objects.insert("t2", "order", {**order, "id": "o3", "method": "wallet",
                                   "methods": ["wallet"], "status": "paid", "amount": 12345,
                                   "decimals": 2, "captured_amount": 12000,
                                   "card": {"country": "JP"}})
    assert sorted(fc.traffic(store), key=lambda p: (p.tenant, p.amount)) == [
        P("t1", "alpha", "card", "usd", "failed", 0, None),
        P("t1", "alpha", "card", "usd", "open", 0, None),
        P("t1", "alpha", "card", "usd", "paid", 1000, "GB"),
        P("t2", "beta", "wallet", "twd", "paid", 12000, "JP"),
        P("t2", "beta", "atm", "twd", "paid", 200000, None, 2),  # whole NT$: 2 places
    ]
    assert [p.tenant for p in fc.traffic(store, "t2")] == ["t2", "t2"]


def test_compare_prices_every_offered_gateway_for_a_tenant(tmp_path: Path) -> None:
    offered = schedules(tmp_path)
    offered.objects.insert("t1", "order", {
        "id": "o1", "created": 1, "gateway": "alpha", "currency": "twd", "method": "atm",
        "methods": ["atm"], "status": "paid", "amount": 500, "captured_amount": 0})
    offered.set_override("t1", "beta", {"methods": {"atm": {"percent": 1}}}, 0)
    doc = fc.compare(offered.objects.store, offered, "t1")
    assert (doc["tenant"], doc["gateways"]) == ("t1", ["alpha", "beta"])
    row = doc["currencies"]["twd"]["rows"][0]
    assert (row["amount"], row["fee"], row["on"]["beta"]["fee"]) == (50000, 1500, 500)
    assert fc.compare(offered.objects.store, offered, "t9")["currencies"] == {}


def test_a_method_its_own_gateway_does_not_price_keeps_no_fee_there(tmp_path: Path) -> None:
    comparison = fc.Comparison(schedules(tmp_path))
    cvs = P("t", "beta", "cvs", "twd", "paid", 4000)
    assert comparison.price(cvs, "beta") == ("cvs", 0)
    assert comparison.price(cvs, "alpha") == (None, None)
    assert comparison.price(P("t", "beta", "card", "twd", "paid", 4000, "JP"),
                            "alpha") == ("card", 1080)
    # NT$1,005 counted in whole dollars: 3% is NT$30.15, kept as NT$30 (as settled)
    assert comparison.price(P("t", "alpha", "card", "twd", "paid", 100500, None, 2),
                            "beta") == ("card", 3000)
    assert comparison.price(P("t", "alpha", "card", "twd", "paid", 100500), "beta") == (
        "card", 3015)


def test_a_paid_payment_of_nothing_settles_nothing(tmp_path: Path) -> None:
    doc = fc.Comparison(schedules(tmp_path)).compare(
        [P("t", "alpha", "card", "twd", "paid", 0), P("t", "alpha", "card", "twd", "expired", 9)],
        ["alpha"])
    (row,) = doc["currencies"]["twd"]["rows"]
    assert (row["count"], row["succeeded"], row["settled_count"], row["amount"]) == (2, 1, 0, 0)
    assert (row["success_rate"], row["effective_rate"], row["fee"]) == (0.5, None, 0)
    assert row["on"]["alpha"] == {"method": None, "fee": 0, "effective_rate": None}
    assert doc["currencies"]["twd"]["totals"] == [{
        "gateway": "alpha", "amount": 0, "fee": 0, "count": 0, "unpriced_count": 0,
        "unpriced_amount": 0, "effective_rate": None, "monthly_fee": 90000}]
