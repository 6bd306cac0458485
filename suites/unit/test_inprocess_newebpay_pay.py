"""Paying on NewebPay's hosted MPG page in process, each method with its results: the
NotifyURL post (delivered through the outbox), the ReturnURL and CustomerURL posts the page
makes, in RespondType JSON and String, each with a TradeInfo that decrypts and a TradeSha
that verifies; codes settled by `simulate` or expiring on the virtual clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.contracts import contract_id
from paylab.simulator.gateways.newebpay.render import TAIPEI
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, eventually, start
from paylab.suites.unit.newebpay_client import (
    NewebPay,
    Receiver,
    posted_forms,
    serve_receiver,
    shown,
)

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
CARD = "4000 2211 1111 1111"  # NewebPay's stage card (gateways.md 2.5)


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    return await serve_receiver(aiohttp_server)


def valid(name: str, instance: Any) -> None:
    errors = contracts().errors(contract_id(f"newebpay/{name}"), instance)
    assert not errors, errors


def paid_at(nwp: NewebPay, order_no: str = "Order_1") -> str:
    """When the order was authorised or paid, as NewebPay prints it (Taiwan time)."""
    order = nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                         order_no)
    moment = order["authorized_at"] or order["paid_at"]
    assert abs(moment - nwp.now()) < 5
    return dt.datetime.fromtimestamp(moment, TAIPEI).strftime("%Y-%m-%d %H:%M:%S")


async def pay(nwp: NewebPay, location: str, method: str, **fields: str) -> str:
    """Submit the page's form for `method`; the page it lands on."""
    answer = await nwp.sim.page("POST", location, {"method": method, **fields})
    assert answer.status == 303, answer.text
    assert answer.headers["Location"] == location + "&done=1"  # the result just happened
    page = await nwp.sim.page("GET", answer.headers["Location"])
    assert page.status == 200, page.text
    return page.text


async def notified(nwp: NewebPay, receiver: Receiver, count: int = 1
                   ) -> tuple[str, str, dict[str, Any]]:
    async def arrived() -> bool:
        return len(receiver.received) >= count
    await eventually(arrived)
    form = receiver.received[count - 1]
    valid("outer_form", form)
    return nwp.open(form)


@pytest.mark.parametrize("respond_type", ["JSON", "String"])
async def test_a_card_payment_notifies_and_posts_back(nwp: NewebPay, receiver: Receiver,
                                                      respond_type: str) -> None:
    location = await nwp.start(RespondType=respond_type, NotifyURL=receiver.url,
                               ReturnURL="http://127.0.0.1:9/return")
    page = await pay(nwp, location, "CREDIT", cardnumber=CARD, expiry="12/30", cvc="123")
    assert shown(page, "mpg-status") == "SUCCESS" and shown(page, "mpg-message") == "授權成功"
    action, form = posted_forms(page)["return-post"]
    assert action == "http://127.0.0.1:9/return"
    status, message, result = nwp.open(form)
    assert (status, message, form["Status"], form["MerchantID"]) == (
        "SUCCESS", "授權成功", "SUCCESS", nwp.merchant_id)
    amount = 100 if respond_type == "JSON" else "100"
    assert result["Amt"] == amount and result["MerchantOrderNo"] == "Order_1"
    assert (result["PaymentType"], result["Card6No"], result["Card4No"], result["Exp"],
            result["RespondCode"], result["PaymentMethod"], result["RespondType"]) == (
        "CREDIT", "400022", "1111", "3012", "00", "CREDIT", respond_type)
    assert result["PayTime"] == paid_at(nwp) and len(result["TradeNo"]) == 17
    assert re.fullmatch(r"\d{6}", result["Auth"]) and result["ECI"] == ""  # no 3-D Secure
    n_status, _, n_result = await notified(nwp, receiver)
    assert (n_status, n_result) == (status, result)
    valid("notify", {"Status": status, "Message": message, "Result": result}
          if respond_type == "JSON" else {"Status": status, "Message": message, **result})
    assert len(receiver.received) == 1
    later = (await nwp.sim.page("GET", location)).text  # a later visit: the button only
    assert posted_forms(later) == {} and "autopost.js" not in later
    assert posted_forms(later, auto=False)["return-post"] == (action, form)


async def test_json_results_survive_the_sdk_stripping_bytes_up_to_0x20(
        nwp: NewebPay, receiver: Receiver) -> None:
    from paylab.simulator.gateways.newebpay import crypto
    location = await nwp.start(NotifyURL=receiver.url)
    await pay(nwp, location, "CREDIT", cardnumber=CARD, expiry="12/30", cvc="123")
    _, _, result = await notified(nwp, receiver)
    plain = crypto.decrypt(receiver.received[0]["TradeInfo"], nwp.hash_key, nwp.hash_iv)
    assert not re.search(r"[\x00-\x20]", plain)
    assert " " in result["PayTime"]  # the space is there once parsed


