"""ECPay AIO under attack, against the live simulator: a tampered CheckMacValue, an amount
changed after signing, an unknown merchant, another merchant's HashKey, a hash downgrade,
a replayed AioCheckOut post, QueryTradeInfo outside its 3-minute window, one merchant
reaching for another's trade, and markup in the fields the cashier and error pages echo.
Every refusal is ECPay's own (its error page, or RtnCode/RtnMsg) and creates nothing.

Each test registers its own merchants on /_sim/merchants, so none touches the published
stage merchants or another test's trades."""

from __future__ import annotations

import time

import pytest
import requests
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.rails import Ecpay, shown, trade_no

CHECKMAC = "10200073"
NOT_FOUND = "10200047"
XSS = "<script>alert('ecpay')</script>"


@pytest.fixture
def merchant(simulator: LiveSimulator) -> Ecpay:
    """A fresh ECPay merchant."""
    return Ecpay.registered(simulator.url)


@pytest.fixture
def other(simulator: LiveSimulator) -> Ecpay:
    """A second fresh ECPay merchant (the intruder, or the victim)."""
    return Ecpay.registered(simulator.url)


def refused(answer: requests.Response, code: str, message: str | None = None) -> None:
    """ECPay's error page with `code` (and `message`, if given)."""
    assert answer.status_code == 400, answer.text[-400:]
    assert 'data-testid="ecpay-error"' in answer.text
    assert shown(answer.text, "error-code") == code, shown(answer.text, "error-message")
    if message is not None:
        assert shown(answer.text, "error-message") == message


def nothing_created(merchant: Ecpay, no: str) -> None:
    """The trade number names no trade of the merchant."""
    assert merchant.query(no)["RtnCode"] == NOT_FOUND


def flipped(digest: str) -> str:
    """`digest` with its last character changed."""
    return digest[:-1] + ("0" if digest[-1] != "0" else "1")


def test_a_tampered_check_mac_value_is_refused_and_creates_nothing(merchant: Ecpay) -> None:
    no = trade_no()
    form = merchant.sign(merchant.order_form(no))
    form["CheckMacValue"] = flipped(form["CheckMacValue"])
    refused(merchant.checkout(form), CHECKMAC, "CheckMacValue Error")
    del form["CheckMacValue"]
    refused(merchant.checkout(form), CHECKMAC)
    nothing_created(merchant, no)


@pytest.mark.parametrize(("field", "value"), [("TotalAmount", "5"), ("TotalAmount", "500 "),
                                              ("ChoosePayment", "ALL"),
                                              ("ReturnURL", "http://127.0.0.1:9/evil")])
def test_a_field_changed_after_signing_is_refused(merchant: Ecpay, field: str,
                                                  value: str) -> None:
    no = trade_no()
    form = merchant.sign(merchant.order_form(no))
    form[field] = value
    refused(merchant.checkout(form), CHECKMAC)
    nothing_created(merchant, no)


def test_an_unknown_merchant_is_refused(merchant: Ecpay) -> None:
    stranger = Ecpay(merchant.base_url, "9" * 10, merchant.hash_key, merchant.hash_iv)
    no = trade_no()
    answer = stranger.checkout(stranger.sign(stranger.order_form(no)))
    refused(answer, "10200141")
    nothing_created(merchant, no)


def test_another_merchants_keys_do_not_sign_for_this_merchant(merchant: Ecpay,
                                                              other: Ecpay) -> None:
    no = trade_no()
    form = merchant.sign(merchant.order_form(no), key=other.hash_key, iv=other.hash_iv)
    refused(merchant.checkout(form), CHECKMAC)
    nothing_created(merchant, no)
    nothing_created(other, no)
    # and on the server APIs: a query signed with the other merchant's keys
    trade, _ = merchant.open_order()
    assert merchant.query(trade, key=other.hash_key, iv=other.hash_iv)["RtnCode"] == CHECKMAC


