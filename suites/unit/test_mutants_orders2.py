"""Mutation-testing kills for the orders service, second part: codes (issue, settle, expire,
fail, the timers' late payments) and card payments (3-D Secure, fraud rules, declines)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from paylab.simulator.core.cards import Behaviour, behaviour_doc
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, CoreError, InvalidRequest, InvalidState
from paylab.simulator.core.orders import DailyClose
from paylab.simulator.core.origin import Origin
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt, Decision
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT
from paylab.suites.unit.orders_kit import (
    ASKED,
    REQ,
    authorized,
    coded,
    east_of_utc,
    last,
    order,
    paid_by_webatm,
    refused,
)


# -- codes --------------------------------------------------------------------------------
def test_codes_have_a_default_bank_and_prefix(domain: Domain) -> None:
    assert domain.orders.get(TENANT, coded(domain, "atm"))["code"]["bank_code"] == "812"
    no = domain.orders.get(TENANT, coded(domain, "cvs", "C2"))["code"]["payment_no"]
    assert no.startswith("PL") and no[2:].isdigit()


def test_issuing_a_code_schedules_its_expiry_and_records_the_request(domain: Domain) -> None:
    oid = coded(domain, after=60, origin=REQ)
    assert last(domain) == ("order.code_issued", {"status": "created"}, ASKED)
    domain.advance_clock(60)
    assert [(t.kind, t.ref, t.payload) for t in domain.timers.due()] == [
        ("expire_order", oid, {})]


@pytest.mark.parametrize(("method", "expires", "error", "code", "message", "param"), [
    ("webatm", 60, InvalidRequest, "method_invalid", "webatm does not issue a code.", "method"),
    ("card", 60, InvalidRequest, "method_invalid", "card does not issue a code.", "method"),
    ("barcode", 60, InvalidRequest, "method_not_offered",
     "barcode is not offered for this order.", "method"),
    ("atm", 0, InvalidRequest, "expiry_invalid", "A code must expire in the future.",
     "expires_at"),
])
def test_code_requests_are_refused_exactly(domain: Domain, method: str, expires: float,
                                           error: type[CoreError], code: str, message: str,
                                           param: str) -> None:
    oid = order(domain, methods=["card", "atm", "webatm"])["id"]
    err = refused(error, code, message, domain.orders.issue_code, TENANT, oid, method,
                   expires_at=domain.clock.now() + expires)
    assert err.param == param
    assert domain.orders.get(TENANT, oid)["status"] == "created"


def test_a_paid_order_takes_no_code(domain: Domain) -> None:
    oid = paid_by_webatm(domain)
    refused(InvalidState, "order_not_payable", "The order is paid and cannot take a code.",
             domain.orders.issue_code, TENANT, oid, "atm",
             expires_at=domain.clock.now() + 60)


def test_pay_direct_defaults_to_webatm_once_and_after_a_failure(domain: Domain) -> None:
    oid = order(domain)["id"]
    domain.orders.fail(TENANT, oid)
    domain.advance_clock(10)
    doc = domain.orders.pay_direct(TENANT, oid, origin=REQ)
    assert (doc["status"], doc["method"], doc["paid_at"]) == ("paid", "webatm",
                                                             int(domain.clock.now()))
    assert last(domain) == ("order.paid", {"status": "failed"}, ASKED)
    refused(InvalidState, "order_not_payable", "The order is paid and cannot be paid.",
             domain.orders.pay_direct, TENANT, oid)


def test_pay_direct_refuses_a_method_not_offered(domain: Domain) -> None:
    oid = order(domain, methods=["card"])["id"]
    err = refused(InvalidRequest, "method_not_offered", "webatm is not offered for this order.",
                   domain.orders.pay_direct, TENANT, oid)
    assert err.param == "method"


def test_settle_records_the_request_and_refuses_unpending_orders(domain: Domain) -> None:
    oid = coded(domain)
    domain.orders.settle(TENANT, oid, origin=REQ)
    assert last(domain) == ("order.paid", {"status": "awaiting_payment"}, ASKED)
    refused(InvalidState, "order_not_pending", "The order is paid, not awaiting payment.",
             domain.orders.settle, TENANT, oid)


def test_a_code_settled_at_its_expiry_instant_has_expired(domain: Domain) -> None:
    oid = coded(domain, after=60)
    domain.advance_clock(60)
    refused(InvalidState, "order_expired", "The payment code has expired.",
             domain.orders.settle, TENANT, oid, origin=REQ)
    assert last(domain) == ("order.expired", {"status": "awaiting_payment"}, ASKED)


def test_expire_and_fail_record_the_request_and_refuse_settled_orders(domain: Domain) -> None:
    domain.orders.expire(TENANT, order(domain, "E")["id"], origin=REQ)
    assert last(domain) == ("order.expired", {"status": "created"}, ASKED)
    doc = domain.orders.fail(TENANT, order(domain, "F")["id"], origin=REQ)
    assert doc["failure"] == {"code": "payment_failed", "message": "The payment failed."}
    assert last(domain) == ("order.failed", {"status": "created"}, ASKED)
    oid = paid_by_webatm(domain)
    refused(InvalidState, "order_not_pending", "The order is paid and cannot expire.",
             domain.orders.expire, TENANT, oid)
    refused(InvalidState, "order_not_pending", "The order is paid and cannot fail.",
             domain.orders.fail, TENANT, oid)


def _late(domain: Domain, then: Behaviour, after: float = 600) -> str:
    return coded(domain, after=after,
                  origin=Origin(override=Behaviour(outcome="processing", delay=30, then=then)))


@pytest.mark.parametrize(("then", "reason"), [
    (Behaviour(outcome="block"), "declined"),
    (Behaviour(outcome="decline", decline_code="do_not_honor"), "do_not_honor"),
])
def test_a_late_decline_fails_with_its_reason(domain: Domain, then: Behaviour,
                                              reason: str) -> None:
    oid = _late(domain, then)
    domain.advance_clock(30)
    Scheduler(domain).fire_due()
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["failure"]["code"]) == ("failed", reason)


def test_a_late_payment_skips_orders_no_longer_awaiting_it(domain: Domain) -> None:
    payload = {"then": behaviour_doc(Behaviour())}
    domain.orders.pay_due(TENANT, "ord_missing", payload)
    oid = _late(domain, Behaviour())
    domain.orders.settle(TENANT, oid)
    domain.orders.pay_due(TENANT, oid, payload)  # already paid: nothing to do
    assert domain.orders.get(TENANT, oid)["status"] == "paid"


@pytest.mark.parametrize("past", [0, 1])
def test_a_late_payment_after_the_code_expired_does_nothing(domain: Domain,
                                                            past: int) -> None:
    oid = _late(domain, Behaviour(), after=20)
    domain.advance_clock(20 + past)  # the expiry timer has not fired yet
    domain.orders.pay_due(TENANT, oid, {"then": behaviour_doc(Behaviour())})
    assert domain.orders.get(TENANT, oid)["status"] == "awaiting_payment"


def test_the_expiry_timer_skips_missing_and_settled_orders(domain: Domain) -> None:
    domain.orders.expire_due(TENANT, "ord_missing", {})
    oid = paid_by_webatm(domain)
    domain.orders.expire_due(TENANT, oid, {})
    assert domain.orders.get(TENANT, oid)["status"] == "paid"


# -- cards ----------------------------------------------------------------------------------
class Rules:
    """A fraud assessor that records what it saw and answers with one decision."""

    def __init__(self, decision: Decision | None) -> None:
        self.decision = decision
        self.seen: list[Attempt] = []

    def assess(self, attempt: Attempt) -> Decision | None:
        self.seen.append(attempt)
        return self.decision


def _rules(domain: Domain, action: str | None) -> Rules:
    rules = Rules(Decision(action, "rule_x", 80, "elevated") if action else None)
    domain.payments.risk = rules
    return rules


def test_the_fraud_rules_see_the_attempt_and_may_let_it_pay(domain: Domain) -> None:
    rules = _rules(domain, None)
    client = Client(ip="203.0.113.9", gateway="g")
    oid = order(domain)["id"]
    doc = domain.orders.pay_by_card(TENANT, oid, "4311952222222222",
                                    origin=Origin(client=client))
    card = doc["card"]
    assert rules.seen == [Attempt(TENANT, 500, "twd", card["fingerprint"], "431195", "TW",
                                  None, client, domain.clock.now())]
    assert doc["status"] == "paid"


def test_a_fraud_rule_may_ask_for_3ds_then_the_cards_own_end_follows(domain: Domain) -> None:
    _rules(domain, "require_3ds")
    oid = order(domain)["id"]
    doc = domain.orders.pay_by_card(TENANT, oid, "4242424242424242", capture=False,
                                    origin=REQ)
    assert doc["status"] == "needs_action"
    assert doc["authentication"] == {"status": "pending", "kind": "three_d_secure",
                                     "then": behaviour_doc(Behaviour())}
    assert last(domain) == ("order.needs_action", {"status": "created"}, ASKED)
    assert domain.orders.get(TENANT, oid)["status"] == "needs_action"
    domain.advance_clock(5)
    doc = domain.orders.complete_authentication(TENANT, oid, True, origin=REQ)
    assert (doc["status"], doc["authorized_at"]) == ("authorized", int(domain.clock.now()))
    assert doc["authentication"]["status"] == "passed"
    assert last(domain) == ("order.authorized", {"status": "needs_action"}, ASKED)


@pytest.mark.parametrize("action", ["decline", "review"])
def test_a_fraud_rules_verdict_is_recorded(domain: Domain, action: str) -> None:
    _rules(domain, action)
    oid = order(domain)["id"]
    if action == "review":  # reviews are the card API's: the order pays as the card says
        assert domain.orders.pay_by_card(TENANT, oid, "4242424242424242")["status"] == "paid"
        return
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, oid, "4242424242424242")
    assert domain.orders.get(TENANT, oid)["failure"] == {
        "code": "declined", "decline_code": "fraudulent",
        "message": "Your card was declined.", "rule": "rule_x"}
    assert err.value.context["decline_code"] == "fraudulent"


def test_a_card_expiring_this_month_in_utc_pays(domain: Domain) -> None:
    domain.advance_clock(1_701_374_400 - 1_700_000_000)  # 2023-11-30 20:00 UTC
    with east_of_utc():  # already December there
        doc = domain.orders.pay_by_card(TENANT, order(domain)["id"], "4242424242424242",
                                        exp_month=11, exp_year=2023)
    assert doc["status"] == "paid"


def test_the_card_is_stored_without_its_behaviour_and_expiry_defaults(domain: Domain) -> None:
    doc = domain.orders.pay_by_card(TENANT, order(domain)["id"], "4242424242424242")
    assert doc["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12,
                           "exp_year": 2026, "funding": "credit", "country": "US",
                           "fingerprint": doc["card"]["fingerprint"], "bin": "424242"}
    given = domain.orders.pay_by_card(TENANT, order(domain, "T2")["id"], "4242424242424242",
                                      exp_month=3, exp_year=2030)
    assert (given["card"]["exp_month"], given["card"]["exp_year"]) == (3, 2030)


def test_a_bad_security_code_is_refused(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, order(domain)["id"], "4242424242424242", cvc="12")
    assert err.value.code == "invalid_cvc"


def test_card_payments_refused_exactly(domain: Domain) -> None:
    oid = paid_by_webatm(domain)
    refused(InvalidState, "order_not_payable", "The order is paid and cannot take a card.",
            domain.orders.pay_by_card, TENANT, oid, "4242424242424242")
    err = refused(InvalidRequest, "method_not_offered", "Cards are not offered for this order.",
                  domain.orders.pay_by_card, TENANT, order(domain, methods=["atm"])["id"],
                  "4242424242424242")
    assert err.param == "method"


def test_a_retry_after_a_decline_clears_the_failure(domain: Domain) -> None:
    oid = order(domain)["id"]
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, oid, "4242424242424242",
                                  origin=replace(REQ, override=Behaviour(outcome="decline")))
    failure = {"code": "declined", "decline_code": "generic_decline",
               "message": "Your card was declined.", "rule": None}
    assert domain.orders.get(TENANT, oid)["failure"] == failure
    assert (err.value.message, err.value.context["order"]) == (
        "Your card was declined.", domain.orders.get(TENANT, oid))
    assert last(domain) == ("order.failed", {"status": "created"}, ASKED)
    doc = domain.orders.pay_by_card(TENANT, oid, "4242424242424242", origin=REQ)
    assert (doc["status"], doc["failure"]) == ("paid", None)
    assert last(domain) == ("order.paid", {"status": "failed"}, ASKED)


def test_3ds_started_and_failed_record_the_request(domain: Domain) -> None:
    oid = order(domain)["id"]
    domain.orders.pay_by_card(TENANT, oid, "4000000000003220", origin=REQ)
    assert last(domain) == ("order.needs_action", {"status": "created"}, ASKED)
    with pytest.raises(CardDeclined) as err:
        domain.orders.complete_authentication(TENANT, oid, False, origin=REQ)
    assert (err.value.message, err.value.context["decline_code"]) == (
        "The card holder failed authentication.", "authentication_failed")
    doc = domain.orders.get(TENANT, oid)
    assert doc["authentication"]["status"] == "failed"
    assert doc["failure"] == {"code": "authentication_failed",
                              "decline_code": "authentication_failed",
                              "message": "The card holder failed authentication.",
                              "rule": None}
    assert last(domain) == ("order.failed", {"status": "needs_action"}, ASKED)
    refused(InvalidState, "order_not_awaiting_authentication",
            "The order is failed, not awaiting authentication.",
            domain.orders.complete_authentication, TENANT, oid, True)


def test_an_authorisation_plans_the_daily_close(domain: Domain) -> None:
    domain.orders.configure_close("g", DailyClose(int(domain.clock.now() % 86400) + 60))
    oid = authorized(domain)
    domain.advance_clock(60)
    assert [(t.kind, t.ref, t.payload) for t in domain.timers.due()] == [
        ("close_order", oid, {})]