async def test_a_declined_card_fails_and_says_why(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(NotifyURL=receiver.url, ReturnURL="http://127.0.0.1:9/r")
    page = await pay(nwp, location, "CREDIT", cardnumber="4000000000009995", expiry="12/30",
                     cvc="123")
    assert shown(page, "mpg-status") == "MPG03009"
    assert "餘額不足" in (shown(page, "mpg-message") or "")
    status, message, result = await notified(nwp, receiver)
    assert (status, message) == ("MPG03009", "授權失敗(餘額不足)")
    assert (result["Auth"], result["PayTime"], result["RespondCode"]) == ("", "", "05")
    assert nwp.open(posted_forms(page)["return-post"][1])[0] == "MPG03009"


async def test_a_second_submit_does_not_pay_twice(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(NotifyURL=receiver.url)
    await pay(nwp, location, "CREDIT", cardnumber=CARD, expiry="12/30", cvc="123")
    again = await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": CARD,
                                                  "expiry": "12/30", "cvc": "123"})
    assert again.status == 303
    await notified(nwp, receiver)
    assert len(receiver.received) == 1


async def test_card_form_errors_are_shown_and_nothing_is_paid(nwp: NewebPay) -> None:
    location = await nwp.start()
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": "4000",
                                                   "expiry": "13/30", "cvc": "1"})
    assert answer.status == 400
    assert "Your card number is incomplete." in answer.text
    assert "expiration date is invalid" in answer.text and "security code" in answer.text
    page = await nwp.sim.page("GET", location)
    assert 'data-testid="mpg-methods"' in page.text


@pytest.mark.parametrize(("result", "status", "eci"), [("passed", "SUCCESS", "5"),
                                                       ("failed", "MPG03009", ""),
                                                       ("abandoned", "MPG03009", "")])
async def test_3d_secure(nwp: NewebPay, receiver: Receiver, result: str, status: str,
                         eci: str) -> None:
    location = await nwp.start(NotifyURL=receiver.url)
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT",
                                                   "cardnumber": "4000000000003220",
                                                   "expiry": "12/30", "cvc": "123"})
    landing = await nwp.sim.page("GET", answer.headers["Location"])
    assert landing.status == 303 and "/newebpay/MPG/3ds/" in landing.headers["Location"]
    challenge = await nwp.sim.page("GET", landing.headers["Location"])
    assert challenge.status == 200 and 'data-testid="3ds-complete"' in challenge.text
    done = await nwp.sim.page("POST", landing.headers["Location"], {"result": result})
    assert done.status == 303
    page = await nwp.sim.page("GET", done.headers["Location"])
    assert shown(page.text, "mpg-status") == status
    n_status, message, n_result = await notified(nwp, receiver)
    assert (n_status, n_result["ECI"]) == (status, eci)
    if status != "SUCCESS":
        assert message == "授權失敗(3D驗證失敗)"


