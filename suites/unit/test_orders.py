"""The neutral orders service: create, cards (3-D Secure, declines), codes on the clock,
settle/expire/fail, capture/void/refund and the daily close."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.orders import DailyClose, daily_close
from paylab.simulator.core.origin import Origin
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT

ALL = ["card", "atm", "cvs", "barcode", "webatm"]


def _order(domain: Domain, no: str = "T1", amount: int = 500, **kw: Any) -> dict[str, Any]:
    return domain.orders.create(TENANT, "g", merchant_order_no=no, amount=amount,
                                currency="TWD", methods=kw.pop("methods", ALL),
                                description="d", **kw)


def _kinds(domain: Domain) -> list[str]:
    return [e["type"] for e in reversed(domain.events.page(TENANT, limit=100)[0])]


def test_create_keeps_the_fields_and_emits_created(domain: Domain) -> None:
    doc = _order(domain, callbacks={"result": "http://x/r"}, extra={"f1": "a"})
    assert doc["id"].startswith("ord_")
    assert (doc["status"], doc["amount"], doc["currency"]) == ("created", 500, "twd")
    assert doc["extra"] == {"f1": "a"} and doc["callbacks"] == {"result": "http://x/r"}
    assert len(doc["reference"]) == 16 and doc["reference"].isdigit()
    assert domain.orders.find_by_merchant_order(TENANT, "T1")["id"] == doc["id"]
    assert domain.orders.find_any(doc["id"]) == (TENANT, doc)
    assert _kinds(domain) == ["order.created"]


def test_a_duplicate_merchant_order_number_is_refused_per_tenant(domain: Domain) -> None:
    _order(domain)
    with pytest.raises(InvalidRequest) as err:
        _order(domain)
    assert err.value.code == "duplicate_order"
    domain.orders.create("other", "g", merchant_order_no="T1", amount=1, currency="twd",
                         methods=["card"])


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_bad_amounts_are_refused(domain: Domain, amount: Any) -> None:
    with pytest.raises(InvalidRequest) as err:
        _order(domain, amount=amount)
    assert err.value.code == "amount_invalid"


def test_unknown_methods_are_refused(domain: Domain) -> None:
    with pytest.raises(InvalidRequest):
        _order(domain, methods=["card", "cash"])


def test_the_stage_cards_pay(domain: Domain) -> None:
    for i, number in enumerate(["4311952222222222", "4000221111111111", "4003551111111111",
                                "376000000000006"]):
        doc = domain.orders.pay_by_card(TENANT, _order(domain, f"S{i}")["id"], number)
        assert (doc["status"], doc["captured_amount"]) == ("paid", 500)
        assert doc["card"]["last4"] == number[-4:]


def test_a_declined_card_fails_the_order_and_a_retry_may_pay(domain: Domain) -> None:
    oid = _order(domain)["id"]
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, oid, "4000000000009995")
    assert err.value.context["decline_code"] == "insufficient_funds"
    doc = domain.orders.get(TENANT, oid)
    assert doc["status"] == "failed"
    assert doc["failure"]["decline_code"] == "insufficient_funds"
    assert domain.orders.pay_by_card(TENANT, oid, "4242424242424242")["status"] == "paid"
    assert _kinds(domain) == ["order.created", "order.failed", "order.paid"]


def test_a_blocked_card_declines_as_fraudulent(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, _order(domain)["id"], "4100000000000019")
    assert err.value.context["decline_code"] == "fraudulent"


def test_three_d_secure_pass_and_fail(domain: Domain) -> None:
    oid = _order(domain)["id"]
    doc = domain.orders.pay_by_card(TENANT, oid, "4000000000003220", capture=False)
    assert doc["status"] == "needs_action"
    doc = domain.orders.complete_authentication(TENANT, oid, True)
    assert (doc["status"], doc["authorized_amount"]) == ("authorized", 500)
    other = _order(domain, "T2")["id"]
    domain.orders.pay_by_card(TENANT, other, "4000000000003220")
    with pytest.raises(CardDeclined) as err:
        domain.orders.complete_authentication(TENANT, other, False)
    assert err.value.code == "authentication_failed"
    assert domain.orders.get(TENANT, other)["status"] == "failed"
    with pytest.raises(InvalidState):
        domain.orders.complete_authentication(TENANT, oid, True)


def test_three_d_secure_then_decline(domain: Domain) -> None:
    oid = _order(domain)["id"]
    domain.orders.pay_by_card(TENANT, oid, "4000008400001629")
    with pytest.raises(CardDeclined):
        domain.orders.complete_authentication(TENANT, oid, True)


def test_a_scenario_override_replaces_the_cards_behaviour(domain: Domain) -> None:
    origin = Origin(override=Behaviour(outcome="decline", decline_code="do_not_honor"))
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, _order(domain)["id"], "4242424242424242",
                                  origin=origin)
    assert err.value.context["decline_code"] == "do_not_honor"


def test_a_bad_card_number_is_a_decline_before_any_change(domain: Domain) -> None:
    oid = _order(domain)["id"]
    with pytest.raises(CardDeclined) as err:
        domain.orders.pay_by_card(TENANT, oid, "4242424242424241")
    assert err.value.code == "incorrect_number"
    assert domain.orders.get(TENANT, oid)["status"] == "created"


@pytest.mark.parametrize("method", ["atm", "cvs", "barcode"])
def test_a_code_expires_on_the_virtual_clock(domain: Domain, method: str) -> None:
    oid = _order(domain)["id"]
    doc = domain.orders.issue_code(TENANT, oid, method, expires_at=domain.clock.now() + 600)
    assert doc["status"] == "awaiting_payment"
    scheduler = Scheduler(domain)
    domain.advance_clock(599)
    scheduler.fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "awaiting_payment"
    domain.advance_clock(2)
    scheduler.fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "expired"
    assert _kinds(domain) == ["order.created", "order.code_issued", "order.expired"]


def test_the_codes_have_their_shapes(domain: Domain) -> None:
    at = domain.clock.now() + 3600
    atm = domain.orders.issue_code(TENANT, _order(domain, "A")["id"], "atm", expires_at=at,
                                   bank_code="808")["code"]
    assert atm["bank_code"] == "808" and len(atm["account"]) == 16 and atm["account"].isdigit()
    cvs = domain.orders.issue_code(TENANT, _order(domain, "C")["id"], "cvs", expires_at=at,
                                   code_prefix="GW")["code"]
    assert len(cvs["payment_no"]) == 14 and cvs["payment_no"].startswith("GW")
    bar = domain.orders.issue_code(TENANT, _order(domain, "B", amount=1234)["id"], "barcode",
                                   expires_at=at)["code"]["barcodes"]
    assert [len(s) for s in bar] == [9, 16, 15] and bar[2].endswith("000001234")


def test_issuing_again_keeps_the_code_and_other_changes_are_refused(domain: Domain) -> None:
    oid = _order(domain)["id"]
    at = domain.clock.now() + 600
    first = domain.orders.issue_code(TENANT, oid, "cvs", expires_at=at)
    assert domain.orders.issue_code(TENANT, oid, "cvs", expires_at=at)["code"] == first["code"]
    with pytest.raises(InvalidState):
        domain.orders.issue_code(TENANT, oid, "atm", expires_at=at)
    with pytest.raises(InvalidState):
        domain.orders.pay_by_card(TENANT, oid, "4242424242424242")
    with pytest.raises(InvalidRequest):
        domain.orders.issue_code(TENANT, _order(domain, "X")["id"], "cvs",
                                 expires_at=domain.clock.now())


def test_a_method_not_offered_is_refused(domain: Domain) -> None:
    oid = _order(domain, methods=["card"])["id"]
    with pytest.raises(InvalidRequest) as err:
        domain.orders.issue_code(TENANT, oid, "atm", expires_at=domain.clock.now() + 60)
    assert err.value.code == "method_not_offered"


def test_settle_simulated_then_nothing_expires(domain: Domain) -> None:
    oid = _order(domain)["id"]
    domain.orders.issue_code(TENANT, oid, "atm", expires_at=domain.clock.now() + 60)
    doc = domain.orders.settle(TENANT, oid, simulated=True)
    assert (doc["status"], doc["simulated"]) == ("paid", True)
    domain.advance_clock(120)
    Scheduler(domain).fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "paid"
    with pytest.raises(InvalidState):
        domain.orders.settle(TENANT, oid)


def test_settling_a_code_past_its_expiry_expires_it(domain: Domain) -> None:
    oid = _order(domain)["id"]
    domain.orders.issue_code(TENANT, oid, "cvs", expires_at=domain.clock.now() + 60)
    domain.advance_clock(61)  # the timer has not fired yet
    with pytest.raises(InvalidState) as err:
        domain.orders.settle(TENANT, oid)
    assert err.value.code == "order_expired"
    assert domain.orders.get(TENANT, oid)["status"] == "expired"


def test_fail_and_expire_only_pending_orders(domain: Domain) -> None:
    oid = _order(domain)["id"]
    assert domain.orders.fail(TENANT, oid)["status"] == "failed"
    with pytest.raises(InvalidState):
        domain.orders.expire(TENANT, oid)
    assert domain.orders.expire(TENANT, _order(domain, "T2")["id"])["status"] == "expired"


def test_webatm_pays_at_once(domain: Domain) -> None:
    doc = domain.orders.pay_direct(TENANT, _order(domain)["id"], "webatm")
    assert (doc["status"], doc["method"]) == ("paid", "webatm")


def _authorized(domain: Domain, no: str = "T1") -> str:
    oid = _order(domain, no)["id"]
    domain.orders.pay_by_card(TENANT, oid, "4311952222222222", capture=False)
    return oid


def test_capture_void_cancel_capture_and_refund_rules(domain: Domain) -> None:
    oid = _authorized(domain)
    with pytest.raises(InvalidState):
        domain.orders.refund(TENANT, oid, 100)
    assert domain.orders.capture(TENANT, oid, 400)["captured_amount"] == 400
    with pytest.raises(InvalidState):
        domain.orders.void(TENANT, oid)
    assert domain.orders.cancel_capture(TENANT, oid)["status"] == "authorized"
    assert domain.orders.void(TENANT, oid)["status"] == "canceled"
    with pytest.raises(InvalidState):
        domain.orders.capture(TENANT, oid)
    paid = _authorized(domain, "T2")
    domain.orders.capture(TENANT, paid)
    with pytest.raises(InvalidRequest):
        domain.orders.capture(TENANT, _authorized(domain, "T3"), 501)
    assert domain.orders.refund(TENANT, paid, 200)["refunded_amount"] == 200
    with pytest.raises(InvalidRequest):
        domain.orders.refund(TENANT, paid, 301)
    assert domain.orders.refund(TENANT, paid)["refunded_amount"] == 500
    with pytest.raises(InvalidState):
        domain.orders.refund(TENANT, paid, 1)
    with pytest.raises(InvalidState):
        domain.orders.cancel_capture(TENANT, paid)


def test_daily_close_at_a_local_time(domain: Domain) -> None:
    close = daily_close("20:15", 8)
    assert close == DailyClose(20 * 3600 + 900, 8)
    # 12:15 UTC is 20:15 at UTC+8
    assert close.next_after(12 * 3600 + 900 - 1) == 12 * 3600 + 900
    assert close.next_after(12 * 3600 + 900) == 86400 + 12 * 3600 + 900


def test_the_daily_close_captures_authorised_orders_then_only_refunds(domain: Domain) -> None:
    close = DailyClose(int(domain.clock.now() % 86400) + 3600)  # an hour from now
    domain.orders.configure_close("g", close)
    oid = _authorized(domain)
    scheduler = Scheduler(domain)
    domain.advance_clock(3599)
    scheduler.fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "authorized"
    domain.advance_clock(2)
    scheduler.fire_due()
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["closed"], doc["captured_amount"]) == ("paid", True, 500)
    with pytest.raises(InvalidState):
        domain.orders.cancel_capture(TENANT, oid)
    assert domain.orders.refund(TENANT, oid, 100)["refunded_amount"] == 100


def test_a_close_switched_off_leaves_orders_authorised(domain: Domain) -> None:
    domain.orders.configure_close("g", DailyClose(int(domain.clock.now() % 86400) + 60))
    oid = _authorized(domain)
    domain.orders.configure_close("g", None)
    domain.advance_clock(120)
    Scheduler(domain).fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "authorized"


def test_the_close_marks_a_captured_order_closed(domain: Domain) -> None:
    domain.orders.configure_close("g", DailyClose(int(domain.clock.now() % 86400) + 60))
    oid = _authorized(domain)
    domain.orders.capture(TENANT, oid)
    domain.advance_clock(61)
    Scheduler(domain).fire_due()
    assert domain.orders.get(TENANT, oid)["closed"] is True
    assert _kinds(domain)[-1] == "order.closed"


def test_a_pending_code_still_expires_after_a_restart(tmp_path: Any, wall: Any) -> None:
    from paylab.simulator.core.clock import Clock
    from paylab.simulator.core.store import Store

    path = tmp_path / "orders.db"
    first = Domain(Store(path), Clock(wall=wall), seed=7)
    oid = _order(first)["id"]
    first.orders.issue_code(TENANT, oid, "cvs", expires_at=first.clock.now() + 600)
    first.store.commit()  # what the response waited for (store.durable) is on disk
    first.store.conn.close()  # then the process dies without closing anything else
    wall.now += 601
    again = Domain(Store(path), Clock(wall=wall), seed=7)
    assert again.orders.get(TENANT, oid)["status"] == "awaiting_payment"
    Scheduler(again).fire_due()
    assert again.orders.get(TENANT, oid)["status"] == "expired"


@pytest.mark.parametrize(("then", "final"), [(Behaviour(), "paid"),
                                             (Behaviour(outcome="decline"), "failed")])
def test_a_scenarios_processing_outcome_pays_a_code_late(domain: Domain, then: Behaviour,
                                                         final: str) -> None:
    late = Origin(override=Behaviour(outcome="processing", delay=300, then=then))
    oid = _order(domain)["id"]
    domain.orders.issue_code(TENANT, oid, "cvs", expires_at=domain.clock.now() + 600,
                             origin=late)
    scheduler = Scheduler(domain)
    domain.advance_clock(299)
    scheduler.fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "awaiting_payment"
    domain.advance_clock(2)
    scheduler.fire_due()
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["simulated"]) == (final, False)


def test_a_late_payment_after_the_expiry_never_arrives(domain: Domain) -> None:
    late = Origin(override=Behaviour(outcome="processing", delay=900))
    oid = _order(domain)["id"]
    domain.orders.issue_code(TENANT, oid, "atm", expires_at=domain.clock.now() + 600,
                             origin=late)
    domain.advance_clock(1000)
    Scheduler(domain).fire_due()
    assert domain.orders.get(TENANT, oid)["status"] == "expired"


def test_a_processing_outcome_on_a_card_takes_its_planned_end(domain: Domain) -> None:
    declined = Origin(override=Behaviour(outcome="processing", delay=5,
                                         then=Behaviour(outcome="decline")))
    with pytest.raises(CardDeclined):
        domain.orders.pay_by_card(TENANT, _order(domain)["id"], "4242424242424242",
                                  origin=declined)
    ok = Origin(override=Behaviour(outcome="processing", delay=5))
    assert domain.orders.pay_by_card(TENANT, _order(domain, "T2")["id"], "4242424242424242",
                                     origin=ok)["status"] == "paid"
