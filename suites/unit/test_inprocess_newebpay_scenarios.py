"""The scenario engine on NewebPay in process: rules match `gateway: newebpay`, the payment
method and the amount; injected faults answer in NewebPay's shapes (its MPG error page for
a browser, its JSON for a server API) and change nothing; forced outcomes reach the MPG
card form. And the nightly close can be switched off."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.gateways import newebpay
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import NewebPay, shown

CARD = "4000221111111111"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


async def scenario(sim: Sim, match: dict[str, Any], effect: dict[str, Any]) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": match, "effects": [effect]}]}
    answer = await sim.control("PUT", "/scenario", rules)
    assert answer.status == 200, answer.body


def tenant(nwp: NewebPay) -> str:
    return f"newebpay-{nwp.merchant_id}"


async def test_an_injected_fault_is_the_error_page_on_the_mpg_and_json_on_apis(
        nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "newebpay"}, {"error": {"status": 503}})
    page = await nwp.mpg()
    assert page.status == 503 and shown(page.text, "error-code") == "NOR1001"
    assert nwp.sim.domain.orders.find_by_merchant_order(tenant(nwp), "Order_1") is None
    answer = await nwp.query("Order_1", 100)
    assert answer.status == 503
    assert answer.body == {"Status": "NOR1001", "Message": "連線異常", "Result": []}


async def test_a_429_is_newebpays_rate_limit_code(nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "newebpay"}, {"error": {"status": 429}})
    page = await nwp.mpg()
    assert page.status == 429 and shown(page.text, "error-code") == "MPG03003"


async def test_rules_match_the_payment_method_and_amount(nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "newebpay", "payment_method": "cvs",
                             "amount": {"min": 400}}, {"error": {"status": 502}})
    big = await nwp.start(MerchantOrderNo="Big", Amt=500)
    assert (await nwp.sim.page("POST", big, {"method": "CVS"})).status == 502
    assert (await nwp.sim.page("POST", big, {"method": "VACC"})).status == 303
    small = await nwp.start(MerchantOrderNo="Small", Amt=100)
    assert (await nwp.sim.page("POST", small, {"method": "CVS"})).status == 303


async def test_rules_of_another_gateway_leave_newebpay_alone(nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "ecpay"}, {"error": {"status": 503}})
    assert (await nwp.mpg()).status == 303


async def test_a_forced_decline_reaches_the_card_form(nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "newebpay", "payment_method": "card"},
                   {"outcome": {"decline": "do_not_honor"}})
    location = await nwp.start()
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": CARD,
                                                   "expiry": "12/30", "cvc": "123"})
    assert answer.status == 303
    page = await nwp.sim.page("GET", location)
    assert shown(page.text, "mpg-status") == "MPG03009"
    order = nwp.sim.domain.orders.find_by_merchant_order(tenant(nwp), "Order_1")
    assert order["failure"]["decline_code"] == "do_not_honor"


async def test_the_nightly_close_can_be_switched_off(nwp: NewebPay) -> None:
    newebpay.configure_close(nwp.sim.domain, "off")
    location = await nwp.start(MerchantOrderNo="Card_1", Amt=500)
    await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": CARD,
                                          "expiry": "12/30", "cvc": "123"})
    nwp.sim.domain.advance_clock(2 * 86400)
    order = nwp.sim.domain.orders.find_by_merchant_order(tenant(nwp), "Card_1")
    assert order["status"] == "authorized"
    assert (await nwp.close("Card_1", 500, 1)).body["Status"] == "SUCCESS"
    assert (await nwp.close("Card_1", 100, 2)).body["Status"] == "SUCCESS"  # no close to wait
    newebpay.configure_close(nwp.sim.domain, "20:00")
    assert nwp.sim.domain.orders.closes["newebpay"].seconds == 20 * 3600


def test_a_guard_refusal_is_newebpays_error_page() -> None:
    response = newebpay.GATEWAY.refusal(421, "misdirected", "Host not served")
    assert response.status == 421 and response.content_type == "text/html"
    assert shown(response.text, "error-code") == "MPG03009"
    assert shown(response.text, "error-message") == "Host not served"
    limited = newebpay.GATEWAY.refusal(429, "rate_limited", "slow down")
    assert shown(limited.text, "error-code") == "MPG03003"


async def test_card_rules_reach_the_card_apis_but_not_the_query(nwp: NewebPay) -> None:
    await scenario(nwp.sim, {"gateway": "newebpay", "payment_method": "card",
                             "path": "/API/*"}, {"error": {"status": 503}})
    close = await nwp.close("Order_1", 100, 1)
    assert close.status == 503 and close.body["Status"] == "NOR1001"
    assert (await nwp.query("Order_1", 100)).status == 200