async def test_webatm_pays_at_once(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(NotifyURL=receiver.url, ReturnURL="http://127.0.0.1:9/r",
                               WEBATM=1)
    page = await pay(nwp, location, "WEBATM", bank="HNCB")
    assert shown(page, "mpg-status") == "SUCCESS"
    status, message, result = await notified(nwp, receiver)
    assert (status, message, result["PaymentType"], result["PayBankCode"]) == (
        "SUCCESS", "付款成功", "WEBATM", "008")
    assert re.fullmatch(r"\d{5}", result["PayerAccount5Code"])
    assert "return-post" in posted_forms(page)


def _expiry_date(nwp: NewebPay, days: int) -> str:
    return (dt.datetime.fromtimestamp(nwp.now(), TAIPEI).date()
            + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("respond_type", ["JSON", "String"])
async def test_an_atm_account_is_issued_then_paid(nwp: NewebPay, receiver: Receiver,
                                                  respond_type: str) -> None:
    location = await nwp.start(VACC=1, RespondType=respond_type, NotifyURL=receiver.url,
                               CustomerURL="http://127.0.0.1:9/customer")
    page = await pay(nwp, location, "VACC", bank="BOT")
    account, bank = shown(page, "virtual-account"), shown(page, "bank-code")
    assert bank == "004" and re.fullmatch(r"\d{16}", account or "")
    assert shown(page, "expire-date") == f"{_expiry_date(nwp, 6)} 23:59:59"
    action, form = posted_forms(page)["customer-post"]
    assert action == "http://127.0.0.1:9/customer"
    status, message, result = nwp.open(form)
    assert (status, message, result["PaymentType"], result["BankCode"], result["CodeNo"],
            result["ExpireDate"], result["ExpireTime"]) == (
        "SUCCESS", "取號成功", "VACC", "004", account, _expiry_date(nwp, 6), "235959")
    valid("customer", {"Status": status, "Message": message, "Result": result}
          if respond_type == "JSON" else {"Status": status, "Message": message, **result})
    assert receiver.received == []  # NotifyURL hears only of the payment
    order_id = location.split("/")[-1].split("?")[0]
    answer = await nwp.sim.control("POST", f"/payments/{order_id}/simulate",
                                   {"outcome": "paid"})
    assert answer.status == 200, answer.body
    status, message, result = await notified(nwp, receiver)
    assert (status, message, result["PaymentType"], result["PayBankCode"]) == (
        "SUCCESS", "付款成功", "VACC", "008")
    assert result["PayTime"] == paid_at(nwp)


async def test_a_store_code_honours_expire_date_and_time(nwp: NewebPay) -> None:
    day = _expiry_date(nwp, 3)
    location = await nwp.start(CVS=1, ExpireDate=day.replace("-", ""), ExpireTime="180000",
                               CustomerURL="http://127.0.0.1:9/c")
    page = await pay(nwp, location, "CVS")
    code = shown(page, "payment-no") or ""
    assert code.startswith("NWP") and len(code) == 14
    assert shown(page, "expire-date") == f"{day} 18:00:00"
    _, message, result = nwp.open(posted_forms(page)["customer-post"][1])
    assert (message, result["CodeNo"], result["ExpireDate"], result["ExpireTime"]) == (
        "代碼取號成功", code, day, "180000")


async def test_a_barcode_has_three_segments(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(BARCODE=1, NotifyURL=receiver.url)
    page = await pay(nwp, location, "BARCODE")
    segments = [shown(page, f"barcode-{i}") for i in (1, 2, 3)]
    assert all(segments) and len(set(segments)) == 3
    assert "customer-post" not in posted_forms(page)  # no CustomerURL: shown on the page
    order_id = location.split("/")[-1].split("?")[0]
    await nwp.sim.control("POST", f"/payments/{order_id}/simulate", {"outcome": "paid"})
    _, _, result = await notified(nwp, receiver)
    assert [result["Barcode_1"], result["Barcode_2"], result["Barcode_3"]] == segments
    assert (result["PayStore"], result["RepayTimes"]) == ("SEVEN", "1")


async def test_a_code_expires_on_the_virtual_clock(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(CVS=1, NotifyURL=receiver.url)
    await pay(nwp, location, "CVS")
    order_id = location.split("/")[-1].split("?")[0]
    await nwp.sim.control("POST", "/clock/advance", {"seconds": 8 * 86400})

    async def expired() -> bool:
        return nwp.sim.domain.orders.find_any(order_id)[1]["status"] == "expired"
    await eventually(expired)
    assert (await nwp.sim.page("GET", location)).status == 410
    answer = await nwp.query("Order_1", 100)
    assert answer.body["Result"]["TradeStatus"] == "2"
    late = await nwp.sim.control("POST", f"/payments/{order_id}/simulate", {"outcome": "paid"})
    assert late.status == 409
    assert receiver.received == []  # NewebPay notifies payments only


async def test_simulate_expired_and_failed(nwp: NewebPay, receiver: Receiver) -> None:
    first = await nwp.start(CVS=1, MerchantOrderNo="A1", NotifyURL=receiver.url)
    second = await nwp.start(CVS=1, MerchantOrderNo="A2", NotifyURL=receiver.url)
    await pay(nwp, first, "CVS")
    await pay(nwp, second, "CVS")
    for location, outcome in ((first, "expired"), (second, "failed")):
        order_id = location.split("/")[-1].split("?")[0]
        answer = await nwp.sim.control("POST", f"/payments/{order_id}/simulate",
                                       {"outcome": outcome})
        assert answer.body["status"] == outcome
    status, _, result = await notified(nwp, receiver)  # a failed payment is notified
    assert (status, result["MerchantOrderNo"]) == ("MPG03009", "A2")
    assert len(receiver.received) == 1


async def test_a_store_code_paid_in_string_form(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(CVS=1, RespondType="String", NotifyURL=receiver.url)
    code = shown(await pay(nwp, location, "CVS"), "payment-no")
    order_id = location.split("/")[-1].split("?")[0]
    await nwp.sim.control("POST", f"/payments/{order_id}/simulate", {"outcome": "paid"})
    status, _, result = await notified(nwp, receiver)
    assert (status, result["Amt"], result["CodeNo"], result["StoreType"]) == (
        "SUCCESS", "100", code, "1")
    assert re.fullmatch(r"\d{6}", result["StoreID"])
