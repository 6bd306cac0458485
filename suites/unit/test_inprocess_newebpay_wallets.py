"""NewebPay's Apple Pay (APPLEPAY=1) and Google Pay (ANDROIDPAY=1) on the MPG page in
process: the **Apple Pay** / **Google Pay** buttons open the simulated sheet, Approve pays by
card as that wallet's card (NotifyURL and ReturnURL say PaymentType APPLEPAY / ANDROIDPAY
with the card fields), Cancel changes nothing, and QueryTradeInfo and CreditCard/Close
treat the trade as a card's."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import (
    NewebPay,
    Receiver,
    posted_forms,
    serve_receiver,
    shown,
)
from paylab.suites.unit.test_inprocess_newebpay_pay import notified, valid

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
TOGGLES = {"APPLEPAY": ("apple_pay", "Apple Pay", "APPLEPAY"),
           "ANDROIDPAY": ("google_pay", "Google Pay", "GOOGLEPAY")}


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    return await serve_receiver(aiohttp_server)


def _form(answer: Answer, testid: str) -> str:
    match = re.search(rf'action="([^"]+)"[^>]*data-testid="{testid}"', answer.text)
    assert match, f"no form {testid}"
    return html.unescape(match.group(1))


async def _sheet(nwp: NewebPay, location: str, toggle: str) -> Answer:
    page = await nwp.sim.page("GET", location)
    link = re.search(rf'href="([^"]+)" role="button" class="mpg-method" '
                     rf'data-testid="method-{TOGGLES[toggle][0].replace("_", "")}"', page.text)
    assert link, "no wallet button"
    sheet = await nwp.sim.page("GET", html.unescape(link.group(1)))
    assert sheet.status == 200 and 'data-testid="wallet-sheet"' in sheet.text
    return sheet


@pytest.mark.parametrize("toggle", ["APPLEPAY", "ANDROIDPAY"])
async def test_the_toggle_offers_the_wallets_button(nwp: NewebPay, toggle: str) -> None:
    page = await nwp.sim.page("GET", await nwp.start(**{toggle: 1, "CREDIT": 1}))
    assert f">{TOGGLES[toggle][1]} <span" in page.text
    assert ">Credit card <span" in page.text


async def test_wallets_are_not_offered_without_their_toggle(nwp: NewebPay) -> None:
    page = await nwp.sim.page("GET", await nwp.start())
    assert "Apple Pay" not in page.text and "Google Pay" not in page.text


@pytest.mark.parametrize("toggle", ["APPLEPAY", "ANDROIDPAY"])
async def test_approve_pays_by_card_under_the_wallets_payment_type(
        nwp: NewebPay, receiver: Receiver, toggle: str) -> None:
    wallet, label, payment_method = TOGGLES[toggle]
    location = await nwp.start(**{toggle: 1}, NotifyURL=receiver.url,
                               ReturnURL="http://127.0.0.1:9/return")
    sheet = await _sheet(nwp, location, toggle)
    assert f"Pay with {label}" in sheet.text and "NT$100" in sheet.text
    approved = await nwp.sim.page("POST", _form(sheet, "wallet-approve-form"),
                                  {"decision": "approve"})
    assert approved.status == 303 and approved.headers["Location"] == location + "&done=1"
    page = (await nwp.sim.page("GET", approved.headers["Location"])).text
    assert shown(page, "mpg-status") == "SUCCESS" and shown(page, "mpg-message") == "授權成功"
    status, message, result = nwp.open(posted_forms(page)["return-post"][1])
    assert (result["PaymentType"], result["PaymentMethod"]) == (toggle, payment_method)
    assert (result["Card6No"], result["Card4No"], result["RespondCode"]) == (
        "424242", "4242", "00")
    valid("notify", {"Status": status, "Message": message, "Result": result})
    n_status, _, n_result = await notified(nwp, receiver)
    assert (n_status, n_result) == (status, result)
    order = nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                         "Order_1")
    assert (order["method"], order["card"]["wallet"]) == (wallet, wallet)
    query = await nwp.query("Order_1", 100)
    answer = query.body if isinstance(query.body, dict) else {}
    assert answer["Result"]["PaymentType"] == toggle
    assert answer["Result"]["PaymentMethod"] == payment_method
    valid("query_response", answer)
    closed = await nwp.close("Order_1", 100, 1)
    assert closed.body["Status"] == "SUCCESS", closed.body


async def test_cancel_on_the_sheet_goes_back_with_nothing_changed(nwp: NewebPay) -> None:
    location = await nwp.start(APPLEPAY=1, CREDIT=1)
    sheet = await _sheet(nwp, location, "APPLEPAY")
    token = re.search(r'name="token" value="([^"]+)"', sheet.text).group(1)  # type: ignore[union-attr]
    back = await nwp.sim.page("GET", f"{_form(sheet, 'wallet-cancel-form')}?token={token}")
    assert back.status == 200 and 'data-testid="mpg-page"' in back.text
    order = nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                         "Order_1")
    assert (order["status"], order["method"]) == ("created", None)


async def test_a_declining_sheet_card_fails_the_payment(nwp: NewebPay,
                                                        receiver: Receiver) -> None:
    location = await nwp.start(ANDROIDPAY=1, NotifyURL=receiver.url)
    sheet = await _sheet(nwp, location, "ANDROIDPAY")
    answer = await nwp.sim.page("POST", _form(sheet, "wallet-approve-form"),
                                {"card": "pm_card_chargeDeclined_googlepay"})
    page = (await nwp.sim.page("GET", answer.headers["Location"])).text
    assert shown(page, "mpg-status") == "MPG03009"
    status, _, result = await notified(nwp, receiver)
    assert (status, result["PaymentType"], result["RespondCode"]) == (
        "MPG03009", "ANDROIDPAY", "05")


async def test_a_wallet_is_never_paid_by_the_method_form_nor_unoffered(nwp: NewebPay) -> None:
    location = await nwp.start(APPLEPAY=1, CREDIT=1)
    posted = await nwp.sim.page("POST", location, {"method": "APPLEPAY"})
    assert posted.status == 303 and posted.headers["Location"].endswith("&method=APPLEPAY")
    order = nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                         "Order_1")
    approve = f"/newebpay/MPG/wallet/{order['id']}?token={order['page_token']}"
    refused = await nwp.sim.page("POST", approve + "&wallet=google_pay", {})
    assert refused.status == 303
    forged = await nwp.sim.page("POST", f"/newebpay/MPG/wallet/{order['id']}?wallet=apple_pay")
    assert forged.status == 404
    bad_card = await nwp.sim.page("POST", approve + "&wallet=apple_pay",
                                  {"card": "<script>x</script>"})
    assert bad_card.status == 400 and "<script>x" not in bad_card.text
    now = nwp.sim.domain.orders.get(f"newebpay-{nwp.merchant_id}", order["id"])
    assert (now["status"], now["method"]) == ("created", None)
