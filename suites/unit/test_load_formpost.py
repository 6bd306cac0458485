"""The form-post load users' client side in process: the forms load/common/formpost.py
signs are the ones the simulator accepts, each step of the three Locust flows (ECPay card,
ECPay store code then simulate, NewebPay card) passes its check on a right answer and fails
it, saying why, on a wrong one; and the profiles run those users where they should.
(Locust itself cannot be imported here: its gevent patching breaks this process.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from paylab.load.common import formpost as fp
from paylab.load.common.profiles import load_profile, profile_names
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, start

LOAD = Path(__file__).resolve().parents[2] / "load"
TAIWAN_USERS = ("EcpayCreditUser", "EcpayCvsUser", "NewebPayCreditUser")
RETURN = "http://127.0.0.1:9/ecpay/return"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def register(sim: Sim, gateway: str) -> fp.Merchant:
    answer = await sim.control("POST", "/merchants", {"gateway": gateway})
    assert answer.status == 201, answer.body
    return fp.Merchant.of(answer.body)


async def step(sim: Sim, method: str, url: str, data: dict | None = None, *,
               status: int = 200, check: fp.TextCheck | None = None) -> Answer:
    """One request of a flow, asserted as the Locust user asserts it."""
    answer = await sim.page(method, url, data)
    assert answer.status == status, answer.text[:300]
    assert check is None or check(answer.text) is None, check(answer.text)
    return answer


async def test_the_ecpay_card_flow_passes_every_check(sim: Sim) -> None:
    merchant = await register(sim, "ecpay")
    number = fp.trade_no("LC")
    cashier = await step(sim, "POST", fp.AIO, fp.ecpay_order(merchant, number, 800, "Credit",
                                                             RETURN),
                         check=fp.has_form("/choose"))
    card = await step(sim, "POST", fp.form_action(cashier.text), {"payment": "Credit"},
                      check=fp.has_form("/card"))
    query = fp.ecpay_query(merchant, number)
    unpaid = (await sim.page("POST", fp.ECPAY_QUERY, query)).text
    assert fp.ecpay_answer_paid(merchant, number, 800, "Credit_")(unpaid) == (
        f"(MerchantTradeNo, TradeStatus, TradeAmt) is ('{number}', '0', '800'), expected paid")
    paid = await step(sim, "POST", fp.form_action(card.text), fp.ECPAY_CARD, status=303)
    await step(sim, "GET", paid.headers["Location"], check=fp.has_testid("ecpay-result"))
    answer = (await sim.page("POST", fp.ECPAY_QUERY, fp.ecpay_query(merchant, number))).text
    assert fp.ecpay_answer_paid(merchant, number, 800, "Credit_")(answer) is None
    assert fp.ecpay_answer_paid(merchant, number, 800, "CVS_")(answer) == (
        "PaymentType is 'Credit_CreditCard', not CVS_*")
    assert fp.ecpay_answer_paid(merchant, number, 801, "Credit_")(answer) is not None
    other = fp.Merchant("ecpay", merchant.merchant_id, "x" * 16, "y" * 16)
    assert fp.ecpay_answer_paid(other, number, 800, "Credit_")(answer) == (
        "CheckMacValue does not verify")
    assert fp.ecpay_answer_paid(merchant, number, 800, "Credit_")("0|Injected error 503") == (
        "not a QueryTradeInfo answer")


async def test_the_ecpay_store_code_flow_is_unpaid_until_simulated(sim: Sim) -> None:
    merchant = await register(sim, "ecpay")
    number = fp.trade_no("LS")
    cashier = await step(sim, "POST", fp.AIO, fp.ecpay_order(
        merchant, number, 450, "CVS", RETURN, PaymentInfoURL="http://127.0.0.1:9/ecpay/info"),
        check=fp.has_form("/choose"))
    action = fp.form_action(cashier.text)
    issued = await step(sim, "POST", action, {"payment": "CVS"}, status=303)
    await step(sim, "GET", issued.headers["Location"], check=fp.has_testid("payment-no"))
    unpaid = fp.ecpay_answer_unpaid(merchant, number)
    await step(sim, "POST", fp.ECPAY_QUERY, fp.ecpay_query(merchant, number), check=unpaid)
    order = fp.order_id(action)
    assert order and order.startswith("ord_")
    settled = await sim.control("POST", f"/payments/{order}/simulate", {"outcome": "paid"})
    assert settled.body["status"] == "paid"
    answer = (await sim.page("POST", fp.ECPAY_QUERY, fp.ecpay_query(merchant, number))).text
    assert fp.ecpay_answer_paid(merchant, number, 450, "CVS_")(answer) is None
    assert unpaid(answer) == f"(MerchantTradeNo, TradeStatus) ('{number}', '1')"


async def test_the_newebpay_card_flow_passes_every_check(sim: Sim) -> None:
    merchant = await register(sim, "newebpay")
    number = fp.trade_no("LN")
    started = await step(sim, "POST", fp.MPG, fp.newebpay_mpg(
        merchant, number, 900, NotifyURL="http://127.0.0.1:9/newebpay/notify"), status=303)
    page = started.headers["Location"]
    await step(sim, "GET", page, check=fp.has_testid("mpg-methods"))
    query = fp.newebpay_query(merchant, number, 900)
    assert fp.newebpay_answer_paid(merchant, number, 900)(
        (await sim.page("POST", fp.NEWEBPAY_QUERY, query)).text) == (
        f"(MerchantOrderNo, TradeStatus, Amt) is ('{number}', '0', 900), expected paid")
    paid = await step(sim, "POST", page, {"method": "CREDIT", **fp.NEWEBPAY_CARD}, status=303)
    await step(sim, "GET", paid.headers["Location"],
               check=fp.has_testid("mpg-status", "SUCCESS"))
    answer = (await sim.page("POST", fp.NEWEBPAY_QUERY, query)).text
    assert fp.newebpay_answer_paid(merchant, number, 900)(answer) is None
    forged = re.sub(r'"CheckCode":"[0-9A-F]+"', '"CheckCode":"00"', answer)
    assert fp.newebpay_answer_paid(merchant, number, 900)(forged) == "CheckCode does not verify"
    assert fp.newebpay_answer_paid(merchant, number, 900)("<html>") == "not a JSON answer"
    wrong = (await sim.page("POST", fp.NEWEBPAY_QUERY,
                            fp.newebpay_query(merchant, number, 901))).text
    assert fp.newebpay_answer_paid(merchant, number, 901)(wrong).startswith("Status ")


def test_page_checks_say_what_is_missing() -> None:
    page = ('<form method="post" action="/ecpay/Cashier/Order/ord_1/card?token=a&amp;b=c">'
            '<p data-testid="mpg-status">MPG03009</p>')
    assert fp.form_action(page) == "/ecpay/Cashier/Order/ord_1/card?token=a&b=c"
    assert fp.order_id(fp.form_action(page)) == "ord_1"
    assert fp.has_form("/card")(page) is None
    assert fp.has_form("/choose")(page) == "no form posting to /choose in the page"
    assert fp.has_testid("mpg-status", "SUCCESS")(page) == (
        "mpg-status is 'MPG03009', not 'SUCCESS'")
    assert fp.has_testid("payment-no")(page) == "no payment-no in the page"


def test_failure_reasons_name_the_scenario_without_varying_figures() -> None:
    assert fp.scenario_note(None) == ""
    assert fp.scenario_note("truncated-body:network=truncate; jitter:latency=115.33ms") == (
        " [scenario: truncated-body:network=truncate; jitter:latency]")
    assert fp.scenario_note("outage:error=503") == " [scenario: outage:error=503]"


def test_trade_numbers_fit_both_gateways_and_never_repeat() -> None:
    numbers = {fp.trade_no("LC") for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(re.fullmatch(r"LC[A-Za-z0-9]{1,18}", n) for n in numbers)


def test_profiles_run_the_form_post_users_where_they_fit() -> None:
    assert load_profile("formpost").users == TAIWAN_USERS
    for name in ("smoke", "ci"):  # every user class when a profile names none
        assert load_profile(name).users == ()
    assert not set(TAIWAN_USERS) & set(load_profile("stress").users), "stress: card API only"
    locustfile = (LOAD / "locustfile.py").read_text()
    assert all(user in locustfile for user in TAIWAN_USERS)
    assert "formpost" in profile_names()


def test_every_request_of_the_form_post_users_names_its_rail() -> None:
    tree = ast.parse((LOAD / "users" / "taiwan.py").read_text())
    names = [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
             for kw in node.keywords
             if kw.arg == "name" and isinstance(kw.value, ast.Constant)]
    assert len(names) >= 14
    assert all(n.startswith(("ecpay ", "newebpay ", "/_sim/")) for n in names), names
