"""The payment transition table and the operations that move along it."""

from __future__ import annotations

import itertools

import pytest
from paylab.simulator.core import lifecycle
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.suites.unit.conftest import TENANT

STATUSES = tuple(lifecycle.TRANSITIONS)


def test_terminal_statuses_have_no_way_out() -> None:
    assert lifecycle.TRANSITIONS["succeeded"] == frozenset()
    assert lifecycle.TRANSITIONS["canceled"] == frozenset()


def test_every_target_is_a_known_status() -> None:
    for source, targets in lifecycle.TRANSITIONS.items():
        assert targets <= set(STATUSES), source


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_check_transition_matches_the_table(source: str, target: str) -> None:
    if target in lifecycle.TRANSITIONS[source]:
        lifecycle.check_transition(source, target)
    else:
        with pytest.raises(InvalidState):
            lifecycle.check_transition(source, target)


def new(domain: Domain, **params) -> dict:
    base = {"amount": 2000, "currency": "usd"}
    return domain.payments.create(TENANT, "stripe", {**base, **params})


def reach(domain: Domain, status: str) -> dict:
    """A payment in `status`, reached through the public operations."""
    if status == "needs_method":
        return new(domain)
    if status == "needs_confirmation":
        return new(domain, payment_method="pm_card_visa")
    if status == "needs_action":
        return new(domain, payment_method="pm_card_threeDSecure2Required", confirm=True)
    if status == "authorized":
        return new(domain, payment_method="pm_card_visa", confirm=True, capture_method="manual")
    if status == "succeeded":
        return new(domain, payment_method="pm_card_visa", confirm=True)
    if status == "canceled":
        return domain.payments.cancel(TENANT, new(domain)["id"])
    raise AssertionError(status)


REACHABLE = [s for s in STATUSES if s != "pending"]
OPERATIONS = {
    "confirm": (lifecycle.CONFIRMABLE,
                lambda d, pid: d.payments.confirm(TENANT, pid, {"payment_method": "pm_card_visa"})),
    "capture": (lifecycle.CAPTURABLE, lambda d, pid: d.payments.capture(TENANT, pid)),
    "cancel": (lifecycle.CANCELABLE, lambda d, pid: d.payments.cancel(TENANT, pid)),
}


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_operations_run_exactly_from_their_allowed_statuses(domain: Domain, status: str,
                                                            operation: str) -> None:
    allowed, run = OPERATIONS[operation]
    pay = reach(domain, status)
    assert pay["status"] == status
    if status in allowed:
        after = run(domain, pay["id"])
        assert after["status"] in lifecycle.TRANSITIONS[status]
    else:
        with pytest.raises(InvalidState) as caught:
            run(domain, pay["id"])
        assert caught.value.code == "invalid_state"
        assert domain.payments.get(TENANT, pay["id"])["status"] == status  # nothing changed


def test_automatic_capture_succeeds_with_a_charge(domain: Domain) -> None:
    pay = new(domain, payment_method="pm_card_visa", confirm=True)
    charge = domain.charges.get(TENANT, pay["latest_charge"])
    assert pay["status"] == "succeeded" and pay["amount_received"] == 2000
    assert charge["captured"] and charge["amount_captured"] == 2000


def test_partial_capture_releases_the_rest(domain: Domain) -> None:
    pay = new(domain, payment_method="pm_card_visa", confirm=True, capture_method="manual")
    assert pay["amount_capturable"] == 2000
    pay = domain.payments.capture(TENANT, pay["id"], 1500)
    charge = domain.charges.get(TENANT, pay["latest_charge"])
    assert (pay["status"], pay["amount_received"], pay["amount_capturable"]) == (
        "succeeded", 1500, 0)
    assert (charge["amount_captured"], charge["amount_refunded"]) == (1500, 500)


def test_capture_more_than_authorised_is_refused(domain: Domain) -> None:
    pay = new(domain, payment_method="pm_card_visa", confirm=True, capture_method="manual")
    with pytest.raises(InvalidRequest) as caught:
        domain.payments.capture(TENANT, pay["id"], 2001)
    assert caught.value.code == "amount_too_large"


def test_decline_is_persisted_and_reported(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as caught:
        new(domain, payment_method="pm_card_chargeDeclinedInsufficientFunds", confirm=True)
    pay = domain.payments.get(TENANT, caught.value.context["payment"]["id"])
    assert pay["status"] == "needs_method"
    assert pay["last_payment_error"]["decline_code"] == "insufficient_funds"
    assert pay["payment_method"] is None
    assert domain.charges.get(TENANT, pay["latest_charge"])["status"] == "failed"


def test_a_declined_payment_can_be_retried_with_another_card(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as caught:
        new(domain, payment_method="pm_card_chargeDeclined", confirm=True)
    pid = caught.value.context["payment"]["id"]
    pay = domain.payments.confirm(TENANT, pid, {"payment_method": "pm_card_visa"})
    assert pay["status"] == "succeeded" and pay["last_payment_error"] is None


def test_three_d_secure_pass_and_fail(domain: Domain) -> None:
    passed = reach(domain, "needs_action")
    assert domain.payments.authenticate(TENANT, passed["id"], "passed")["status"] == "succeeded"
    failed = reach(domain, "needs_action")
    after = domain.payments.authenticate(TENANT, failed["id"], "failed")
    assert after["status"] == "needs_method"
    error = after["last_payment_error"]
    assert (error["category"], error["code"], error["message"]) == (
        "authentication_failed", "authentication_failed", "3-D Secure failed.")


def test_three_d_secure_then_decline_card(domain: Domain) -> None:
    pay = new(domain, payment_method_data={"type": "card", "card": {
        "number": "4000008400001629", "exp_month": 12, "exp_year": 2030}}, confirm=True)
    assert pay["status"] == "needs_action"
    with pytest.raises(CardDeclined):
        domain.payments.authenticate(TENANT, pay["id"], "passed")
    assert domain.payments.get(TENANT, pay["id"])["status"] == "needs_method"


def test_cancel_of_an_authorisation_refunds_the_hold(domain: Domain) -> None:
    pay = reach(domain, "authorized")
    pay = domain.payments.cancel(TENANT, pay["id"], "requested_by_customer")
    charge = domain.charges.get(TENANT, pay["latest_charge"])
    assert pay["cancellation_reason"] == "requested_by_customer"
    assert charge["refunded"] and charge["amount_refunded"] == 2000


def test_amount_cannot_change_after_success(domain: Domain) -> None:
    pay = reach(domain, "succeeded")
    with pytest.raises(InvalidState):
        domain.payments.update(TENANT, pay["id"], {"amount": 100})
    updated = domain.payments.update(TENANT, pay["id"], {"metadata": {"k": "v"}})
    assert updated["metadata"] == {"k": "v"}


@pytest.mark.parametrize(("amount", "currency", "code"), [
    (49, "usd", "amount_too_small"), (999, "twd", "amount_too_small"),
    (100_000_000, "usd", "amount_too_large"),
])
def test_amount_limits_follow_the_currency(domain: Domain, amount: int, currency: str,
                                           code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        new(domain, amount=amount, currency=currency)
    assert caught.value.code == code


def test_events_follow_each_transition(domain: Domain) -> None:
    pay = new(domain, payment_method="pm_card_visa", confirm=True, capture_method="manual")
    domain.payments.capture(TENANT, pay["id"])
    docs, _ = domain.events.page(TENANT, limit=100)
    assert [d["type"] for d in reversed(docs)] == [
        "payment.created", "charge.succeeded",
        "payment.authorized", "charge.captured",
        "payment.succeeded",
    ]
