"""Settlement rows from a real in-process domain (core.settlements): a paid order's row
and its refunds' with fee and net by the tenant's schedule, settlement days across
midnight on the virtual clock, unpaid orders without rows, charges' balance entries,
adapters' names, filters and order. Exact values, so mutants die."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined
from paylab.simulator.core.settlements import COLUMNS, Naming, Settlements, day_of
from paylab.suites.unit.conftest import TENANT, FakeWall

DAY = 86400
MIDNIGHT = 1_700_006_400  # 2023-11-15 00:00:00 UTC
CARD, DECLINED = "4311952222222222", "4000000000000002"
SCHEDULE = {"description": "g fees", "home_country": "TW", "settlement_currencies": ["twd"],
            "available_after_days": 3, "refund_available_after_days": 1,
            "refund_fee": "returned",
            "methods": {"card": {"percent": 2.5}, "webatm": {"percent": 1, "fixed": {"twd": 200}}}}


@pytest.fixture
def sim(domain: Domain, wall: FakeWall) -> Domain:
    """The domain at 2023-11-15 10:00 UTC, gateway `g` charging SCHEDULE."""
    wall.now = MIDNIGHT + 10 * 3600
    domain.balance.fees.offer("g", SCHEDULE)
    return domain


def settlements(domain: Domain, **namers: Any) -> Settlements:
    return Settlements(domain.objects, domain.balance.fees, domain.clock, namers)


def card_order(domain: Domain, no: str = "T1", amount: int = 1000, *, capture: bool = True,
               number: str = CARD, gateway: str = "g", tenant: str = TENANT) -> dict[str, Any]:
    order = domain.orders.create(tenant, gateway, merchant_order_no=no, amount=amount,
                                 currency="TWD", methods=["card", "webatm"])
    with contextlib.suppress(CardDeclined):  # raised after the failure is stored
        domain.orders.pay_by_card(tenant, order["id"], number, capture=capture)
    return domain.orders.get(tenant, order["id"])


def test_a_paid_card_order_has_one_exact_row(sim: Domain) -> None:
    order = card_order(sim, amount=1000)
    (row,) = settlements(sim).rows(TENANT)
    assert list(row) == list(COLUMNS)
    # 2.5% of NT$1000 in whole TWD: 25
    assert row == {"gateway": "g", "tenant": TENANT, "merchant_id": TENANT, "type": "payment",
                   "transaction_id": order["reference"], "order_ref": "T1", "method": "card",
                   "amount": 1000, "currency": "twd", "decimals": 0, "fee": 25, "net": 975,
                   "created_at": MIDNIGHT + 36000, "settled_at": MIDNIGHT + 3 * DAY,
                   "settlement_date": "2023-11-18"}


def test_fee_rounds_half_up_in_whole_units_and_fixed_is_minor_units(sim: Domain) -> None:
    card_order(sim, "T1", 1010)          # 25.25 -> 25
    card_order(sim, "T2", 1030)          # 25.75 -> 26
    webatm = sim.orders.create(TENANT, "g", merchant_order_no="W1", amount=1000,
                               currency="TWD", methods=["webatm"])
    sim.orders.pay_direct(TENANT, webatm["id"], "webatm")   # 1% = 10, + NT$2 fixed
    fees = {r["order_ref"]: (r["fee"], r["net"]) for r in settlements(sim).rows(TENANT)}
    assert fees == {"T1": (25, 985), "T2": (26, 1004), "W1": (12, 988)}


def test_partial_refund_row_returns_its_share_of_the_fee(sim: Domain, wall: FakeWall) -> None:
    order = card_order(sim, amount=1000)                     # fee 25
    wall.now += 60
    sim.orders.refund(TENANT, order["id"], 300, reference="R-1")
    wall.now += 60
    sim.orders.refund(TENANT, order["id"], 100)              # no reference
    pay, first, second = settlements(sim).rows(TENANT)
    assert (first["type"], first["transaction_id"], first["amount"], first["fee"],
            first["net"], first["order_ref"], first["method"]) == (
        "refund", "R-1", -300, -8, -292, "T1", "card")      # 25 * 300/1000 = 7.5 -> 8
    assert (second["transaction_id"], second["amount"], second["fee"], second["net"]) == (
        order["reference"], -100, -3, -97)                   # 2.5 -> 3; the trade's id
    assert first["created_at"] == MIDNIGHT + 36060
    assert first["settled_at"] == MIDNIGHT + DAY            # a refund: one day here
    assert pay["amount"] == 1000  # the payment row keeps the amount paid


def test_unpaid_orders_have_no_rows(sim: Domain) -> None:
    card_order(sim, "A1", capture=False)                     # authorised only
    card_order(sim, "F1", number=DECLINED)                   # failed
    sim.orders.create(TENANT, "g", merchant_order_no="N1", amount=500, currency="TWD",
                      methods=["card"])                      # never paid
    assert [o["status"] for _, o in sim.objects.all_of("order", TENANT)] == [
        "authorized", "failed", "created"]
    assert settlements(sim).rows(TENANT) == []


def test_a_capture_settles_what_was_captured(sim: Domain) -> None:
    order = card_order(sim, amount=1000, capture=False)
    sim.orders.capture(TENANT, order["id"], 600)
    (row,) = settlements(sim).rows(TENANT)
    assert (row["amount"], row["fee"], row["net"]) == (600, 15, 585)


@pytest.mark.parametrize(("at", "days", "settled", "date"), [
    (MIDNIGHT - 1, 3, MIDNIGHT + 2 * DAY, "2023-11-17"),     # 23:59:59 counts its own day
    (MIDNIGHT, 3, MIDNIGHT + 3 * DAY, "2023-11-18"),         # midnight starts the next
    (MIDNIGHT - 1, 0, MIDNIGHT - 1, "2023-11-14"),           # no lag: at once, same day
    (MIDNIGHT - 1, 1, MIDNIGHT, "2023-11-15"),
])
def test_settlement_day_across_midnight(sim: Domain, wall: FakeWall, at: int, days: int,
                                        settled: int, date: str) -> None:
    wall.now = at
    sim.balance.fees.set_override(TENANT, "g", {"available_after_days": days}, at)
    card_order(sim)
    (row,) = settlements(sim).rows(TENANT)
    assert (row["created_at"], row["settled_at"], row["settlement_date"]) == (at, settled,
                                                                              date)


def test_the_virtual_clock_is_the_time_base(sim: Domain) -> None:
    sim.advance_clock(5 * DAY)
    card_order(sim)
    (row,) = settlements(sim).rows(TENANT)
    assert row["created_at"] == MIDNIGHT + 36000 + 5 * DAY
    assert row["settlement_date"] == "2023-11-23"


def test_filters_are_inclusive_days(sim: Domain, wall: FakeWall) -> None:
    card_order(sim, "T1")                                    # created 11-15, settles 11-18
    rows = settlements(sim)
    assert len(rows.rows(TENANT, since="2023-11-18", until="2023-11-18")) == 1
    assert rows.rows(TENANT, since="2023-11-19") == []
    assert rows.rows(TENANT, until="2023-11-17") == []
    assert len(rows.rows(TENANT, since="2023-11-15", until="2023-11-15",
                         by="created_date")) == 1
    assert rows.rows(TENANT, since="2023-11-16", by="created_date") == []
    assert rows.rows(TENANT, until="2023-11-14", by="created_date") == []
    assert rows.rows(TENANT, gateway="other") == []
    assert len(rows.rows(TENANT, gateway="g")) == 1


def test_settled_only_counts_the_settlement_instant(sim: Domain, wall: FakeWall) -> None:
    card_order(sim)
    rows = settlements(sim)
    wall.now = MIDNIGHT + 3 * DAY - 1
    assert rows.rows(TENANT, settled_only=True) == []
    wall.now = MIDNIGHT + 3 * DAY
    assert len(rows.rows(TENANT, settled_only=True)) == 1


def test_tenants_are_kept_apart_and_none_means_all(sim: Domain, wall: FakeWall) -> None:
    card_order(sim, "T1")
    wall.now += 1
    card_order(sim, "T1", tenant="acct_other")
    rows = settlements(sim)
    assert [r["tenant"] for r in rows.rows(None)] == [TENANT, "acct_other"]
    assert [r["tenant"] for r in rows.rows("acct_other")] == ["acct_other"]


def test_rows_are_oldest_first_payment_before_refund(sim: Domain, wall: FakeWall) -> None:
    first = card_order(sim, "T1")
    sim.orders.refund(TENANT, first["id"], 100, reference="R")  # same second as T2
    card_order(sim, "T0")
    got = [(r["order_ref"], r["type"]) for r in settlements(sim).rows(TENANT)]
    assert got == [("T1", "payment"), ("T0", "payment"), ("T1", "refund")]
    wall.now += 1
    card_order(sim, "T9")
    got = [(r["order_ref"], r["type"]) for r in settlements(sim).rows(TENANT)]
    assert got[-1] == ("T9", "payment")


def test_an_adapter_names_the_transaction_merchant_and_refunds(sim: Domain) -> None:
    order = card_order(sim, amount=1000)
    sim.orders.refund(TENANT, order["id"], 100, reference="ref-a")
    sim.orders.refund(TENANT, order["id"], 100, reference="ref-b")
    sim.orders.refund(TENANT, order["id"], 100)
    seen = []

    def names(tenant: str, doc: dict[str, Any]) -> Naming:
        seen.append((tenant, doc["id"]))
        return Naming("TX-9", "SHOP-1", "M-1", ("RF-1",))

    pay, *refunds = settlements(sim, g=names).rows(TENANT)
    assert seen == [(TENANT, order["id"])]
    assert (pay["transaction_id"], pay["order_ref"], pay["merchant_id"]) == (
        "TX-9", "SHOP-1", "M-1")
    # named, then the refund's own reference, then the transaction id
    assert [r["transaction_id"] for r in refunds] == ["RF-1", "ref-b", "TX-9"]
    assert {r["merchant_id"] for r in refunds} == {"M-1"}


def test_a_namer_may_decline_and_defaults_fill_gaps(sim: Domain) -> None:
    order = card_order(sim)
    (row,) = settlements(sim, g=lambda tenant, doc: None).rows(TENANT)
    assert (row["transaction_id"], row["order_ref"], row["merchant_id"]) == (
        order["reference"], "T1", TENANT)
    (row,) = settlements(sim, g=lambda tenant, doc: Naming("X")).rows(TENANT)
    assert (row["transaction_id"], row["order_ref"], row["merchant_id"]) == ("X", "T1", TENANT)
    (row,) = settlements(sim, other=lambda tenant, doc: Naming("Y")).rows(TENANT)
    assert row["transaction_id"] == order["reference"]


def test_a_gateway_without_a_schedule_keeps_no_fee(sim: Domain) -> None:
    card_order(sim, gateway="free")
    (row,) = settlements(sim).rows(TENANT)
    assert (row["gateway"], row["fee"], row["net"], row["settled_at"]) == (
        "free", 0, 1000, row["created_at"])


# -- charges' balance entries --------------------------------------------------------------
def charge(domain: Domain, cid: str, amount: int, currency: str = "usd",
           payment: str | None = "pay_1") -> None:
    domain.balance.record_payment(TENANT, "cards", {
        "id": cid, "amount_captured": amount, "currency": currency, "payment": payment,
        "method_type": "card", "card": {"country": "US"}})


def test_balance_entries_become_rows_with_their_fee_and_order(sim: Domain) -> None:
    sim.balance.fees.offer("cards", {"available_after_days": 2, "methods": {
        "card": {"percent": 2.9, "fixed": {"usd": 30}}}})
    sim.objects.insert(TENANT, v.PAYMENT, {"id": "pay_1", "created": 0,
                                            "metadata": {"order_id": "O-7"}})
    charge(sim, "ch_a1", 2000)
    sim.balance.record_refund(TENANT, "cards", {"id": "re_b1", "charge": "ch_a1",
                                                "amount": 500, "currency": "usd",
                                                "payment": "pay_1"})
    charge(sim, "ch_c2", 1000, "jpy", payment=None)
    pay, yen, refund = settlements(sim).rows(TENANT)  # one second: payments first
    assert pay == {"gateway": "cards", "tenant": TENANT, "merchant_id": TENANT,
                   "type": "payment", "transaction_id": "ch_a1", "order_ref": "O-7",
                   "method": "card", "amount": 2000, "currency": "usd", "decimals": 2,
                   "fee": 88, "net": 1912, "created_at": MIDNIGHT + 36000,
                   "settled_at": MIDNIGHT + 2 * DAY, "settlement_date": "2023-11-17"}
    assert (refund["transaction_id"], refund["amount"], refund["fee"], refund["net"],
            refund["order_ref"], refund["settled_at"]) == (
        "re_b1", -500, 0, -500, "O-7", MIDNIGHT + 36000)
    assert (yen["order_ref"], yen["decimals"], yen["fee"]) == (None, 0, 29)  # 2.9% of 1000


def test_day_of_is_the_utc_date() -> None:
    assert (day_of(MIDNIGHT - 1), day_of(MIDNIGHT)) == ("2023-11-14", "2023-11-15")


def test_a_whole_unit_refund_keeps_the_fixed_fee_in_those_units(sim: Domain,
                                                                wall: FakeWall) -> None:
    """returned_percent: the refunded share of the percentage comes back, the fixed part
    (NT$2.00 = 200 minor units) stays; the order counts whole TWD, so must the refund."""
    sim.balance.fees.offer("h", {**SCHEDULE, "refund_fee": "returned_percent",
                                 "methods": {"card": {"percent": 2.5,
                                                      "fixed": {"twd": 200}}}})
    order = card_order(sim, amount=1000, gateway="h")        # 25 + 2 = 27
    wall.now += 60
    sim.orders.refund(TENANT, order["id"], 300, reference="R-1")
    pay, refund = settlements(sim).rows(TENANT)
    assert (pay["fee"], pay["net"]) == (27, 973)
    assert (refund["amount"], refund["fee"], refund["net"]) == (-300, -8, -292)  # 7.5 -> 8
