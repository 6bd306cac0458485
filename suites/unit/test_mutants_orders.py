"""Mutation-testing kills for the orders service (simulator/core/orders): the exact errors,
events (kind, previous attributes, the request behind them) and stored fields of every
step, beside the behaviour suites/unit/test_orders.py covers."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest, InvalidState, NotFound
from paylab.simulator.core.orders import DailyClose, Orders, daily_close
from paylab.suites.unit.conftest import TENANT
from paylab.suites.unit.orders_kit import (
    ASKED,
    REQ,
    UNASKED,
    authorized,
    east_of_utc,
    events,
    last,
    order,
    paid_by_webatm,
    refused,
)


# -- events carry the request -------------------------------------------------------------
def test_order_events_record_the_request_they_came_from(domain: Domain) -> None:
    order(domain, origin=REQ)
    order(domain, "T2")
    assert [e[2] for e in events(domain)] == [ASKED, UNASKED]


# -- settlement ---------------------------------------------------------------------------
def test_capture_stamps_the_time_and_emits_captured_with_the_request(domain: Domain) -> None:
    oid = authorized(domain)
    domain.advance_clock(100)
    doc = domain.orders.capture(TENANT, oid, origin=REQ)
    assert doc["paid_at"] == int(domain.clock.now())
    assert domain.orders.get(TENANT, oid)["paid_at"] == int(domain.clock.now())
    assert last(domain) == ("order.captured", {"status": "authorized"}, ASKED)
    refused(InvalidState, "order_not_authorized",
             "The order is paid; only authorised orders can be captured.",
             domain.orders.capture, TENANT, oid)


def test_cancel_capture_clears_the_capture(domain: Domain) -> None:
    oid = authorized(domain)
    domain.orders.capture(TENANT, oid, 300)
    doc = domain.orders.cancel_capture(TENANT, oid, origin=REQ)
    stored = domain.orders.get(TENANT, oid)
    for d in (doc, stored):
        assert (d["status"], d["captured_amount"], d["paid_at"]) == ("authorized", 0, None)
    assert last(domain) == ("order.capture_canceled", {"status": "paid"}, ASKED)
    refused(InvalidState, "order_not_capture_pending",
             "Only a capture that is not closed yet can be cancelled.",
             domain.orders.cancel_capture, TENANT, oid)


def test_void_emits_voided_with_the_request(domain: Domain) -> None:
    oid = authorized(domain)
    doc = domain.orders.void(TENANT, oid, origin=REQ)
    assert doc["status"] == "canceled"
    assert last(domain) == ("order.voided", {"status": "authorized"}, ASKED)
    refused(InvalidState, "order_not_authorized",
             "The order is canceled; only authorised orders can be voided.",
             domain.orders.void, TENANT, oid)


def test_refund_rules_and_records(domain: Domain) -> None:
    refused(InvalidState, "order_not_paid",
             "The order is created; only paid orders can be refunded.",
             domain.orders.refund, TENANT, order(domain, "T9")["id"])
    oid = authorized(domain)
    domain.orders.capture(TENANT, oid, 400)
    with pytest.raises(InvalidRequest):  # only what was captured can come back
        domain.orders.refund(TENANT, oid, 401)
    domain.advance_clock(50)
    doc = domain.orders.refund(TENANT, oid, 399, origin=REQ)
    assert doc["refunds"] == [{"amount": 399, "created": int(domain.clock.now())}]
    assert last(domain) == ("order.refunded", {"refunded_amount": 0}, ASKED)
    doc = domain.orders.refund(TENANT, oid)  # the last unit
    assert doc["refunded_amount"] == 400
    assert last(domain) == ("order.refunded", {"refunded_amount": 399}, UNASKED)
    assert domain.orders.get(TENANT, oid)["refunds"][1]["amount"] == 1
    refused(InvalidState, "order_fully_refunded", "The order is already refunded.",
             domain.orders.refund, TENANT, oid)


def test_an_order_paid_by_code_refunds_its_amount(domain: Domain) -> None:
    oid = paid_by_webatm(domain)
    assert domain.orders.refund(TENANT, oid)["refunded_amount"] == 500


def test_close_leaves_other_orders_alone(domain: Domain) -> None:
    assert domain.orders.close(TENANT, "ord_missing") is None
    oid = paid_by_webatm(domain)
    doc = domain.orders.close(TENANT, oid)
    assert (doc["status"], doc["closed"]) == ("paid", False)
    assert domain.orders.get(TENANT, oid)["closed"] is False


def test_close_captures_an_authorisation_with_the_request(domain: Domain) -> None:
    oid = authorized(domain)
    domain.advance_clock(30)
    doc = domain.orders.close(TENANT, oid, origin=REQ)
    assert (doc["paid_at"], doc["closed"]) == (int(domain.clock.now()), True)
    assert last(domain) == ("order.captured", {"status": "authorized"}, ASKED)
    assert domain.orders.close(TENANT, oid) == domain.orders.get(TENANT, oid)


def test_close_of_a_capture_emits_closed_with_the_request(domain: Domain) -> None:
    oid = authorized(domain)
    domain.orders.capture(TENANT, oid)
    doc = domain.orders.close(TENANT, oid, origin=REQ)
    assert doc["closed"] is True
    assert last(domain) == ("order.closed", {"closed": False}, ASKED)


# -- creation and reads -------------------------------------------------------------------
def test_a_new_order_is_stored_field_by_field(domain: Domain) -> None:
    doc = domain.orders.create(TENANT, "g", merchant_order_no="N1", amount=700,
                               currency="TWD", methods=("card", "atm"))
    assert len(doc.pop("page_token")) == 32
    assert doc.pop("id").startswith("ord_") and len(doc.pop("reference")) == 16
    assert doc == {
        "object": "order", "gateway": "g", "merchant_order_no": "N1", "amount": 700,
        "currency": "twd", "methods": ["card", "atm"], "description": "", "callbacks": {},
        "expiry": {}, "extra": {}, "status": "created", "method": None, "card": None,
        "code": None, "authentication": None, "failure": None, "authorized_amount": 0,
        "captured_amount": 0, "refunded_amount": 0, "closed": False, "simulated": False,
        "created": int(domain.clock.now()), "authorized_at": None, "paid_at": None,
        "expires_at": None, "refunds": [], "capture": True, "confirm": True}


def test_the_created_event_carries_theorder(domain: Domain) -> None:
    doc = order(domain, origin=REQ)
    event = domain.events.page(TENANT)[0][0]
    assert (event["type"], event["gateway"], event["object_kind"]) == ("order.created", "g",
                                                                       "order")
    assert event["object"] == doc and event["previous_attributes"] is None
    assert event["request"] == ASKED


@pytest.mark.parametrize(("kw", "code", "message", "param"), [
    ({"merchant_order_no": ""}, "parameter_missing", "The merchant order number is required.",
     "merchant_order_no"),
    ({"amount": 0}, "amount_invalid", "The amount must be a positive integer.", "amount"),
    ({"methods": ["card", "cash"]}, "method_invalid", "Unknown payment methods: ['cash'].",
     "methods"),
    ({"methods": []}, "method_invalid", "Unknown payment methods: [].", "methods"),
])
def test_creation_errors_are_exact(domain: Domain, kw: dict[str, Any], code: str,
                                   message: str, param: str) -> None:
    args = {"merchant_order_no": "N", "amount": 5, "currency": "TWD", "methods": ["card"], **kw}
    err = refused(InvalidRequest, code, message, domain.orders.create, TENANT, "g", **args)
    assert err.param == param
    assert domain.orders.page(TENANT) == ([], False)


def test_a_duplicate_order_number_is_an_exact_error(domain: Domain) -> None:
    order(domain, "N7")
    err = refused(InvalidRequest, "duplicate_order", "Order number N7 is already used.",
                  order, domain, "N7")
    assert err.param == "merchant_order_no"


def test_an_unknown_order_names_the_order_parameter(domain: Domain) -> None:
    with pytest.raises(NotFound) as err:
        domain.orders.get(TENANT, "ord_nope")
    assert (err.value.code, err.value.param) == ("not_found", "order")


def test_page_lists_this_tenants_orders_newest_first(domain: Domain) -> None:
    first, second = order(domain, "A"), order(domain, "B")
    domain.orders.create("other", "g", merchant_order_no="C", amount=1, currency="twd",
                         methods=["card"])
    assert domain.orders.page(TENANT) == ([second, first], False)
    assert domain.orders.page(TENANT, limit=1) == ([second], True)


def test_orders_without_fraud_rules_pay_by_card(domain: Domain) -> None:
    orders = Orders(domain.objects, domain.events, domain.timers, domain.clock, domain.rand)
    oid = orders.create(TENANT, "g", merchant_order_no="R", amount=5, currency="twd",
                        methods=["card"])["id"]
    assert orders.pay_by_card(TENANT, oid, "4242424242424242")["status"] == "paid"


def test_switching_off_a_close_never_set_is_fine(domain: Domain) -> None:
    domain.orders.configure_close("g", None)
    assert domain.orders.closes == {}


def test_only_card_orders_take_capture_and_void(domain: Domain) -> None:
    oid = paid_by_webatm(domain)
    for step in (domain.orders.capture, domain.orders.void, domain.orders.cancel_capture):
        refused(InvalidState, "order_not_card", "Only card orders can be captured or voided.",
                 step, TENANT, oid)


@pytest.mark.parametrize("amount", [True, 0, 501])
def test_capture_amounts_outside_the_authorisation_are_exact_errors(domain: Domain,
                                                                    amount: Any) -> None:
    oid = authorized(domain)
    err = refused(InvalidRequest, "amount_invalid", "The amount must be between 1 and 500.",
                   domain.orders.capture, TENANT, oid, amount)
    assert err.param == "amount"
    assert domain.orders.get(TENANT, oid)["status"] == "authorized"


def test_a_capture_of_one_unit_is_allowed(domain: Domain) -> None:
    assert domain.orders.capture(TENANT, authorized(domain), 1)["captured_amount"] == 1


def test_references_and_barcodes_use_utc_and_seeded_digits(
        domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    def randint(low: int, high: int) -> int:
        calls.append((low, high))
        return high

    monkeypatch.setattr(domain.rand, "randint", randint)
    with east_of_utc():
        doc = order(domain, amount=1234)  # 2023-11-14 22:13:20 UTC, the 15th at UTC+8
        assert doc["reference"] == "2311142213209999"
        assert calls == [(0, 9999)]
        calls.clear()
        code = domain.orders.issue_code(TENANT, doc["id"], "barcode",
                                        expires_at=domain.clock.now() + 3600)["code"]
    assert calls == [(0, 9)] * 16
    assert code == {"barcodes": ["231114699", "9" * 16, "111400000001234"]}


def test_a_daily_close_is_in_utc_unless_told() -> None:
    assert daily_close("01:30") == DailyClose(5400, 0.0)
    assert daily_close("01:30").next_after(0) == 5400
