"""Mutation-testing kills for the figures per gateway and method (simulator/core/kpis.py)
and the ledger's order rows (simulator/core/ledger.py), on the domain alone: orders in every
state, grouped by the method chosen (or the only one offered), their amounts, refunds,
declines and success rate, per tenant or all; what the ledger books for each."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined
from paylab.simulator.core.kpis import gateway_methods
from paylab.simulator.core.ledger import ledger
from paylab.suites.unit.conftest import TENANT
from paylab.suites.unit.orders_kit import ALL

ZERO = {"volume": 0, "paid": 0, "authorized": 0, "open": 0, "pending_codes": 0, "failed": 0,
        "expired": 0, "expired_codes": 0, "canceled": 0, "declines": 0, "refunds": 0,
        "amount": 0, "refunded_amount": 0}


def _row(method: str, rate: float | None, **counts: int) -> dict[str, Any]:
    return {"gateway": "g", "method": method, "currency": "twd", "decimals": 0, **ZERO,
            **counts, "success_rate": rate}


def _new(domain: Domain, no: str, methods: list[str] = ALL, tenant: str = TENANT,
         amount: int = 500) -> str:
    return domain.orders.create(tenant, "g", merchant_order_no=no, amount=amount,
                                currency="TWD", methods=methods)["id"]


def _card(domain: Domain, oid: str, number: str = "4242424242424242", tenant: str = TENANT,
          capture: bool = True) -> None:
    with contextlib.suppress(CardDeclined):  # a decline is one of the states counted
        domain.orders.pay_by_card(tenant, oid, number, capture=capture)


def _code(domain: Domain, oid: str, method: str) -> None:
    domain.orders.issue_code(TENANT, oid, method, expires_at=domain.clock.now() + 600)


def _orders_in_every_state(domain: Domain) -> None:
    orders = domain.orders
    held = _new(domain, "A")
    _card(domain, held, capture=False)
    orders.capture(TENANT, held, 400)
    orders.refund(TENANT, held, 100)  # card: paid 400, 100 of it refunded
    _card(domain, _new(domain, "B"), "4000000000009995")  # card: declined, failed
    _card(domain, _new(domain, "C"), capture=False)  # card: held
    voided = _new(domain, "D")
    _card(domain, voided, capture=False)
    orders.void(TENANT, voided)  # card: canceled
    _card(domain, _new(domain, "E"), "4000000000003220")  # card: 3-D Secure, open
    _code(domain, _new(domain, "F"), "cvs")  # cvs: a code pending
    settled = _new(domain, "G")
    _code(domain, settled, "cvs")
    orders.settle(TENANT, settled)  # cvs: paid 500
    lapsed = _new(domain, "H")
    _code(domain, lapsed, "atm")
    orders.expire(TENANT, lapsed)  # atm: a code expired
    orders.expire(TENANT, _new(domain, "I", ["atm"]))  # atm, the only method: expired
    _new(domain, "J", ["card", "atm"])  # no method chosen yet: open
    transfer = _new(domain, "K", ["webatm"])
    orders.pay_direct(TENANT, transfer)
    orders.refund(TENANT, transfer)  # webatm: paid 500, all of it refunded
    _card(domain, _new(domain, "L", tenant="acct_other", amount=999), tenant="acct_other")


def test_orders_are_counted_per_method_and_state_for_one_tenant(domain: Domain) -> None:
    _orders_in_every_state(domain)
    assert gateway_methods(domain.store, TENANT) == [
        _row("atm", 0.0, volume=2, expired=2, expired_codes=1),
        _row("card", 0.6667, volume=5, paid=1, authorized=1, open=1, failed=1, canceled=1,
             declines=1, refunds=1, amount=400, refunded_amount=100),
        _row("cvs", 1.0, volume=2, paid=1, pending_codes=1, amount=500),
        _row("unselected", None, volume=1, open=1),
        _row("webatm", 1.0, volume=1, paid=1, refunds=1, amount=500, refunded_amount=500),
    ]


def test_without_a_tenant_every_tenants_orders_count(domain: Domain) -> None:
    _orders_in_every_state(domain)
    card = next(r for r in gateway_methods(domain.store) if r["method"] == "card")
    assert card == _row("card", 0.75, volume=6, paid=2, authorized=1, open=1, failed=1,
                        canceled=1, declines=1, refunds=1, amount=1399, refunded_amount=100)
    assert [r["method"] for r in gateway_methods(domain.store, "acct_other")] == ["card"]


def test_a_failure_counts_under_the_method_it_failed_with(domain: Domain) -> None:
    unchosen = _new(domain, "M")
    domain.orders.fail(TENANT, unchosen)  # no method yet: an unselected failure
    _card(domain, unchosen)  # then paid by card: no unselected row to count it in
    only = _new(domain, "N", ["cvs"])
    domain.orders.fail(TENANT, only)  # the only method offered: a cvs failure
    assert gateway_methods(domain.store, TENANT) == [
        _row("card", 1.0, volume=1, paid=1, amount=500),
        _row("cvs", 0.0, volume=1, failed=1, declines=1),
    ]


@pytest.mark.parametrize("tenant", [TENANT, None])
def test_an_empty_store_has_no_rows(domain: Domain, tenant: str | None) -> None:
    assert gateway_methods(domain.store, tenant) == []


# -- the ledger's orders ----------------------------------------------------------------------
def test_the_ledger_books_each_order_by_its_state(domain: Domain) -> None:
    _orders_in_every_state(domain)
    card = domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    book = ledger(domain.objects, TENANT)
    rows = [r for r in book["payments"] if r["id"] != card["id"]]
    ids = {doc["merchant_order_no"]: doc["id"] for doc in domain.orders.page(TENANT,
                                                                              limit=20)[0]}
    booked = [  # number, status, method, authorised, captured, refunded, refunds
        ("A", "paid", "card", 400, 400, 100, 1), ("B", "failed", "card", 0, 0, 0, 0),
        ("C", "authorized", "card", 500, 0, 0, 0), ("D", "canceled", "card", 0, 0, 0, 0),
        ("E", "needs_action", "card", 0, 0, 0, 0), ("F", "awaiting_payment", "cvs", 0, 0, 0, 0),
        ("G", "paid", "cvs", 500, 500, 0, 0), ("H", "expired", "atm", 0, 0, 0, 0),
        ("I", "expired", None, 0, 0, 0, 0), ("J", "created", None, 0, 0, 0, 0),
        ("K", "paid", "webatm", 500, 500, 500, 1)]
    assert rows == [{"id": ids[no], "tenant": TENANT, "gateway": "g", "status": status,
                     "currency": "twd", "amount": 500, "authorized": authorised,
                     "captured": captured, "refunded": refunded, "refund_count": count,
                     "method": method, "merchant_order_no": no}
                    for no, status, method, authorised, captured, refunded, count in booked]
    orders = {"authorized": 1900, "captured": 1400, "refunded": 600}
    stripe = {"authorized": 2000, "captured": 2000, "refunded": 0}
    assert book["totals"] == {"twd": orders, "usd": stripe}
    assert book["gateway_totals"] == {"g": {"twd": orders}, "stripe": {"usd": stripe}}


def test_the_groups_of_one_row_add_up(domain: Domain) -> None:
    orders = domain.orders
    coded = _new(domain, "Q1")
    _code(domain, coded, "atm")
    orders.settle(TENANT, coded)
    orders.refund(TENANT, coded, 100)  # paid by its code
    direct = _new(domain, "Q2")
    orders.pay_direct(TENANT, direct, "atm")
    orders.refund(TENANT, direct, 200)  # paid at once, no code
    lapsed = _new(domain, "Q3")
    _code(domain, lapsed, "atm")
    orders.expire(TENANT, lapsed)
    orders.expire(TENANT, _new(domain, "Q4", ["atm"]))
    assert gateway_methods(domain.store, TENANT) == [
        _row("atm", 0.5, volume=4, paid=2, expired=2, expired_codes=1, amount=1000,
             refunds=2, refunded_amount=300)]


def _payment(domain: Domain, amount: int, currency: str = "usd", **params: Any) -> str:
    try:
        return domain.payments.create(TENANT, "stripe", {"amount": amount,
                                                         "currency": currency, **params})["id"]
    except CardDeclined as declined:
        return str(declined.context["payment"])


def test_card_api_payments_count_in_their_currencys_units(domain: Domain) -> None:
    visa = {"payment_method": "pm_card_visa", "confirm": True}
    first, second = _payment(domain, 2000, **visa), _payment(domain, 1000, **visa)
    for payment, amount in ((first, 500), (second, 100), (second, 200)):
        domain.refunds.create(TENANT, {"payment": payment, "amount": amount})
    _payment(domain, 3000, payment_method="pm_card_chargeDeclined", confirm=True)
    _payment(domain, 1500, capture_method="manual", **visa)  # held
    _payment(domain, 900)  # no method yet: open
    _payment(domain, 950, payment_method="pm_card_visa")  # not confirmed yet: open too
    domain.payments.cancel(TENANT, _payment(domain, 800))
    _payment(domain, 500, "jpy", **visa)
    # an order on the same gateway, method and currency shares the row
    order = domain.orders.create(TENANT, "stripe", merchant_order_no="S1", amount=700,
                                 currency="USD", methods=["card"])["id"]
    _card(domain, order)
    domain.orders.refund(TENANT, order, 300)
    base = {"gateway": "stripe", "method": "card", **ZERO}
    assert gateway_methods(domain.store, TENANT) == [
        {**base, "currency": "jpy", "decimals": 0, "volume": 1, "paid": 1, "amount": 500,
         "success_rate": 1.0},
        {**base, "currency": "usd", "decimals": 2, "volume": 8, "paid": 3, "authorized": 1,
         "open": 2, "failed": 1, "canceled": 1, "declines": 1, "amount": 3700, "refunds": 4,
         "refunded_amount": 1100, "success_rate": 0.8},
    ]
