"""ECPay AioCheckOut/V5 in process: the form's validation with ECPay's error page, duplicate
MerchantTradeNo, CheckMacValue (SHA256, MD5, tampered), unknown merchants, the cashier's
payment types, and card payments (stage card, declines, 3-D Secure, OrderResultURL)."""

from __future__ import annotations

import pytest
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.unit.ecpay_kit import (
    IV,
    KEY,
    MERCHANT,
    STAGE_CARD,
    TENANT,
    actions,
    checkout,
    choose,
    hidden_fields,
    order_form,
    pay_card,
    shown,
    signed,
    violations,
)
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def refused(answer: Answer, code: str, message: str | None = None) -> None:
    assert answer.status == 400, answer.text[-600:]
    assert 'data-testid="ecpay-error"' in answer.text
    assert shown(answer, "error-code") == code
    if message is not None:
        assert shown(answer, "error-message") == message


async def test_a_valid_form_opens_the_cashier_with_every_payment_type(sim: Sim) -> None:
    answer = await checkout(sim)
    assert answer.status == 200, answer.text[-600:]
    assert 'data-testid="ecpay-cashier"' in answer.text
    for label in ("Credit card", "ATM transfer", "Convenience store code", "Barcode", "WebATM"):
        assert f'aria-label="{label}"' in answer.text
    assert shown(answer, "merchant-trade-no") == "T0001"
    assert shown(answer, "total-amount") == "NT$ 500"
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    assert (order["amount"], order["status"], order["gateway"]) == (500, "created", "ecpay")
    assert order["extra"]["CustomField2"] == "echo-2"
    assert actions(answer)[0].endswith(f"/choose?token={order['page_token']}")


@pytest.mark.parametrize(("choice", "ignore", "labels"), [
    ("Credit", None, ["Credit card"]),
    ("CVS", None, ["Convenience store code"]),
    ("ALL", "Credit#WebATM", ["ATM transfer", "Convenience store code", "Barcode"]),
])
async def test_the_cashier_offers_what_the_form_chose(sim: Sim, choice: str, ignore: str | None,
                                                      labels: list[str]) -> None:
    answer = await checkout(sim, ChoosePayment=choice, IgnorePayment=ignore)
    shown = [label for label in ("Credit card", "ATM transfer", "Convenience store code",
                                 "Barcode", "WebATM") if f'aria-label="{label}"' in answer.text]
    assert shown == labels


@pytest.mark.parametrize(("fields", "code", "message"), [
    ({"TotalAmount": None}, "10100050", "Parameter Error. TotalAmount is required"),
    ({"TotalAmount": "12.5"}, "10100050", "Parameter Error. TotalAmount must be an integer"),
    ({"TotalAmount": 0}, "10100050", "Parameter Error. TotalAmount must be at least 1"),
    ({"MerchantTradeNo": "T_0001"}, "10200052", "MerchantTradeNo Error"),
    ({"MerchantTradeNo": "T" * 21}, "10200052", "MerchantTradeNo Error"),
    ({"MerchantTradeDate": "2026-12-02 10:00:00"}, "10100050",
     "Parameter Error. MerchantTradeDate has an invalid format"),
    ({"PaymentType": "abc"}, "10100050", "Parameter Error. PaymentType must be one of aio"),
    ({"ChoosePayment": "Cash"}, "10100050",
     "Parameter Error. ChoosePayment must be one of "
     "Credit, WebATM, ATM, CVS, BARCODE, ApplePay, ALL"),
    ({"TradeDesc": "x" * 201}, "10100050",
     "Parameter Error. TradeDesc is longer than 200 characters"),
    ({"ReturnURL": "ftp://x"}, "10100050", "Parameter Error. ReturnURL has an invalid format"),
    ({"CustomField1": "y" * 51}, "10100050",
     "Parameter Error. CustomField1 is longer than 50 characters"),
    ({"ExpireDate": 61}, "10100050", "Parameter Error. ExpireDate must be at most 60"),
    ({"Language": "FRA"}, "10100050",
     "Parameter Error. Language must be one of ENG, KOR, JPN, CHI"),
    ({"ProductDesc": "x"}, "10100050", "Parameter Error. ProductDesc Not In Spec"),
    ({"OrderResultURL": "http://127.0.0.1:9/ecpay/return"}, "10100050",
     "Parameter Error. OrderResultURL must not be the same as ReturnURL"),
    ({"ChoosePayment": "ATM", "ChooseSubPayment": "FAMILY"}, "10100050", None),
    ({"IgnorePayment": "Credit#WebATM#ATM#CVS#BARCODE#ApplePay"}, "10100050",
     "Parameter Error. IgnorePayment leaves no payment method"),
])
async def test_bad_fields_get_ecpays_error_page_and_no_order(
        sim: Sim, fields: dict, code: str, message: str | None) -> None:
    refused(await checkout(sim, **fields), code, message)
    assert sim.domain.orders.find_by_merchant_order(TENANT, fields.get("MerchantTradeNo",
                                                                       "T0001")) is None


