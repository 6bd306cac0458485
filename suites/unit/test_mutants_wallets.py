"""Mutation-testing kills for the orders service's wallet payments (approve, confirm,
abandon, late approvals, fraud rules on the wallet account), the wallet fields `create`
stores, and named refunds: exact events with their request, exact errors, exact fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from paylab.simulator.core.cards import Behaviour, behaviour_doc
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.origin import Origin
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt, Decision
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT
from paylab.suites.unit.orders_kit import ASKED, REQ, events, last, refused

ACCOUNT = {"id": "buyer-1", "funding": "balance", "country": "JP", "email": "b@example.com"}
EXPIRED = "The approval window has expired."


def _wallet(domain: Domain, no: str = "W1", window: float | None = 600,
            **kw: Any) -> str:
    """A wallet order of 500 TWD on gateway `w`, its approval window `window` seconds."""
    expires = None if window is None else domain.clock.now() + window
    return domain.orders.create(TENANT, "w", merchant_order_no=no, amount=500,
                                currency="TWD", methods=kw.pop("methods", ["wallet"]),
                                expires_at=expires, **kw)["id"]


def _approved(domain: Domain, no: str = "W1", **kw: Any) -> str:
    oid = _wallet(domain, no, **kw)
    domain.orders.approve(TENANT, oid, account=ACCOUNT)
    return oid


def _stored(domain: Domain, oid: str) -> dict[str, Any]:
    return domain.orders.get(TENANT, oid)


def _timers(domain: Domain) -> list[tuple[str, str, dict[str, Any]]]:
    return [(t.kind, t.ref, t.payload) for t in domain.timers.due()]


# -- create: the wallet's fields ------------------------------------------------------------
def test_create_stores_the_window_and_the_wallet_flags(domain: Domain) -> None:
    start = domain.clock.now()
    oid = domain.orders.create(TENANT, "w", merchant_order_no="W1", amount=1250,
                               currency="USD", methods=["wallet"], expires_at=start + 60.7,
                               capture=False, confirm=False, decimals=2, origin=REQ)["id"]
    doc = _stored(domain, oid)
    assert (doc["expires_at"], doc["capture"], doc["confirm"], doc["decimals"]) == (
        int(start + 60.7), False, False, 2)
    assert isinstance(doc["expires_at"], int)
    assert events(domain) == [("order.created", None, ASKED)]
    domain.advance_clock(60.6)
    assert _timers(domain) == []
    domain.advance_clock(0.1)
    assert _timers(domain) == [("expire_order", oid, {})]


def test_create_defaults_capture_and_confirm_and_whole_units(domain: Domain) -> None:
    doc = _stored(domain, _wallet(domain, window=None))
    assert (doc["expires_at"], doc["capture"], doc["confirm"]) == (None, True, True)
    assert "decimals" not in doc
    domain.advance_clock(10**7)
    assert _timers(domain) == []


@pytest.mark.parametrize("window", [0, -1])
def test_create_refuses_a_window_not_in_the_future_and_keeps_nothing(domain: Domain,
                                                                     window: float) -> None:
    err = refused(InvalidRequest, "expiry_invalid", "An order must expire in the future.",
                  _wallet, domain, window=window)
    assert err.param == "expires_at"
    assert domain.orders.find_by_merchant_order(TENANT, "W1") is None
    assert events(domain) == []


# -- approve ----------------------------------------------------------------------------------
def test_approve_records_the_account_and_the_request(domain: Domain) -> None:
    oid = _wallet(domain)
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=REQ)
    assert (doc["status"], doc["method"], doc["wallet"], doc["failure"]) == (
        "approved", "wallet", ACCOUNT, None)
    assert doc["wallet"] is not ACCOUNT  # a copy: the caller's dict is not kept
    assert _stored(domain, oid)["status"] == "approved"
    assert last(domain) == ("order.approved", {"status": "created"}, ASKED)


@pytest.mark.parametrize(("capture", "status", "kind"), [(True, "paid", "order.paid"),
                                                         (False, "authorized",
                                                          "order.authorized")])
def test_approve_without_confirmation_moves_the_money_with_the_request(
        domain: Domain, capture: bool, status: str, kind: str) -> None:
    oid = _wallet(domain, confirm=False, capture=capture)
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=REQ)
    assert (doc["status"], doc["authorized_amount"], doc["authorized_at"]) == (
        status, 500, int(domain.clock.now()))
    assert last(domain) == (kind, {"status": "created"}, ASKED)


@pytest.mark.parametrize("confirm", [True, False])
def test_a_declining_override_fails_the_approval_with_the_request(domain: Domain,
                                                                  confirm: bool) -> None:
    oid = _wallet(domain, confirm=confirm)
    with pytest.raises(CardDeclined) as err:
        domain.orders.approve(TENANT, oid, account=ACCOUNT,
                              origin=replace(REQ, override=Behaviour(outcome="decline")))
    assert err.value.context["decline_code"] == "generic_decline"
    assert _stored(domain, oid)["failure"] == {
        "code": "declined", "decline_code": "generic_decline",
        "message": "Your card was declined.", "rule": None}
    assert last(domain) == ("order.failed", {"status": "created"}, ASKED)


def test_a_blocking_override_fails_an_order_that_waits_for_confirmation(domain: Domain) -> None:
    oid = _wallet(domain)
    with pytest.raises(CardDeclined) as err:
        domain.orders.approve(TENANT, oid, account=ACCOUNT,
                              origin=replace(REQ, override=Behaviour(outcome="block")))
    assert err.value.context["decline_code"] == "fraudulent"
    doc = _stored(domain, oid)
    assert (doc["status"], doc["failure"]["decline_code"]) == ("failed", "fraudulent")
    assert [kind for kind, _, _ in events(domain)] == ["order.created", "order.failed"]


def test_a_late_approval_is_pending_until_due_then_arrives(domain: Domain) -> None:
    oid = _wallet(domain)
    start = domain.clock.now()
    late = Behaviour(outcome="processing", delay=30)
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT,
                                origin=replace(REQ, override=late))
    pending = {"status": "pending", "due": int(start) + 30}
    assert (doc["status"], doc["approval"], doc["wallet"]) == ("created", pending, ACCOUNT)
    assert _stored(domain, oid)["approval"] == pending
    assert events(domain) == [("order.created", None, {"id": None, "idempotency_key": None})]
    domain.advance_clock(30)
    assert _timers(domain) == [("approve_order", oid, {"then": behaviour_doc(Behaviour())})]
    Scheduler(domain).fire_due()
    doc = _stored(domain, oid)
    assert (doc["status"], doc["approval"]) == ("approved",
                                                {"status": "arrived", "due": int(start) + 30})
    assert last(domain) == ("order.approved", {"status": "created"},
                            {"id": None, "idempotency_key": None})


def test_a_second_approval_while_one_is_on_its_way_is_refused(domain: Domain) -> None:
    oid = _wallet(domain)
    domain.orders.approve(TENANT, oid, account=ACCOUNT,
                          origin=Origin(override=Behaviour(outcome="processing", delay=30)))
    refused(InvalidState, "order_not_payable", "The order is created and cannot be approved.",
            domain.orders.approve, TENANT, oid, account={"id": "other"})
    assert _stored(domain, oid)["wallet"] == ACCOUNT


def test_a_late_approval_skips_orders_no_longer_waiting_for_it(domain: Domain) -> None:
    payload = {"then": behaviour_doc(Behaviour())}
    domain.orders.approve_due(TENANT, "ord_missing", payload)  # gone: nothing to do
    oid = _wallet(domain)
    domain.orders.approve(TENANT, oid, account=ACCOUNT,
                          origin=Origin(override=Behaviour(outcome="processing", delay=30)))
    domain.orders.abandon(TENANT, oid)
    domain.orders.approve_due(TENANT, oid, payload)
    doc = _stored(domain, oid)
    assert (doc["status"], doc["approval"]["status"]) == ("canceled", "pending")
    unasked = _wallet(domain, "W2")  # never approved: no approval on its way
    domain.orders.approve_due(TENANT, unasked, payload)
    assert _stored(domain, unasked)["status"] == "created"


def test_a_paid_order_cannot_be_approved(domain: Domain) -> None:
    oid = _approved(domain, confirm=False)
    refused(InvalidState, "order_not_payable", "The order is paid and cannot be approved.",
            domain.orders.approve, TENANT, oid, account=ACCOUNT)


def test_a_wallet_not_offered_is_refused_exactly(domain: Domain) -> None:
    oid = _wallet(domain, methods=["card"], window=None)
    err = refused(InvalidRequest, "method_not_offered", "A wallet is not offered for this order.",
                  domain.orders.approve, TENANT, oid, account=ACCOUNT)
    assert err.param == "method"
    assert _stored(domain, oid)["method"] is None


def test_an_order_without_a_window_is_approved_whenever(domain: Domain) -> None:
    oid = _wallet(domain, window=None)
    domain.advance_clock(10**7)
    assert domain.orders.approve(TENANT, oid, account=ACCOUNT)["status"] == "approved"


@pytest.mark.parametrize("past", [0, 1])
def test_an_approval_at_or_after_the_window_is_refused(domain: Domain, past: int) -> None:
    oid = _wallet(domain, window=60)
    domain.advance_clock(60 + past)  # the expiry timer has not fired yet
    refused(InvalidState, "order_expired", EXPIRED,
            domain.orders.approve, TENANT, oid, account=ACCOUNT)
    assert _stored(domain, oid)["status"] == "created"


# -- confirm ----------------------------------------------------------------------------------
def test_confirm_records_the_request(domain: Domain) -> None:
    oid = _approved(domain)
    domain.orders.confirm(TENANT, oid, amount=500, currency="twd", origin=REQ)
    assert last(domain) == ("order.paid", {"status": "approved"}, ASKED)


def test_confirm_before_approval_is_refused_exactly(domain: Domain) -> None:
    oid = _wallet(domain)
    refused(InvalidState, "order_not_approved",
            "The order is created, not approved and waiting for confirmation.",
            domain.orders.confirm, TENANT, oid, amount=500, currency="TWD")


@pytest.mark.parametrize(("amount", "currency"), [(499, "TWD"), (500, "USD")])
def test_confirm_for_another_amount_is_refused_exactly(domain: Domain, amount: int,
                                                       currency: str) -> None:
    oid = _approved(domain)
    err = refused(InvalidRequest, "amount_mismatch",
                  "The amount or currency differs from the order's.",
                  domain.orders.confirm, TENANT, oid, amount=amount, currency=currency)
    assert err.param == "amount"
    assert _stored(domain, oid)["status"] == "approved"


@pytest.mark.parametrize("past", [0, 1])
def test_confirm_at_or_after_the_window_expires_the_order(domain: Domain, past: int) -> None:
    oid = _approved(domain, window=60)
    domain.advance_clock(60 + past)  # the expiry timer has not fired yet
    refused(InvalidState, "order_expired", EXPIRED,
            domain.orders.confirm, TENANT, oid, amount=500, currency="TWD", origin=REQ)
    assert _stored(domain, oid)["status"] == "expired"
    assert last(domain) == ("order.expired", {"status": "approved"}, ASKED)


def test_confirm_just_inside_the_window_pays(domain: Domain) -> None:
    oid = _approved(domain, window=60)
    domain.advance_clock(59.5)
    assert domain.orders.confirm(TENANT, oid, amount=500, currency="TWD")["status"] == "paid"


def test_a_declining_confirmation_fails_with_the_request(domain: Domain) -> None:
    oid = _approved(domain)
    with pytest.raises(CardDeclined):
        domain.orders.confirm(TENANT, oid, amount=500, currency="TWD",
                              origin=replace(REQ, override=Behaviour(outcome="decline")))
    assert _stored(domain, oid)["status"] == "failed"
    assert last(domain) == ("order.failed", {"status": "approved"}, ASKED)


# -- abandon ----------------------------------------------------------------------------------
@pytest.mark.parametrize("approve", [False, True])
def test_abandon_cancels_a_waiting_order_with_the_request(domain: Domain, approve: bool) -> None:
    oid = _approved(domain) if approve else _wallet(domain)
    was = "approved" if approve else "created"
    assert domain.orders.abandon(TENANT, oid, origin=REQ)["status"] == "canceled"
    assert _stored(domain, oid)["status"] == "canceled"
    assert last(domain) == ("order.canceled", {"status": was}, ASKED)


def test_abandon_of_a_paid_order_is_refused_exactly(domain: Domain) -> None:
    oid = _approved(domain, confirm=False)
    refused(InvalidState, "order_not_pending", "The order is paid and cannot be cancelled.",
            domain.orders.abandon, TENANT, oid)
    assert _stored(domain, oid)["status"] == "paid"


# -- fraud rules on the wallet account --------------------------------------------------------
class Rules:
    """A fraud assessor that records what it saw and answers with one decision."""

    def __init__(self, decision: Decision | None) -> None:
        self.decision = decision
        self.seen: list[Attempt] = []

    def assess(self, attempt: Attempt) -> Decision | None:
        self.seen.append(attempt)
        return self.decision


def _rules(domain: Domain, action: str | None) -> Rules:
    rules = Rules(Decision(action, "rule_w", 85, "highest") if action else None)
    domain.payments.risk = rules  # the orders service reads the payments' rules
    return rules


def test_the_fraud_rules_see_the_wallet_account(domain: Domain) -> None:
    rules = _rules(domain, None)
    client = Client(ip="203.0.113.7", gateway="w")
    oid = _wallet(domain)
    domain.advance_clock(5)
    doc = domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=Origin(client=client))
    assert rules.seen == [Attempt(TENANT, 500, "twd", "buyer-1", "", "JP", "b@example.com",
                                  client, domain.clock.now())]
    assert doc["status"] == "approved"


def test_an_account_without_id_or_details_reaches_the_rules_as_blanks(domain: Domain) -> None:
    rules = _rules(domain, None)
    oid = _wallet(domain)
    domain.orders.approve(TENANT, oid, account={"funding": "balance"})
    assert rules.seen == [Attempt(TENANT, 500, "twd", "", "", None, None, Client(),
                                  domain.clock.now())]


@pytest.mark.parametrize("action", ["block", "decline"])
def test_a_fraud_rule_blocks_the_approval(domain: Domain, action: str) -> None:
    _rules(domain, action)
    oid = _wallet(domain)
    with pytest.raises(CardDeclined) as err:
        domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=REQ)
    assert err.value.context["decline_code"] == "fraudulent"
    assert _stored(domain, oid)["failure"] == {
        "code": "declined", "decline_code": "fraudulent",
        "message": "Your card was declined.", "rule": "rule_w"}
    assert last(domain) == ("order.failed", {"status": "created"}, ASKED)


@pytest.mark.parametrize("action", ["review", "require_3ds"])
def test_a_review_or_a_3ds_verdict_lets_the_wallet_approve(domain: Domain, action: str) -> None:
    _rules(domain, action)
    oid = _wallet(domain)
    assert domain.orders.approve(TENANT, oid, account=ACCOUNT)["status"] == "approved"
    assert _stored(domain, oid)["failure"] is None


def test_a_review_keeps_the_scenarios_decline_and_names_the_rule(domain: Domain) -> None:
    _rules(domain, "review")
    oid = _wallet(domain)
    low = Behaviour(outcome="decline", code="card_declined", decline_code="insufficient_funds",
                    message="Low balance.")
    with pytest.raises(CardDeclined):
        domain.orders.approve(TENANT, oid, account=ACCOUNT, origin=Origin(override=low))
    assert _stored(domain, oid)["failure"] == {
        "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Low balance.", "rule": "rule_w"}


# -- named refunds ------------------------------------------------------------------------------
def test_a_named_refund_reused_for_another_amount_is_refused_exactly(domain: Domain) -> None:
    oid = _approved(domain, confirm=False)
    domain.orders.refund(TENANT, oid, 100, reference="R1")
    err = refused(InvalidRequest, "refund_reference_reused", "Refund R1 was for 100, not 50.",
                  domain.orders.refund, TENANT, oid, 50, reference="R1")
    assert err.param == "reference"
    assert _stored(domain, oid)["refunded_amount"] == 100
