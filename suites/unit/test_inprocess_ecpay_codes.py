"""ECPay code payments in process: ATM, CVS and BARCODE codes shown on the cashier with their
PaymentInfoURL notice and ClientRedirectURL post, expiry on the virtual clock, the simulate
control (paid, expired, failed), WebATM, and the ReturnURL notice: its fields, `1|OK`
contract, resends with `RtnMsg=paid`, SimulatePaid, a bad_signature scenario effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from paylab.simulator.gateways.ecpay.notify import RETRY_SCHEDULE
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.unit.ecpay_kit import (
    IV,
    KEY,
    TENANT,
    Receiver,
    checkout,
    choose,
    hidden_fields,
    shown,
    violations,
)
from paylab.suites.unit.inprocess import ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    # the default schedule leaves each gateway its own (ECPay's four 10-minute resends)
    return await start(aiohttp_client, retry_schedule=DEFAULT_RETRY_SCHEDULE)


@pytest.fixture
async def shop(aiohttp_server: ServerFactory) -> Receiver:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/ecpay/{kind}", hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url("/ecpay"))
    return hook


async def order_with_code(sim: Sim, shop: Receiver, choice: str, no: str = "T0001",
                          **fields: Any) -> tuple[dict[str, Any], Any]:
    form = {"ChoosePayment": choice, "ReturnURL": f"{shop.url}/return",
            "PaymentInfoURL": f"{shop.url}/info", **fields}
    page = await choose(sim, await checkout(sim, no, **form), choice)
    return sim.domain.orders.find_by_merchant_order(TENANT, no), page


def notices(shop: Receiver, message: str | None = None) -> list[dict[str, str]]:
    return [r for r in shop.received if message is None or r.get("RtnMsg") == message]


def genuine(fields: dict[str, str]) -> bool:
    return fields["CheckMacValue"] == ecpay_check_mac_value(fields, KEY, IV)


async def test_an_atm_account_is_shown_and_announced_to_payment_info_url(
        sim: Sim, shop: Receiver) -> None:
    order, page = await order_with_code(sim, shop, "ATM", ExpireDate=5,
                                        ChooseSubPayment="ESUN")
    assert page.status == 200 and order["status"] == "awaiting_payment"
    assert shown(page, "virtual-account") == order["code"]["account"]
    assert shown(page, "bank-code") == "808"
    await eventually(lambda: _count(shop, 1))
    info = shop.received[0]
    assert genuine(info) and violations("ecpay/payment_info_notification", info) == []
    assert (info["RtnCode"], info["RtnMsg"]) == ("2", "Get VirtualAccount Succeeded")
    assert (info["BankCode"], info["vAccount"]) == ("808", order["code"]["account"])
    assert info["PaymentType"] == "ATM_ESUN" and info["TradeAmt"] == "500"
    assert info["ExpireDate"] == shown(page, "expire-date") and len(info["ExpireDate"]) == 10
    assert info["CustomField2"] == "echo-2"
    assert list(info) == ["BankCode", "CustomField1", "CustomField2", "CustomField3",
                          "CustomField4", "ExpireDate", "MerchantID", "MerchantTradeNo",
                          "PaymentType", "RtnCode", "RtnMsg", "StoreID", "TradeAmt",
                          "TradeDate", "TradeNo", "vAccount", "CheckMacValue"]


async def test_a_cvs_code_and_a_barcode_are_shown_and_announced(sim: Sim, shop: Receiver
                                                               ) -> None:
    order, page = await order_with_code(sim, shop, "CVS", StoreExpireDate=30)
    assert shown(page, "payment-no") == order["code"]["payment_no"]
    await eventually(lambda: _count(shop, 1))
    cvs = shop.received[0]
    assert (cvs["RtnCode"], cvs["RtnMsg"], cvs["PaymentNo"]) == (
        "10100073", "Get CVS Code Succeeded.", order["code"]["payment_no"])
    assert order["code"]["payment_no"].startswith("LLL") and cvs["Barcode1"] == ""
    assert violations("ecpay/payment_info_notification", cvs) == []
    assert order["expires_at"] == pytest.approx(sim.domain.clock.now() + 30 * 60, abs=2)
    shop.received.clear()
    bar, page = await order_with_code(sim, shop, "BARCODE", "T0002")
    await eventually(lambda: _count(shop, 1))
    info = shop.received[0]
    assert [info["Barcode1"], info["Barcode2"], info["Barcode3"]] == bar["code"]["barcodes"]
    assert (info["PaymentNo"], info["RtnMsg"]) == ("", "Get CVS Code Succeeded.")
    assert violations("ecpay/payment_info_notification", info) == []
    assert bar["expires_at"] == pytest.approx(sim.domain.clock.now() + 7 * 86400, abs=2)


async def test_client_redirect_url_gets_the_code_from_the_browser(sim: Sim, shop: Receiver
                                                                ) -> None:
    _, page = await order_with_code(sim, shop, "CVS",
                                    ClientRedirectURL="https://shop.example/code")
    posted = hidden_fields(page)
    assert 'action="https://shop.example/code"' in page.text
    assert posted["RtnCode"] == "10100073" and genuine(posted)


@pytest.mark.parametrize(("choice", "seconds"), [("CVS", 10 * 60), ("BARCODE", 2 * 86400)])
async def test_a_code_expires_on_the_virtual_clock(sim: Sim, shop: Receiver, choice: str,
                                                   seconds: int) -> None:
    minutes_or_days = 10 if choice == "CVS" else 2
    order, _ = await order_with_code(sim, shop, choice, StoreExpireDate=minutes_or_days)
    await sim.control("POST", "/clock/advance", {"seconds": seconds - 5})
    await eventually(lambda: _status(sim, order["id"], "awaiting_payment"))
    await sim.control("POST", "/clock/advance", {"seconds": 10})
    await eventually(lambda: _status(sim, order["id"], "expired"))
    page = await sim.page("GET", f"/ecpay/Cashier/Order/{order['id']}?token="
                                 f"{order['page_token']}")
    assert page.status == 410 and 'data-testid="cashier-expired"' in page.text


async def test_an_atm_account_lasts_to_the_end_of_its_taiwan_day(sim: Sim, shop: Receiver
                                                               ) -> None:
    order, _ = await order_with_code(sim, shop, "ATM", ExpireDate=1)
    left = order["expires_at"] - sim.domain.clock.now()
    assert 86400 <= left < 2 * 86400
    assert (order["expires_at"] + 8 * 3600) % 86400 == 86399  # 23:59:59 in Taiwan


async def test_simulate_paid_notifies_return_url_with_simulate_paid(sim: Sim, shop: Receiver
                                                                  ) -> None:
    order, _ = await order_with_code(sim, shop, "CVS")
    answer = await sim.control("POST", f"/payments/{order['id']}/simulate", {"outcome": "paid"})
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "paid" and answer.body["simulated"] is True
    await eventually(lambda: _count(shop, 2))
    paid = notices(shop, "交易成功")[0]
    assert genuine(paid) and violations("ecpay/return_notification", paid) == []
    assert (paid["RtnCode"], paid["SimulatePaid"], paid["PaymentType"]) == (
        "1", "1", "CVS_CVS")
    assert paid["TradeNo"] == order["reference"] and paid["MerchantTradeNo"] == "T0001"
    again = await sim.control("POST", f"/payments/{order['id']}/simulate",
                              {"outcome": "paid"})
    assert again.status == 409


@pytest.mark.parametrize("outcome", ["expired", "failed"])
async def test_simulate_expired_or_failed_sends_no_payment_notice(
        sim: Sim, shop: Receiver, outcome: str) -> None:
    order, _ = await order_with_code(sim, shop, "ATM")
    answer = await sim.control("POST", f"/payments/{order['id']}/simulate",
                               {"outcome": outcome})
    assert answer.body["status"] == outcome
    await eventually(lambda: _count(shop, 1))
    assert [r["RtnCode"] for r in shop.received] == ["2"]
    page = await sim.page("GET", f"/ecpay/Cashier/Order/{order['id']}?token="
                                 f"{order['page_token']}")
    assert page.status == 410 and f'data-testid="cashier-{outcome}"' in page.text


async def test_simulate_refuses_unknown_ids_and_bad_outcomes(sim: Sim) -> None:
    assert (await sim.control("POST", "/payments/ord_nope/simulate",
                              {"outcome": "paid"})).status == 404
    assert (await sim.control("POST", "/payments/ord_nope/simulate",
                              {"outcome": "later"})).status == 400


async def test_webatm_pays_at_once_and_notifies(sim: Sim, shop: Receiver) -> None:
    _, page = await order_with_code(sim, shop, "WebATM", ChooseSubPayment="BOT")
    assert 'data-testid="ecpay-result"' in page.text
    await eventually(lambda: _count(shop, 1))
    assert shop.received[0]["PaymentType"] == "WebATM_BOT"
    assert shop.received[0]["SimulatePaid"] == "0"


async def test_a_card_payment_notifies_return_url_once_on_1_ok(sim: Sim, shop: Receiver) -> None:
    from paylab.suites.unit.ecpay_kit import pay_card

    cashier = await checkout(sim, ReturnURL=f"{shop.url}/return", NeedExtraPaidInfo="Y")
    await pay_card(sim, await choose(sim, cashier, "Credit"))
    await eventually(lambda: _count(shop, 1))
    paid = shop.received[0]
    assert (paid["RtnMsg"], paid["PaymentType"], paid["card4no"]) == (
        "交易成功", "Credit_CreditCard", "2222")
    assert genuine(paid) and violations("ecpay/return_notification", paid) == []
    deliveries = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body
    assert deliveries["deliveries"][0]["status"] == "delivered"


async def test_anything_but_1_ok_is_resent_with_rtn_msg_paid(sim: Sim, shop: Receiver) -> None:
    shop.answers = [(200, "OK"), (500, "1|OK"), (200, "0|CheckMacValue Error")]
    order, _ = await order_with_code(sim, shop, "CVS", PaymentInfoURL=None)
    await sim.control("POST", f"/payments/{order['id']}/simulate", {"outcome": "paid"})
    await eventually(lambda: _count(shop, 1))
    for n in range(2, 5):
        await sim.control("POST", "/clock/advance", {"seconds": RETRY_SCHEDULE[n - 2]})
        await eventually(lambda n=n: _count(shop, n))
    assert [r["RtnMsg"] for r in shop.received] == ["交易成功", "paid", "paid", "paid"]
    assert all(genuine(r) for r in shop.received)
    rows = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body["deliveries"]
    assert rows[0]["status"] == "delivered" and rows[0]["attempt_count"] == 4


async def test_a_receiver_that_never_acknowledges_gets_five_notices(sim: Sim, shop: Receiver
                                                                  ) -> None:
    shop.answers = [(200, "fine")] * 10
    order, _ = await order_with_code(sim, shop, "CVS", PaymentInfoURL=None)
    await sim.control("POST", f"/payments/{order['id']}/simulate", {"outcome": "paid"})
    for n, delay in enumerate((0.0, *RETRY_SCHEDULE), 1):
        await sim.control("POST", "/clock/advance", {"seconds": delay})
        await eventually(lambda n=n: _count(shop, n))
    await sim.control("POST", "/clock/advance", {"seconds": 3600})
    rows = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body["deliveries"]
    assert rows[0]["status"] == "failed" and len(shop.received) == 5


async def test_a_bad_signature_scenario_breaks_the_check_mac_value(sim: Sim, shop: Receiver
                                                                 ) -> None:
    rule = {"name": "bad-cmv", "rules": [{"name": "cmv", "match": {"gateway": "ecpay"},
                                          "effects": [{"webhook": {"bad_signature": True}}]}]}
    assert (await sim.control("PUT", "/scenario", rule)).status == 200
    await order_with_code(sim, shop, "ATM")
    await eventually(lambda: _count(shop, 1))
    assert not genuine(shop.received[0])


async def _count(shop: Receiver, n: int) -> bool:
    return len(shop.received) >= n


async def _status(sim: Sim, order_id: str, status: str) -> bool:
    return sim.domain.orders.get(TENANT, order_id)["status"] == status


async def test_a_scenario_makes_the_shopper_pay_a_store_code_late(sim: Sim, shop: Receiver
                                                                 ) -> None:
    rule = {"name": "late", "rules": [{"name": "late", "match": {
        "gateway": "ecpay", "payment_method": "cvs"},
        "effects": [{"outcome": {"processing": {"seconds": 1800}}}]}]}
    assert (await sim.control("PUT", "/scenario", rule)).status == 200
    order, _ = await order_with_code(sim, shop, "CVS", PaymentInfoURL=None)
    await sim.control("POST", "/clock/advance", {"seconds": 1801})
    await eventually(lambda: _count(shop, 1))
    paid = shop.received[0]
    assert (paid["RtnMsg"], paid["SimulatePaid"]) == ("交易成功", "0")
    assert sim.domain.orders.get(TENANT, order["id"])["status"] == "paid"


async def test_webhook_rules_name_ecpays_notices(sim: Sim, shop: Receiver) -> None:
    rule = {"name": "dup", "rules": [{"name": "dup", "match": {
        "gateway": "ecpay", "event": "PaymentInfoURL"},
        "effects": [{"webhook": {"duplicate": 1}}]}]}
    assert (await sim.control("PUT", "/scenario", rule)).status == 200
    order, _ = await order_with_code(sim, shop, "ATM")
    await sim.control("POST", f"/payments/{order['id']}/simulate", {"outcome": "paid"})
    await eventually(lambda: _count(shop, 3))
    rows = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body["deliveries"]
    assert sorted(r["copy"] for r in rows) == [0, 0, 1]
    assert sorted(r["RtnCode"] for r in shop.received) == ["1", "2", "2"]