def test_the_hash_cannot_be_downgraded_to_md5(merchant: Ecpay) -> None:
    """ECPay's AIO documents EncryptType as "1 (SHA256)", MD5 (0) being the legacy scheme
    some merchants still sign with (gateways.md 1.3). Our best reading: a form may only be
    checked with the hash its own EncryptType names, and EncryptType is covered by the
    CheckMacValue, so nobody without the keys can turn a SHA256 form into an MD5 one; the
    server APIs know SHA256 only."""
    no = trade_no()
    sha_form = merchant.sign(merchant.order_form(no))
    md5_of_sha_form = {**sha_form, "CheckMacValue": ecpay_check_mac_value(
        {k: v for k, v in sha_form.items() if k != "CheckMacValue"},
        merchant.hash_key, merchant.hash_iv, 0)}
    refused(merchant.checkout(md5_of_sha_form), CHECKMAC)  # MD5 digest, EncryptType=1
    refused(merchant.checkout({**sha_form, "EncryptType": "0"}), CHECKMAC)  # flipped
    nothing_created(merchant, no)
    trade, _ = merchant.open_order()
    assert merchant.query(trade, encrypt_type=0)["RtnCode"] == CHECKMAC


def test_a_replayed_checkout_post_creates_nothing_more(merchant: Ecpay) -> None:
    no = trade_no()
    form = merchant.sign(merchant.order_form(no))
    assert merchant.checkout(form).status_code == 200
    refused(merchant.checkout(form), "10300028", "Duplicated MerchantTradeNo")
    again = merchant.sign(merchant.order_form(no, TotalAmount=9))  # re-signed, same number
    refused(merchant.checkout(again), "10300028")
    info = merchant.query(no)
    assert (info["TradeAmt"], info["TradeStatus"]) == ("500", "0")


@pytest.mark.parametrize("offset", [-185, 185, -3600])
def test_query_trade_info_outside_the_3_minute_window_is_refused(merchant: Ecpay,
                                                                 offset: int) -> None:
    no, _ = merchant.open_order()
    assert merchant.query(no, stamp=int(time.time()) - 170)["TradeStatus"] == "0"
    info = merchant.query(no, stamp=int(time.time()) + offset)
    assert info == {"RtnCode": "10100050",
                    "RtnMsg": "Parameter Error. TimeStamp is outside the 3-minute window"}


def test_a_merchant_cannot_query_or_refund_another_merchants_trade(merchant: Ecpay,
                                                                   other: Ecpay) -> None:
    victim_no, victim_trade = other.pay_card()
    # with its own MerchantID and keys: the trade is not among its own
    assert merchant.query(victim_no)["RtnCode"] == NOT_FOUND
    for action in ("R", "C", "N"):
        done = merchant.do_action(victim_no, victim_trade, action, 500)
        assert done.get("RtnCode") == NOT_FOUND, done
    # with the victim's MerchantID but its own keys: the signature fails first
    assert merchant.query(victim_no, merchant_id=other.merchant_id)["RtnCode"] == CHECKMAC
    done = merchant.do_action(victim_no, victim_trade, "N", 500, merchant_id=other.merchant_id)
    assert done.get("RtnCode") == CHECKMAC, done
    info = other.query(victim_no)
    assert (info["TradeStatus"], info["TradeAmt"]) == ("1", "500")


@pytest.mark.parametrize("field", ["ItemName", "TradeDesc", "CustomField1", "Remark"])
def test_the_cashier_escapes_every_echoed_field(merchant: Ecpay, field: str) -> None:
    _, page = merchant.open_order(**{field: XSS})
    assert XSS not in page
    if field == "ItemName":  # the one the cashier shows
        assert "&lt;script&gt;alert(" in page


@pytest.mark.parametrize("kind", ["card", "CVS", "ATM", "BARCODE"])
def test_every_cashier_page_escapes_the_order_it_shows(merchant: Ecpay, kind: str) -> None:
    fields = {"ItemName": XSS, "TradeDesc": XSS, "Remark": XSS}
    _, pages = (merchant.card_pages(**fields) if kind == "card"
                else merchant.code_pages(kind, **fields))
    for page in pages:
        assert "<script" not in page.lower().replace('<script src="', "")
    assert "&lt;script&gt;" in pages[-1]  # the last page shows the order, escaped


@pytest.mark.parametrize("where", ["field name", "MerchantID", "MerchantTradeNo"])
def test_the_error_page_escapes_what_it_echoes(merchant: Ecpay, where: str) -> None:
    form = merchant.order_form(trade_no())
    if where == "field name":
        form[XSS] = "1"
    else:
        form[where] = XSS
    answer = merchant.checkout(merchant.sign(form))
    assert answer.status_code == 400 and 'data-testid="ecpay-error"' in answer.text
    assert XSS not in answer.text
    assert "<script" not in answer.text.split('data-testid="ecpay-error"')[1]
