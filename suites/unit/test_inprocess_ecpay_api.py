"""ECPay's server APIs in process: QueryTradeInfo/V5 (signed, raw values, its TimeStamp
window), QueryPaymentInfo, CreditDetail/DoAction's state rules and the daily close at
20:15 Taiwan time (and switched off), and scenario faults and matches in ECPay's shapes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from paylab.simulator.core.orders import daily_close
from paylab.simulator.gateways import ecpay
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.unit.ecpay_kit import (
    IV,
    KEY,
    MERCHANT,
    TENANT,
    api,
    checkout,
    choose,
    now,
    pay_card,
    shown,
    violations,
)
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

QUERY = "/Cashier/QueryTradeInfo/V5"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def card_order(sim: Sim, no: str = "T0001") -> dict[str, Any]:
    await pay_card(sim, await choose(sim, await checkout(sim, no), "Credit"))
    return sim.domain.orders.find_by_merchant_order(TENANT, no)


async def query(sim: Sim, no: str = "T0001", stamp: int | None = None, path: str = QUERY,
                **sign_with: Any) -> tuple[Any, dict[str, str]]:
    fields = {"MerchantID": MERCHANT, "MerchantTradeNo": no,
              "TimeStamp": now() if stamp is None else stamp}
    return await api(sim, path, fields, **sign_with)


async def action(sim: Sim, order: dict[str, Any], act: str, amount: int | None = None,
                 trade_no: str | None = None) -> dict[str, str]:
    answer, fields = await api(sim, "/CreditDetail/DoAction", {
        "MerchantID": MERCHANT, "MerchantTradeNo": order["merchant_order_no"],
        "TradeNo": trade_no or order["reference"], "Action": act,
        "TotalAmount": order["amount"] if amount is None else amount})
    assert answer.status == 200
    return fields


def status(sim: Sim, order: dict[str, Any]) -> str:
    return sim.domain.orders.get(TENANT, order["id"])["status"]


async def test_query_trade_info_answers_signed_raw_values(sim: Sim) -> None:
    await checkout(sim, ItemName="Green tea 綠茶#Cake+1")
    answer, fields = await query(sim)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert "ItemName=Green tea 綠茶#Cake+1&" in answer.text  # raw, as ECPay emits them
    assert fields["TradeStatus"] == "0" and fields["TradeAmt"] == "500"
    assert fields["PaymentDate"] == "" and fields["CustomField2"] == "echo-2"
    assert fields["CheckMacValue"] == ecpay_check_mac_value(fields, KEY, IV)
    assert violations("ecpay/query_trade_info_response", fields) == []
    # the key order of a genuine stage answer (fields sorted by name, CheckMacValue last)
    assert list(fields) == [
        "CustomField1", "CustomField2", "CustomField3", "CustomField4", "HandlingCharge",
        "ItemName", "MerchantID", "MerchantTradeNo", "PaymentDate", "PaymentType",
        "PaymentTypeChargeFee", "StoreID", "TradeAmt", "TradeDate", "TradeNo", "TradeStatus",
        "CheckMacValue"]


async def test_a_paid_trade_reports_status_1_and_its_payment(sim: Sim) -> None:
    order = await card_order(sim)
    _, fields = await query(sim)
    assert (fields["TradeStatus"], fields["PaymentType"], fields["TradeNo"]) == (
        "1", "Credit_CreditCard", order["reference"])
    assert fields["PaymentDate"] != ""


@pytest.mark.parametrize(("offset", "accepted"), [
    (0, True), (120, True), (-170, True), (175, True), (-200, False), (200, False)])
async def test_the_timestamp_window_is_three_minutes_either_side(
        sim: Sim, offset: int, accepted: bool) -> None:
    await checkout(sim)
    answer, fields = await query(sim, stamp=now() + offset)
    assert answer.status == 200
    if accepted:
        assert fields["TradeStatus"] == "0"
    else:
        assert fields == {"RtnCode": "10100050",
                          "RtnMsg": "Parameter Error. TimeStamp is outside the 3-minute window"}
        assert violations("ecpay/error", fields) == []


async def test_server_apis_refuse_a_bad_check_mac_value_and_unknown_trades(sim: Sim) -> None:
    await checkout(sim)
    _, fields = await query(sim, key="5294y06JbISpM5x9", iv="v77hoKGq4kWxNNIS")
    assert fields == {"RtnCode": "10200073", "RtnMsg": "CheckMacValue Error"}
    _, fields = await query(sim, "NOPE")
    assert fields["RtnCode"] == "10200047"
    _, fields = await api(sim, QUERY, {"MerchantID": MERCHANT, "MerchantTradeNo": "T0001"},
                          sign=False)
    assert fields == {"RtnCode": "10200073", "RtnMsg": "CheckMacValue Error"}
    _, fields = await api(sim, QUERY, {"MerchantID": MERCHANT, "MerchantTradeNo": "T0001"})
    assert fields == {"RtnCode": "10100050", "RtnMsg": "Parameter Error. TimeStamp is required"}


async def test_query_payment_info_returns_the_issued_code(sim: Sim) -> None:
    await choose(sim, await checkout(sim, ChoosePayment="CVS"), "CVS")
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    _, fields = await query(sim, path="/Cashier/QueryPaymentInfo")
    assert (fields["RtnCode"], fields["PaymentNo"]) == ("10100073", order["code"]["payment_no"])
    assert fields["CheckMacValue"] == ecpay_check_mac_value(fields, KEY, IV)
    assert violations("ecpay/query_payment_info_response", fields) == []
    await card_order(sim, "T0002")
    _, fields = await query(sim, "T0002", path="/Cashier/QueryPaymentInfo")
    assert fields["RtnCode"] == "0"


async def test_do_action_abandons_an_authorisation_but_refunds_nothing_unclosed(sim: Sim
                                                                               ) -> None:
    order = await card_order(sim)
    refused = await action(sim, order, "R", 100)
    assert refused["RtnCode"] == "0" and status(sim, order) == "authorized"
    done = await action(sim, order, "N")
    assert done == {"MerchantID": MERCHANT, "MerchantTradeNo": "T0001",
                    "TradeNo": order["reference"], "RtnCode": "1", "RtnMsg": "成功"}
    assert violations("ecpay/do_action_response", done) == []
    assert status(sim, order) == "canceled"
    assert (await action(sim, order, "C"))["RtnCode"] == "0"


async def test_do_action_close_cancel_close_and_partial_refund(sim: Sim) -> None:
    order = await card_order(sim)
    assert (await action(sim, order, "C", 400))["RtnCode"] == "1"
    got = sim.domain.orders.get(TENANT, order["id"])
    assert (got["status"], got["captured_amount"]) == ("paid", 400)
    assert (await action(sim, order, "N"))["RtnCode"] == "0"  # close pending: E first
    assert (await action(sim, order, "R", 400))["RtnCode"] == "0"  # full refund: E then N
    assert (await action(sim, order, "R", 100))["RtnCode"] == "1"
    assert sim.domain.orders.get(TENANT, order["id"])["refunded_amount"] == 100
    other = await card_order(sim, "T0002")
    await action(sim, other, "C")
    assert (await action(sim, other, "E"))["RtnCode"] == "1"
    assert (await action(sim, other, "N"))["RtnCode"] == "1"
    assert status(sim, other) == "canceled"


async def test_do_action_checks_the_trade_no_and_the_payment_type(sim: Sim) -> None:
    order = await card_order(sim)
    assert await action(sim, order, "N", trade_no="1234567890") == {
        "RtnCode": "10200027", "RtnMsg": "TradeNo Error"}
    await choose(sim, await checkout(sim, "T0002", ChoosePayment="ATM"), "ATM")
    atm = sim.domain.orders.find_by_merchant_order(TENANT, "T0002")
    assert (await action(sim, atm, "R", 1))["RtnMsg"] == \
        "DoAction applies to credit card trades only."
    _, fields = await api(sim, "/CreditDetail/DoAction", {
        "MerchantID": MERCHANT, "MerchantTradeNo": "T0001", "TradeNo": order["reference"],
        "Action": "X", "TotalAmount": 1})
    assert fields["RtnMsg"] == "Parameter Error. Action must be one of C, R, E, N"


async def to_close(sim: Sim) -> float:
    """Advance the virtual clock just past the next 20:15 Taiwan time."""
    clock = sim.domain.clock
    seconds = daily_close("20:15", 8).next_after(clock.now()) - clock.now() + 1
    await sim.control("POST", "/clock/advance", {"seconds": seconds})
    return seconds


async def test_the_daily_close_at_2015_turns_void_into_refund(sim: Sim) -> None:
    order = await card_order(sim)
    await to_close(sim)
    await _until(sim, order, "paid")
    got = sim.domain.orders.get(TENANT, order["id"])
    assert got["closed"] is True and got["captured_amount"] == 500
    assert (await action(sim, order, "N"))["RtnMsg"].startswith("關帳作業中")
    await sim.control("POST", "/clock/advance", {"seconds": 15 * 60})
    assert (await action(sim, order, "N"))["RtnCode"] == "0"
    assert (await action(sim, order, "R", 500))["RtnCode"] == "1"
    assert sim.domain.orders.get(TENANT, order["id"])["refunded_amount"] == 500


async def test_the_daily_close_can_be_switched_off(sim: Sim) -> None:
    ecpay.configure_close(sim.domain, "off")
    order = await card_order(sim)
    await to_close(sim)
    await sim.control("POST", "/clock/advance", {"seconds": 3600})
    assert status(sim, order) == "authorized"
    assert (await action(sim, order, "N"))["RtnCode"] == "1"


async def test_an_injected_fault_is_0_message_on_apis_and_the_error_page_on_forms(sim: Sim
                                                                                 ) -> None:
    rules = {"name": "down", "rules": [{"name": "503", "match": {"gateway": "ecpay"},
                                        "effects": [{"error": {"status": 503}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200
    answer, _ = await query(sim)
    assert answer.status == 503 and answer.text.startswith("0|")
    page = await checkout(sim)
    assert page.status == 503 and 'data-testid="ecpay-error"' in page.text
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001") is None


async def test_scenarios_match_the_payment_method_and_amount(sim: Sim) -> None:
    rules = {"name": "cvs-only", "rules": [{
        "name": "cvs", "match": {"gateway": "ecpay", "payment_method": "cvs",
                                 "amount": {"min": 400}},
        "effects": [{"error": {"status": 502}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200
    cashier = await checkout(sim)
    assert (await choose(sim, cashier, "CVS")).status == 502
    assert (await choose(sim, cashier, "ATM")).status == 200
    small = await checkout(sim, "T0002", TotalAmount=100)
    assert (await choose(sim, small, "CVS")).status == 200


async def test_a_scenario_decline_reaches_the_cashier_card(sim: Sim) -> None:
    rules = {"name": "decline", "rules": [{
        "name": "d", "match": {"gateway": "ecpay", "payment_method": "card"},
        "effects": [{"outcome": {"decline": "do_not_honor"}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200
    answer = await pay_card(sim, await choose(sim, await checkout(sim), "Credit"))
    assert answer.status == 402 and shown(answer, "form-error")
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["failure"][
        "decline_code"] == "do_not_honor"


async def _until(sim: Sim, order: dict[str, Any], wanted: str) -> None:
    from paylab.suites.unit.inprocess import eventually

    async def check() -> bool:
        return status(sim, order) == wanted

    await eventually(check)


async def test_a_declined_card_leaves_the_trade_unpaid_and_payable(sim: Sim) -> None:
    """A decline is not the end of the trade: QueryTradeInfo says 0 (unpaid), another card
    pays it, and only an expired trade says 10200095."""
    card_page = await choose(sim, await checkout(sim, "T0009"), "Credit")
    declined = await pay_card(sim, card_page, "4000000000000002")
    assert declined.status == 402
    assert (await query(sim, "T0009"))[1]["TradeStatus"] == "0"
    await pay_card(sim, card_page)
    assert (await query(sim, "T0009"))[1]["TradeStatus"] == "1"
    await choose(sim, await checkout(sim, "T0010", ChoosePayment="CVS"), "CVS")
    code = sim.domain.orders.find_by_merchant_order(TENANT, "T0010")
    expired = await sim.control("POST", f"/payments/{code['id']}/simulate",
                                {"outcome": "expired"})
    assert expired.status == 200, expired.body
    assert (await query(sim, "T0010"))[1]["TradeStatus"] == "10200095"


async def test_advancing_the_clock_answers_after_what_fell_due_has_happened(sim: Sim) -> None:
    """The control API's clock advance fires due timers before it answers: a code past its
    expiry is expired in its answer, not whenever the background scheduler next runs
    (stopped here, so only the advance itself can have fired the timer)."""
    await choose(sim, await checkout(sim, "T0011", ChoosePayment="CVS"), "CVS")
    code = sim.domain.orders.find_by_merchant_order(TENANT, "T0011")
    for task in asyncio.all_tasks():
        if task.get_name() == "timer-scheduler":
            task.cancel()
    await asyncio.sleep(0)
    seconds = code["expires_at"] - sim.domain.clock.now() + 1
    advanced = await sim.control("POST", "/clock/advance", {"seconds": seconds})
    assert advanced.status == 200
    assert sim.domain.orders.get(TENANT, code["id"])["status"] == "expired"
    assert (await query(sim, "T0011"))[1]["TradeStatus"] == "10200095"
