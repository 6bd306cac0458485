"""ECPay's Apple Pay in process: ChoosePayment=ApplePay (and ApplePay among ALL's choices,
left out by IgnorePayment), the cashier's **Apple Pay** button and the simulated sheet
(Approve pays by card as an Apple Pay card, Cancel changes nothing), the ReturnURL notice's
and QueryTradeInfo's PaymentType, and DoAction on the trade."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from paylab.simulator.gateways.ecpay import render
from paylab.suites.unit.ecpay_kit import TENANT, checkout, choose, violations
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, start
from paylab.suites.unit.test_inprocess_ecpay_api import action, query


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _form(answer: Answer, testid: str) -> str:
    match = re.search(rf'action="([^"]+)"[^>]*data-testid="{testid}"', answer.text)
    assert match, f"no form {testid}"
    return html.unescape(match.group(1))


async def _sheet(sim: Sim, no: str = "A0001", **fields: Any) -> Answer:
    cashier = await checkout(sim, no, **{"ChoosePayment": "ApplePay", **fields})
    assert cashier.status == 200, cashier.text[-400:]
    sheet = await choose(sim, cashier, "ApplePay")
    assert sheet.status == 200 and 'data-testid="wallet-sheet"' in sheet.text
    return sheet


async def _approve(sim: Sim, sheet: Answer, card: str | None = None) -> Answer:
    answer = await sim.page("POST", _form(sheet, "wallet-approve-form"),
                            {"card": card} if card else {"decision": "approve"})
    if answer.status == 303:
        return await sim.page("GET", answer.headers["Location"])
    return answer


async def test_choose_payment_apple_pay_offers_only_the_apple_pay_button(sim: Sim) -> None:
    cashier = await checkout(sim, ChoosePayment="ApplePay")
    assert 'aria-label="Apple Pay"' in cashier.text
    assert 'aria-label="Credit card"' not in cashier.text
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["methods"] == ["apple_pay"]


@pytest.mark.parametrize(("ignore", "offered"), [(None, True), ("ApplePay", False),
                                                 ("Credit#ApplePay", False)])
async def test_apple_pay_is_among_alls_choices_unless_ignored(
        sim: Sim, ignore: str | None, offered: bool) -> None:
    cashier = await checkout(sim, ChoosePayment="ALL", IgnorePayment=ignore)
    assert ('aria-label="Apple Pay"' in cashier.text) is offered


async def test_approve_pays_by_card_as_apple_pay_and_the_notice_says_applepay(
        sim: Sim) -> None:
    sheet = await _sheet(sim)
    assert "NT$500" in sheet.text and ">Approve</button>" in sheet.text
    result = await _approve(sim, sheet)
    assert result.status == 200 and 'data-testid="payment-type">ApplePay<' in result.text
    order = sim.domain.orders.find_by_merchant_order(TENANT, "A0001")
    assert (order["status"], order["method"], order["card"]["wallet"]) == (
        "authorized", "apple_pay", "apple_pay")
    notice = render.result_fields(order, render.FIRST_NOTICE)
    assert notice["PaymentType"] == "ApplePay" and notice["RtnCode"] == "1"
    assert violations("ecpay/return_notification", {**notice, "CheckMacValue": "0" * 64}) == []
    _answer, fields = await query(sim, "A0001")
    assert (fields["PaymentType"], fields["TradeStatus"]) == ("ApplePay", "1")
    assert violations("ecpay/query_trade_info_response", fields) == []


async def test_extra_paid_info_carries_the_wallet_cards_digits(sim: Sim) -> None:
    await _approve(sim, await _sheet(sim, NeedExtraPaidInfo="Y"))
    order = sim.domain.orders.find_by_merchant_order(TENANT, "A0001")
    notice = render.result_fields(order, render.FIRST_NOTICE)
    assert (notice["card4no"], notice["card6no"]) == ("4242", "424242")


async def test_cancel_on_the_sheet_goes_back_to_the_cashier_with_nothing_changed(
        sim: Sim) -> None:
    sheet = await _sheet(sim)
    token = re.search(r'name="token" value="([^"]+)"', sheet.text).group(1)  # type: ignore[union-attr]
    back = await sim.page("GET", f"{_form(sheet, 'wallet-cancel-form')}?token={token}")
    assert back.status == 200 and 'data-testid="ecpay-cashier"' in back.text
    order = sim.domain.orders.find_by_merchant_order(TENANT, "A0001")
    assert (order["status"], order["method"], order["card"]) == ("created", None, None)


async def test_a_declining_sheet_card_shows_the_decline_and_can_be_retried(sim: Sim) -> None:
    sheet = await _sheet(sim)
    declined = await _approve(sim, sheet, "pm_card_chargeDeclined_applepay")
    assert declined.status == 402 and "Your card was declined." in declined.text
    assert sim.domain.orders.find_by_merchant_order(TENANT, "A0001")["status"] == "failed"
    again = await _approve(sim, sheet)
    assert 'data-testid="payment-type">ApplePay<' in again.text


async def test_a_sheet_for_a_wallet_the_order_does_not_offer_pays_nothing(sim: Sim) -> None:
    cashier = await checkout(sim, ChoosePayment="Credit")
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    url = f"/ecpay/Cashier/Order/{order['id']}/wallet?token={order['page_token']}"
    for wallet in ("apple_pay", "google_pay", "<b>"):
        answer = await sim.page("POST", f"{url}&wallet={wallet}", {"card": "x"})
        assert answer.status == 303
    assert sim.domain.orders.get(TENANT, order["id"])["status"] == "created"
    assert cashier.status == 200
    missing = await sim.page("GET", f"/ecpay/Cashier/Order/{order['id']}/wallet?wallet=apple_pay")
    assert missing.status == 404


async def test_do_action_closes_and_refunds_an_apple_pay_trade(sim: Sim) -> None:
    await _approve(sim, await _sheet(sim))
    order = sim.domain.orders.find_by_merchant_order(TENANT, "A0001")
    assert (await action(sim, order, "C"))["RtnCode"] == "1"
    refunded = await action(sim, order, "R", 200)
    assert refunded["RtnCode"] == "1"
    assert sim.domain.orders.get(TENANT, order["id"])["refunded_amount"] == 200
