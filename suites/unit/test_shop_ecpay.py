"""The reference shop on ECPay AIO: its own CheckMacValue on the published vectors, the
payment form it hands the browser, and its notice receiver (a genuine notice fulfils once;
duplicates, reordered and forged notices change nothing they should not)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from paylab.shop import ecpay
from paylab.shop.gateway import Gateway
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.unit.shop_formpost import (
    SETTINGS,
    checkout,
    db_of,
    order_page,
    shop_client,
    status,
)

KEY, IV = SETTINGS.ecpay_hash_key, SETTINGS.ecpay_hash_iv


# -- signing, on the vectors ---------------------------------------------------------------
def test_check_mac_value_matches_every_published_vector(vectors: dict[str, Any]) -> None:
    cases = vectors["ecpay_check_mac_value"]
    assert len(cases) >= 4
    for case in cases:
        got = ecpay.check_mac_value(case["params"], case["hash_key"], case["hash_iv"],
                                    case["encrypt_type"])
        assert got == case["expected"], case["name"]


def test_the_encoding_is_phps_lower_cased_with_dotnet_literals(vectors: dict) -> None:
    for case in vectors["ecpay_urlencode"]:
        assert ecpay.urlencode(case["input"]) == case["expected"]


def test_verify_accepts_the_vector_and_refuses_any_change(vectors: dict[str, Any]) -> None:
    case = vectors["ecpay_check_mac_value"][2]  # a ReturnURL notice of merchant 3002607
    signed = {**case["params"], "CheckMacValue": case["expected"]}
    assert ecpay.verify(signed, case["hash_key"], case["hash_iv"])
    assert not ecpay.verify({**signed, "TradeAmt": "5000"}, case["hash_key"], case["hash_iv"])
    assert not ecpay.verify({**signed, "CustomField1": ""}, case["hash_key"], case["hash_iv"])
    assert not ecpay.verify(signed, "5294y06JbISpM5x9", "v77hoKGq4kWxNNIS")  # another merchant
    assert not ecpay.verify({**signed, "CheckMacValue": case["expected"].lower()},
                            case["hash_key"], case["hash_iv"])
    assert not ecpay.verify(case["params"], case["hash_key"], case["hash_iv"])


def test_item_names_are_joined_by_hash_and_cut_at_400() -> None:
    assert ecpay.item_name(["Tea #1 x 2", "Cup x 1"]) == "Tea  1 x 2#Cup x 1"
    assert len(ecpay.item_name(["x" * 300, "y" * 300])) == 400


def test_issued_codes_are_read_per_kind() -> None:
    assert ecpay.issued_code({"RtnCode": "10100073", "PaymentNo": "LLL22251222",
                              "ExpireDate": "2026/12/09 13:00:00"}) == \
        ("cvs", "LLL22251222", "2026/12/09 13:00:00")
    assert ecpay.issued_code({"RtnCode": "2", "BankCode": "812", "vAccount": "9103522175887271",
                              "ExpireDate": "2026/12/05"}) == \
        ("atm", "812 9103522175887271", "2026/12/05")
    assert ecpay.issued_code({"RtnCode": "10100073", "Barcode1": "A", "Barcode2": "B",
                              "Barcode3": "C", "ExpireDate": "d"}) == ("barcode", "A / B / C", "d")
    assert ecpay.issued_code({"RtnCode": "1", "PaymentNo": "LLL22251222"}) is None


# -- the shop app ---------------------------------------------------------------------------
@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 monkeypatch: pytest.MonkeyPatch) -> TestClient:
    return await shop_client(aiohttp_client, monkeypatch)


def notice(form: dict[str, str], key: str = KEY, iv: str = IV, **fields: str) -> dict[str, str]:
    """What ECPay posts about the trade of `form`: paid unless `fields` say otherwise,
    signed with `key` / `iv` by the simulator's signing (not the shop's)."""
    body = {"MerchantID": form["MerchantID"], "MerchantTradeNo": form["MerchantTradeNo"],
            "StoreID": "", "RtnCode": "1", "RtnMsg": "交易成功", "TradeNo": "2612021310001234",
            "TradeAmt": form["TotalAmount"], "PaymentDate": "2026/12/02 13:10:05",
            "PaymentType": "Credit_CreditCard", "PaymentTypeChargeFee": "12",
            "TradeDate": "2026/12/02 13:09:58", "SimulatePaid": "0", "CustomField1": "",
            "CustomField2": "", "CustomField3": "", "CustomField4": "", **fields}
    body["CheckMacValue"] = ecpay_check_mac_value(body, key, iv)
    return body


def code_notice(form: dict[str, str], **fields: str) -> dict[str, str]:
    """The PaymentInfoURL notice of an issued convenience-store code."""
    return notice(form, **{"RtnCode": "10100073", "RtnMsg": "Get CVS Code Succeeded.",
                           "PaymentType": "CVS_CVS", "PaymentNo": "LLL22251222",
                           "ExpireDate": "2026/12/09 13:09:58", **fields})


async def post(client: TestClient, body: dict[str, str]) -> tuple[int, str]:
    answer = await client.post("/notify/ecpay", data=body)
    return answer.status, await answer.text()


async def test_the_cart_offers_every_rail_with_the_card_checked(client: TestClient) -> None:
    await client.post("/cart/add", data={"product": "gaiwan"}, allow_redirects=False)
    text = await (await client.get("/cart")).text()
    assert '<legend>Pay with</legend>' in text
    for value, label in (("card", "Card (Stripe-compatible checkout)"),
                         ("ecpay-credit", "ECPay credit card"),
                         ("ecpay-cvs", "ECPay convenience store code"),
                         ("newebpay", "NewebPay (card, ATM transfer or convenience store code)")):
        assert f'name="pay_with" value="{value}"' in text and f"> {label}</label>" in text
    assert 'value="card" data-testid="pay-with-card" checked>' in text
    assert text.count(" checked>") == 1


@pytest.mark.parametrize(("pay_with", "choose"), [("ecpay-credit", "Credit"),
                                                  ("ecpay-cvs", "CVS")])
async def test_checkout_answers_a_signed_form_the_browser_posts(
        client: TestClient, pay_with: str, choose: str) -> None:
    made = await checkout(client, pay_with, product="gaiwan", quantity=2)
    form, base, order = made["fields"], SETTINGS.base_url, made["order"]
    assert made["action"] == "http://127.0.0.1:9/ecpay/Cashier/AioCheckOut/V5"
    assert form["CheckMacValue"] == ecpay_check_mac_value(form, KEY, IV)
    trade = db_of(client).trade_of(order)
    assert trade["gateway"] == "ecpay" and form["MerchantTradeNo"] == trade["trade_no"]
    assert form["TotalAmount"] == str(trade["amount"]) == "1856"  # 2 x $29.00 at 32 TWD/USD
    assert (form["MerchantID"], form["PaymentType"], form["EncryptType"],
            form["ChoosePayment"]) == ("3002607", "aio", "1", choose)
    assert form["ReturnURL"] == f"{base}/notify/ecpay"
    assert form["OrderResultURL"] == f"{base}/return/ecpay/{order}"
    assert form["ClientBackURL"] == f"{base}/orders/{order}"
    assert form["ItemName"] == "Porcelain Gaiwan x 2"
    assert re.fullmatch(r"[A-Za-z0-9]{1,20}", form["MerchantTradeNo"])  # ECPay's rule (1.3)
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", form["MerchantTradeDate"])
    assert form.get("PaymentInfoURL") == (f"{base}/notify/ecpay" if choose == "CVS" else None)
    headers = made["response"].headers
    assert headers["Content-Security-Policy"].startswith("form-action 'self' http://127.0.0.1:9")
    assert headers["Cache-Control"] == "no-store"
    assert "Continue to ECPay</button>" in made["text"]
    assert '<script src="/static/autosubmit.js" defer></script>' in made["text"]


@pytest.mark.parametrize("data", [{}, {"pay_with": "card"}, {"pay_with": ""}],
                         ids=["bare post", "card", "empty"])
async def test_the_card_checkout_stays_the_default(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, data: dict[str, str]) -> None:
    async def hosted(self: Gateway, order: dict[str, Any], catalog: object) -> str:
        return f"http://127.0.0.1:9/stripe/checkout/cs_test_1?order={order['id']}"

    monkeypatch.setattr(Gateway, "checkout", hosted)
    await client.post("/cart/add", data={"product": "gaiwan"}, allow_redirects=False)
    answer = await client.post("/checkout", data=data, allow_redirects=False)
    order = db_of(client).conn.execute("SELECT id FROM orders").fetchone()[0]
    assert (answer.status, answer.headers["Location"]) == (
        303, f"http://127.0.0.1:9/stripe/checkout/cs_test_1?order={order}")
    assert db_of(client).trade_of(order) is None


async def test_an_unknown_method_is_refused_without_an_order(client: TestClient) -> None:
    await client.post("/cart/add", data={"product": "gaiwan"}, allow_redirects=False)
    answer = await client.post("/checkout", data={"pay_with": "bitcoin"}, allow_redirects=False)
    assert answer.status == 400
    assert db_of(client).conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


async def test_a_genuine_notice_fulfils_once_however_often_it_comes(client: TestClient) -> None:
    made = await checkout(client, "ecpay-credit")
    paid = notice(made["fields"])
    assert await post(client, paid) == (200, "1|OK")
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}
    assert await post(client, paid) == (200, "1|OK")  # the same notice again
    resent = notice(made["fields"], RtnMsg="paid")  # ECPay's resend wording
    assert await post(client, resent) == (200, "1|OK")
    assert (await status(client, made["order"]))["fulfilments"] == 1
    db = db_of(client)
    assert db.cart(db.order(made["order"])["cart"]) == []
    assert db.order(made["order"])["payment_intent"] == "2612021310001234"
    page = await order_page(client, made["order"])
    assert "ECPay</strong>" in page and "Credit card (Credit_CreditCard)" in page


async def test_a_code_is_shown_until_paid_and_a_late_code_notice_changes_nothing(
        client: TestClient) -> None:
    made = await checkout(client, "ecpay-cvs")
    assert await post(client, code_notice(made["fields"])) == (200, "1|OK")
    page = await order_page(client, made["order"])
    assert ('Pay at a convenience store with code <strong data-testid="order-code-number">'
            'LLL22251222</strong>, before <span data-testid="order-code-expiry">'
            '2026/12/09 13:09:58</span>.') in page
    assert (await status(client, made["order"]))["status"] == "pending"
    assert await post(client, notice(made["fields"], PaymentType="CVS_CVS")) == (200, "1|OK")
    assert await post(client, code_notice(made["fields"])) == (200, "1|OK")  # a copy, late
    later = code_notice(made["fields"], PaymentNo="LLL99999999", RtnCode="2")
    assert await post(client, later) == (200, "1|OK")  # a new code after the payment
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}
    page = await order_page(client, made["order"])
    assert "order-code" not in page and "LLL99999999" not in page


async def test_paid_then_code_issued_stays_paid(client: TestClient) -> None:
    made = await checkout(client, "ecpay-cvs")
    await post(client, notice(made["fields"], PaymentType="CVS_CVS"))
    assert await post(client, code_notice(made["fields"])) == (200, "1|OK")
    assert (await status(client, made["order"]))["status"] == "paid"
    assert db_of(client).trade_of(made["order"])["code"] is None


@pytest.mark.parametrize(("forgery", "reply"), [
    ("tampered CheckMacValue", "0|CheckMacValue Error"),
    ("amount changed after signing", "0|CheckMacValue Error"),
    ("another merchant's keys", "0|CheckMacValue Error"),
    ("no CheckMacValue", "0|CheckMacValue Error"),
    ("amount mismatch, signed", "0|Amount Error"),
    ("unknown trade, signed", "0|Unknown trade"),
    ("another merchant id, signed", "0|MerchantID Error"),
])
async def test_forged_or_mismatched_notices_are_refused_and_change_nothing(
        client: TestClient, forgery: str, reply: str) -> None:
    made = await checkout(client, "ecpay-credit")
    body = notice(made["fields"])
    if forgery == "tampered CheckMacValue":
        body["CheckMacValue"] = body["CheckMacValue"][:-1] + \
            ("0" if body["CheckMacValue"][-1] != "0" else "1")
    elif forgery == "amount changed after signing":
        body["TradeAmt"] = "1"
    elif forgery == "another merchant's keys":
        body = notice(made["fields"], key="5294y06JbISpM5x9", iv="v77hoKGq4kWxNNIS")
    elif forgery == "no CheckMacValue":
        del body["CheckMacValue"]
    elif forgery == "amount mismatch, signed":
        body = notice(made["fields"], TradeAmt=str(int(made["fields"]["TotalAmount"]) - 1))
    elif forgery == "unknown trade, signed":
        body = notice(made["fields"], MerchantTradeNo="PL0000000000000000")
    elif forgery == "another merchant id, signed":
        body = notice(made["fields"], MerchantID="2000132")
    assert await post(client, body) == (400, reply)
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "pending",
        "status_text": "Waiting for payment confirmation…", "fulfilments": 0}
    seen = db_of(client).conn.execute("SELECT COUNT(*) FROM seen_events").fetchone()[0]
    assert seen == 0
    assert await post(client, notice(made["fields"])) == (200, "1|OK")  # the real one still counts
    assert (await status(client, made["order"]))["fulfilments"] == 1


async def test_a_failed_payment_is_shown_and_the_order_stays_payable(client: TestClient) -> None:
    made = await checkout(client, "ecpay-credit")
    failed = notice(made["fields"], RtnCode="10100058", RtnMsg="Card declined")
    assert await post(client, failed) == (200, "1|OK")
    assert (await status(client, made["order"]))["status"] == "pending"
    assert "Card declined" in await order_page(client, made["order"])


async def test_the_browser_return_never_marks_paid(client: TestClient) -> None:
    made = await checkout(client, "ecpay-credit")
    body = notice(made["fields"], RtnMsg="Succeeded")
    answer = await client.post(f"/return/ecpay/{made['order']}", data=body,
                               allow_redirects=False)
    assert (answer.status, answer.headers["Location"]) == (303, f"/orders/{made['order']}")
    assert (await status(client, made["order"]))["status"] == "pending"


async def test_a_repeated_field_is_refused(client: TestClient) -> None:
    made = await checkout(client, "ecpay-credit")
    body = [*notice(made["fields"]).items(), ("TradeAmt", "1")]
    answer = await client.post("/notify/ecpay", data=body)
    assert (answer.status, await answer.text()) == (400, "0|Form Error")
    assert (await status(client, made["order"]))["status"] == "pending"


async def test_failures_are_applied_once_each_and_a_later_payment_still_pays(
        client: TestClient) -> None:
    made = await checkout(client, "ecpay-credit")
    first = notice(made["fields"], RtnCode="10100058", RtnMsg="Card declined")
    second = notice(made["fields"], RtnCode="10100112", RtnMsg="3-D Secure failed")
    for body in (first, second, first):  # the resent first must not overwrite the second
        assert await post(client, body) == (200, "1|OK")
    assert db_of(client).order(made["order"])["last_error"] == "3-D Secure failed"
    assert await post(client, notice(made["fields"])) == (200, "1|OK")
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}


async def test_a_failure_after_the_code_hides_the_code_but_a_late_payment_pays(
        client: TestClient) -> None:
    made = await checkout(client, "ecpay-cvs")
    await post(client, code_notice(made["fields"]))
    expired = notice(made["fields"], RtnCode="10100248", RtnMsg="Code expired",
                     PaymentType="CVS_CVS")
    assert await post(client, expired) == (200, "1|OK")
    page = await order_page(client, made["order"])
    assert "Code expired" in page and "LLL22251222" not in page
    assert await post(client, notice(made["fields"], PaymentType="CVS_CVS")) == (200, "1|OK")
    assert (await status(client, made["order"]))["status"] == "paid"