async def test_item_name_is_truncated_at_400_characters(sim: Sim) -> None:
    assert (await checkout(sim, ItemName="i" * 450)).status == 200
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["description"] == "i" * 400


async def test_a_reused_merchant_trade_no_is_refused(sim: Sim) -> None:
    assert (await checkout(sim)).status == 200
    refused(await checkout(sim, TotalAmount=900), "10300028", "Duplicated MerchantTradeNo")
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["amount"] == 500
    # another merchant may use the same number
    other = signed(order_form(MerchantID="2000132"), key="5294y06JbISpM5x9",
                   iv="v77hoKGq4kWxNNIS")
    assert (await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", other)).status == 200


async def test_a_tampered_form_fails_its_check_mac_value(sim: Sim) -> None:
    form = signed(order_form())
    form["TotalAmount"] = "1"
    refused(await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", form), "10200073",
            "CheckMacValue Error")
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001") is None


async def test_another_merchants_keys_fail_the_check(sim: Sim) -> None:
    form = signed(order_form(), key="5294y06JbISpM5x9", iv="v77hoKGq4kWxNNIS")
    refused(await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", form), "10200073")


async def test_md5_forms_are_checked_with_md5(sim: Sim) -> None:
    assert (await checkout(sim, EncryptType=0)).status == 200
    sha = signed(order_form("T0002", EncryptType=0), encrypt_type=1)
    refused(await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", sha), "10200073")


async def test_an_unknown_merchant_is_refused(sim: Sim) -> None:
    refused(await checkout(sim, MerchantID="9999999"), "10200141")
    missing = await checkout(sim, MerchantID=None)
    refused(missing, "10100050", "Parameter Error. MerchantID is required")


async def test_an_echoed_value_is_escaped(sim: Sim) -> None:
    answer = await checkout(sim, ItemName="<script>alert(1)</script>")
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


async def test_the_stage_card_authorises_and_posts_the_result_to_order_result_url(
        sim: Sim) -> None:
    cashier = await checkout(sim, OrderResultURL="https://shop.example/ecpay/result")
    card_page = await choose(sim, cashier, "Credit")
    assert 'data-testid="card-number"' in card_page.text and ">Pay<" in card_page.text
    paid = await pay_card(sim, card_page)
    assert paid.status == 303
    result = await sim.page("GET", paid.headers["Location"])
    assert 'data-testid="ecpay-result"' in result.text
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    assert (order["status"], order["authorized_amount"]) == ("authorized", 500)
    assert actions(result) == ["https://shop.example/ecpay/result"]
    posted = hidden_fields(result)
    assert posted["RtnCode"] == "1" and posted["RtnMsg"] == "Succeeded"
    assert (posted["MerchantTradeNo"], posted["TradeAmt"], posted["TradeNo"]) == (
        "T0001", "500", order["reference"])
    assert posted["PaymentType"] == "Credit_CreditCard" and posted["CustomField2"] == "echo-2"
    assert posted["CheckMacValue"] == ecpay_check_mac_value(posted, KEY, IV)
    assert violations("ecpay/return_notification", posted) == []


async def test_client_back_url_is_linked_when_there_is_no_order_result_url(sim: Sim) -> None:
    cashier = await checkout(sim, ClientBackURL="https://shop.example/back")
    paid = await pay_card(sim, await choose(sim, cashier, "Credit"))
    result = await sim.page("GET", paid.headers["Location"])
    assert 'href="https://shop.example/back" data-testid="client-back"' in result.text
    assert actions(result) == []


async def test_a_declined_card_shows_why_and_another_card_may_pay(sim: Sim) -> None:
    card_page = await choose(sim, await checkout(sim), "Credit")
    declined = await pay_card(sim, card_page, "4000000000009995")
    assert declined.status == 402
    assert shown(declined, "form-error") == "Your card has insufficient funds."
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    assert order["status"] == "failed"
    assert (await pay_card(sim, declined)).status == 303
    assert sim.domain.orders.get(TENANT, order["id"])["status"] == "authorized"


async def test_a_bad_card_form_is_refused_before_any_change(sim: Sim) -> None:
    card_page = await choose(sim, await checkout(sim), "Credit")
    answer = await pay_card(sim, card_page, expiry="13")
    assert answer.status == 400
    assert "expiry date is incomplete" in answer.text
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["status"] == "created"


@pytest.mark.parametrize(("result", "status", "final"), [
    ("passed", 303, "authorized"), ("failed", 402, "failed"), ("abandoned", 402, "failed")])
async def test_three_d_secure(sim: Sim, result: str, status: int, final: str) -> None:
    paid = await pay_card(sim, await choose(sim, await checkout(sim), "Credit"),
                          "4000000000003220")
    assert paid.status == 303 and paid.headers["Location"].split("?")[0].endswith("/3ds")
    challenge = await sim.page("GET", paid.headers["Location"])
    assert 'data-testid="3ds-complete"' in challenge.text
    answer = await sim.page("POST", actions(challenge)[0], {"result": result})
    assert answer.status == status
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001")["status"] == final


async def test_a_cashier_link_without_its_token_finds_nothing(sim: Sim) -> None:
    await checkout(sim)
    order = sim.domain.orders.find_by_merchant_order(TENANT, "T0001")
    answer = await sim.page("GET", f"/ecpay/Cashier/Order/{order['id']}?token=wrong")
    assert answer.status == 404 and 'data-testid="cashier-missing"' in answer.text


async def test_a_browser_get_of_the_form_url_gets_the_error_page(sim: Sim) -> None:
    answer = await sim.page("GET", "/ecpay/Cashier/AioCheckOut/V5")
    assert answer.status == 404 and 'data-testid="ecpay-error"' in answer.text


def test_the_stage_merchant_is_the_published_one() -> None:
    assert (MERCHANT, KEY, IV) == ("3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs")
    assert STAGE_CARD == "4311952222222222"


async def test_a_merchant_registered_on_the_control_api_can_take_orders(sim: Sim) -> None:
    made = await sim.control("POST", "/merchants", {"gateway": "ecpay"})
    assert made.status == 201, made.body
    mid, key, iv = made.body["merchant_id"], made.body["hash_key"], made.body["hash_iv"]
    form = signed(order_form(MerchantID=mid), key=key, iv=iv)
    assert (await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", form)).status == 200
    assert sim.domain.orders.find_by_merchant_order(f"ecpay-{mid}", "T0001") is not None
    assert sim.domain.orders.find_by_merchant_order(TENANT, "T0001") is None
    stage_keys = signed(order_form("T0002", MerchantID=mid))
    refused(await sim.page("POST", "/ecpay/Cashier/AioCheckOut/V5", stage_keys), "10200073")


async def test_a_revoked_merchant_is_refused_until_restored(sim: Sim) -> None:
    revoked = await sim.control("POST", "/keys/revoke", {"api_key": TENANT})
    assert revoked.body == {"tenant": TENANT, "revoked": True}
    refused(await checkout(sim), "10200141")
    await sim.control("POST", "/keys/revoke", {"api_key": TENANT, "revoked": False})
    assert (await checkout(sim)).status == 200
