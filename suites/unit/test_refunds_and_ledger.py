"""Refund rules and the ledger computed from stored state."""

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.ledger import ledger
from paylab.suites.unit.conftest import TENANT


def paid(domain: Domain, amount: int = 2000) -> dict:
    return domain.payments.create(TENANT, "stripe", {
        "amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})


def test_partial_refunds_add_up_to_the_captured_amount(domain: Domain) -> None:
    pay = paid(domain)
    domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 500})
    domain.refunds.create(TENANT, {"charge": pay["latest_charge"], "amount": 1500})
    charge = domain.charges.get(TENANT, pay["latest_charge"])
    assert charge["amount_refunded"] == 2000 and charge["refunded"]
    with pytest.raises(InvalidRequest) as caught:
        domain.refunds.create(TENANT, {"payment": pay["id"]})
    assert caught.value.code == "already_refunded"


def test_over_refund_is_refused_and_changes_nothing(domain: Domain) -> None:
    pay = paid(domain)
    with pytest.raises(InvalidRequest) as caught:
        domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 2001})
    assert caught.value.code == "amount_too_large" and caught.value.param == "amount"
    assert domain.charges.get(TENANT, pay["latest_charge"])["amount_refunded"] == 0
    assert domain.refunds.page(TENANT, payment=pay["id"])[0] == []


def test_refund_needs_a_captured_charge(domain: Domain) -> None:
    pay = domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    with pytest.raises(InvalidRequest) as caught:
        domain.refunds.create(TENANT, {"payment": pay["id"]})
    assert caught.value.code == "not_refundable"


def test_refund_needs_exactly_one_target(domain: Domain) -> None:
    with pytest.raises(InvalidRequest):
        domain.refunds.create(TENANT, {})
    pay = paid(domain)
    with pytest.raises(InvalidRequest):
        domain.refunds.create(TENANT, {"payment": pay["id"],
                                       "charge": pay["latest_charge"]})


def test_ledger_is_the_sum_of_stored_state(domain: Domain) -> None:
    first, second = paid(domain, 2000), paid(domain, 3000)
    domain.refunds.create(TENANT, {"payment": first["id"], "amount": 700})
    held = domain.payments.create(TENANT, "stripe", {
        "amount": 900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual"})
    book = ledger(domain.objects, TENANT)
    rows = {row["id"]: row for row in book["payments"]}
    assert rows[first["id"]]["refunded"] == 700 and rows[second["id"]]["refunded"] == 0
    assert rows[held["id"]]["authorized"] == 900 and rows[held["id"]]["captured"] == 0
    assert book["totals"]["usd"] == {"authorized": 5900, "captured": 5000, "refunded": 700}
    assert ledger(domain.objects, "acct_other")["payments"] == []


def test_released_part_of_a_partial_capture_does_not_eat_the_refundable_amount(
        domain: Domain) -> None:
    pay = domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual"})
    domain.payments.capture(TENANT, pay["id"], 1500)
    domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 1500})
    charge = domain.charges.get(TENANT, pay["latest_charge"])
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, True)
    with pytest.raises(InvalidRequest):
        domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 1})
