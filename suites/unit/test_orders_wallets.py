"""The orders service's wallet payments: approval, the merchant's confirmation, abandonment,
the approval window on the virtual clock, late approvals, declines and named refunds."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.origin import Origin
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT

ACCOUNT = {"id": "buyer-1", "funding": "balance", "country": "TW"}


def _wallet(domain: Domain, no: str = "W1", amount: int = 500, window: float | None = 1200,
            **kw: Any) -> dict[str, Any]:
    expires = None if window is None else domain.clock.now() + window
    return domain.orders.create(TENANT, "w", merchant_order_no=no, amount=amount,
                                currency="TWD", methods=["wallet"], expires_at=expires, **kw)


def _kinds(domain: Domain) -> list[str]:
    return [e["type"] for e in reversed(domain.events.page(TENANT, limit=100)[0])]


def _status(domain: Domain, oid: str) -> str:
    return domain.orders.get(TENANT, oid)["status"]


def test_approve_then_confirm_pays_exactly_once(domain: Domain) -> None:
    oid = _wallet(domain)["id"]
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT)
    assert (doc["status"], doc["method"], doc["wallet"]) == ("approved", "wallet", ACCOUNT)
    doc = domain.orders.confirm(TENANT, oid, amount=500, currency="TWD")
    assert (doc["status"], doc["captured_amount"]) == ("paid", 500)
    with pytest.raises(InvalidState) as again:
        domain.orders.confirm(TENANT, oid, amount=500, currency="TWD")
    assert again.value.code == "order_not_approved"
    assert _kinds(domain) == ["order.created", "order.approved", "order.paid"]


def test_a_wallet_without_confirmation_pays_on_approval(domain: Domain) -> None:
    oid = _wallet(domain, confirm=False)["id"]
    assert domain.orders.approve(TENANT, oid, account=ACCOUNT)["status"] == "paid"
    assert _kinds(domain) == ["order.created", "order.paid"]


def test_capture_false_authorises_then_captures_or_voids(domain: Domain) -> None:
    first = _wallet(domain, "A", capture=False)["id"]
    domain.orders.approve(TENANT, first, account=ACCOUNT)
    assert domain.orders.confirm(TENANT, first, amount=500, currency="twd")["status"] == \
        "authorized"
    assert domain.orders.capture(TENANT, first, 300)["captured_amount"] == 300
    second = _wallet(domain, "B", capture=False, confirm=False)["id"]
    assert domain.orders.approve(TENANT, second, account=ACCOUNT)["status"] == "authorized"
    assert domain.orders.void(TENANT, second)["status"] == "canceled"


@pytest.mark.parametrize(("amount", "currency"), [(499, "TWD"), (500, "JPY"), (True, "TWD"),
                                                  ("500", "TWD")])
def test_confirm_with_another_amount_changes_nothing(domain: Domain, amount: Any,
                                                     currency: str) -> None:
    oid = _wallet(domain)["id"]
    domain.orders.approve(TENANT, oid, account=ACCOUNT)
    with pytest.raises(InvalidRequest) as err:
        domain.orders.confirm(TENANT, oid, amount=amount, currency=currency)
    assert err.value.code == "amount_mismatch"
    assert _status(domain, oid) == "approved"
    assert domain.orders.confirm(TENANT, oid, amount=500, currency="TWD")["status"] == "paid"


def test_the_approval_window_expires_on_the_virtual_clock(domain: Domain) -> None:
    scheduler = Scheduler(domain)
    waiting = _wallet(domain, "A", window=600)["id"]
    approved = _wallet(domain, "B", window=600)["id"]
    domain.orders.approve(TENANT, approved, account=ACCOUNT)
    domain.advance_clock(599)
    scheduler.fire_due()
    assert (_status(domain, waiting), _status(domain, approved)) == ("created", "approved")
    domain.advance_clock(2)
    scheduler.fire_due()
    assert (_status(domain, waiting), _status(domain, approved)) == ("expired", "expired")
    with pytest.raises(InvalidState):
        domain.orders.approve(TENANT, waiting, account=ACCOUNT)


def test_confirm_after_the_window_expires_the_order_and_refuses(domain: Domain) -> None:
    oid = _wallet(domain, window=60)["id"]
    domain.orders.approve(TENANT, oid, account=ACCOUNT)
    domain.advance_clock(61)  # the timer has not fired yet
    with pytest.raises(InvalidState) as err:
        domain.orders.confirm(TENANT, oid, amount=500, currency="TWD")
    assert err.value.code == "order_expired"
    assert _status(domain, oid) == "expired"


def test_a_paid_wallet_order_never_expires(domain: Domain) -> None:
    oid = _wallet(domain, window=60, confirm=False)["id"]
    domain.orders.approve(TENANT, oid, account=ACCOUNT)
    domain.advance_clock(120)
    Scheduler(domain).fire_due()
    assert _status(domain, oid) == "paid"


def test_abandon_cancels_and_blocks_approval(domain: Domain) -> None:
    oid = _wallet(domain)["id"]
    assert domain.orders.abandon(TENANT, oid)["status"] == "canceled"
    with pytest.raises(InvalidState):
        domain.orders.approve(TENANT, oid, account=ACCOUNT)
    with pytest.raises(InvalidState):
        domain.orders.abandon(TENANT, oid)
    assert _kinds(domain)[-1] == "order.canceled"


def test_a_declining_override_fails_the_approval(domain: Domain) -> None:
    oid = _wallet(domain)["id"]
    low = Behaviour(outcome="decline", code="card_declined", decline_code="insufficient_funds",
                    message="Low balance.")
    with pytest.raises(CardDeclined) as err:
        domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=Origin(override=low))
    assert err.value.context["decline_code"] == "insufficient_funds"
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["failure"]["decline_code"]) == ("failed", "insufficient_funds")


def test_a_late_approval_lands_after_its_delay(domain: Domain) -> None:
    oid = _wallet(domain)["id"]
    late = Behaviour(outcome="processing", delay=30)
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=Origin(override=late))
    assert (doc["status"], doc["approval"]["status"]) == ("created", "pending")
    scheduler = Scheduler(domain)
    domain.advance_clock(29)
    scheduler.fire_due()
    assert _status(domain, oid) == "created"
    domain.advance_clock(2)
    scheduler.fire_due()
    assert _status(domain, oid) == "approved"
    with pytest.raises(InvalidState):  # a second approval while one is on its way
        domain.orders.approve(TENANT, oid, account=ACCOUNT)


def test_a_wallet_is_only_approved_when_offered(domain: Domain) -> None:
    oid = domain.orders.create(TENANT, "w", merchant_order_no="C", amount=5, currency="TWD",
                               methods=["card"])["id"]
    with pytest.raises(InvalidRequest) as err:
        domain.orders.approve(TENANT, oid, account=ACCOUNT)
    assert err.value.code == "method_not_offered"


def test_a_named_refund_is_applied_once(domain: Domain) -> None:
    oid = _wallet(domain, confirm=False)["id"]
    domain.orders.approve(TENANT, oid, account=ACCOUNT)
    domain.orders.refund(TENANT, oid, 100, reference="R1")
    assert domain.orders.refund(TENANT, oid, 100, reference="R1")["refunded_amount"] == 100
    with pytest.raises(InvalidRequest) as err:
        domain.orders.refund(TENANT, oid, 50, reference="R1")
    assert err.value.code == "refund_reference_reused"
    doc = domain.orders.refund(TENANT, oid, reference="R2")
    assert doc["refunded_amount"] == 500
    assert [(r["reference"], r["amount"]) for r in doc["refunds"]] == [("R1", 100), ("R2", 400)]
    assert _kinds(domain).count("order.refunded") == 2


def test_an_expiry_in_the_past_is_refused(domain: Domain) -> None:
    with pytest.raises(InvalidRequest):
        _wallet(domain, window=0)


def test_the_figures_count_an_order_in_the_units_its_adapter_gave(domain: Domain) -> None:
    from paylab.simulator.core import kpis

    cents = domain.orders.create(TENANT, "usd-wallet", merchant_order_no="U1", amount=1250,
                                 currency="USD", methods=["wallet"], confirm=False,
                                 decimals=2)["id"]
    domain.orders.approve(TENANT, cents, account=ACCOUNT)
    whole = _wallet(domain, "T1", confirm=False)["id"]
    domain.orders.approve(TENANT, whole, account=ACCOUNT)
    rows = {r["gateway"]: r for r in kpis.gateway_methods(domain.store)}
    assert (rows["usd-wallet"]["decimals"], rows["usd-wallet"]["amount"]) == (2, 1250)
    assert (rows["w"]["decimals"], rows["w"]["amount"]) == (0, 500)
