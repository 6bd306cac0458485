"""NewebPay MPG under attack, against the live simulator: a tampered TradeSha, a TradeInfo
swapped or altered after signing (and an amount smuggled into the unsigned outer form), an
unknown merchant, another merchant's HashKey, a replayed MPG post, a stale TimeStamp on the
MPG and on QueryTradeInfo, one merchant reaching for another's trade, and markup in the
fields the MPG and error pages echo. Every refusal is NewebPay's own (its MPG error page, or
its API JSON) and creates nothing.

Each test registers its own merchants on /_sim/merchants."""

from __future__ import annotations

import time

import pytest
import requests
from paylab.simulator.gateways.newebpay import crypto
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.rails import NewebPay, shown, trade_no

XSS = "<script>alert('newebpay')</script>"
#: QueryTradeInfo's answer for an order number the merchant does not have.
NO_SUCH_TRADE = "TRA10021"


@pytest.fixture
def merchant(simulator: LiveSimulator) -> NewebPay:
    """A fresh NewebPay merchant."""
    return NewebPay.registered(simulator.url)


@pytest.fixture
def other(simulator: LiveSimulator) -> NewebPay:
    """A second fresh NewebPay merchant."""
    return NewebPay.registered(simulator.url)


def refused(answer: requests.Response, code: str, detail: str | None = None) -> None:
    """NewebPay's MPG error page with `code` (its message naming `detail`, if given)."""
    assert 'data-testid="mpg-error"' in answer.text, answer.text[-400:]
    assert answer.status_code < 500 and "Location" not in answer.headers
    assert shown(answer.text, "error-code") == code, shown(answer.text, "error-message")
    if detail is not None:
        assert (shown(answer.text, "error-message") or "").endswith(f"({detail})")


def nothing_created(merchant: NewebPay, no: str) -> None:
    """The order number names no trade of the merchant."""
    assert merchant.query(no)["Status"] == NO_SUCH_TRADE


def test_a_tampered_trade_sha_is_refused_and_creates_nothing(merchant: NewebPay) -> None:
    no = trade_no("N")
    form = merchant.seal(merchant.trade_info(no))
    sha = form["TradeSha"]
    refused(merchant.mpg({**form, "TradeSha": sha[:-1] + ("0" if sha[-1] != "0" else "1")}),
            "MPG03009", "TradeSha")
    refused(merchant.mpg({k: v for k, v in form.items() if k != "TradeSha"}), "MPG01024")
    nothing_created(merchant, no)


def test_trade_info_changed_after_signing_is_refused(merchant: NewebPay) -> None:
    no = trade_no("N")
    form = merchant.seal(merchant.trade_info(no))
    cheaper = merchant.seal(merchant.trade_info(no, Amt=5))["TradeInfo"]  # the key's own
    refused(merchant.mpg({**form, "TradeInfo": cheaper}), "MPG03009", "TradeSha")
    block = form["TradeInfo"]  # a bit flipped in the first block changes Amt's block
    flipped = f"{int(block[0], 16) ^ 1:x}" + block[1:]
    refused(merchant.mpg({**form, "TradeInfo": flipped}), "MPG03009", "TradeSha")
    nothing_created(merchant, no)


def test_an_amount_in_the_unsigned_outer_form_is_ignored(merchant: NewebPay) -> None:
    no = trade_no("N")
    answer = merchant.mpg(merchant.seal(merchant.trade_info(no), Amt="1", MerchantOrderNo="x"))
    assert answer.status_code == 303, answer.text[-300:]
    result = merchant.query(no)["Result"]
    assert (result["Amt"], result["MerchantOrderNo"]) == (500, no)


def test_an_unknown_merchant_is_refused(merchant: NewebPay) -> None:
    no = trade_no("N")
    form = merchant.seal(merchant.trade_info(no, MerchantID="MS999999999"),
                         MerchantID="MS999999999")
    refused(merchant.mpg(form), "MPG02002")
    nothing_created(merchant, no)


def test_another_merchants_keys_do_not_sign_for_this_merchant(merchant: NewebPay,
                                                              other: NewebPay) -> None:
    no = trade_no("N")
    form = merchant.seal(merchant.trade_info(no), key=other.hash_key, iv=other.hash_iv)
    refused(merchant.mpg(form), "MPG03009", "TradeSha")
    nothing_created(merchant, no)
    nothing_created(other, no)
    # another merchant's MerchantID inside this merchant's TradeInfo
    inner = merchant.seal(merchant.trade_info(no, MerchantID=other.merchant_id))
    refused(merchant.mpg(inner), "MPG03007", "MerchantID")
    nothing_created(merchant, no)


def test_a_replayed_mpg_post_creates_nothing_more(merchant: NewebPay) -> None:
    no = trade_no("N")
    form = merchant.seal(merchant.trade_info(no))
    assert merchant.mpg(form).status_code == 303
    refused(merchant.mpg(form), "MPG03008")
    refused(merchant.mpg(merchant.seal(merchant.trade_info(no, Amt=9))), "MPG03008")
    result = merchant.query(no)["Result"]
    assert (result["Amt"], result["TradeStatus"]) == (500, "0")


def clocks(merchant: NewebPay) -> tuple[int, int]:
    """The earliest and latest of the wall clock and the simulator's virtual clock (a
    suite's simulator may run ahead of real time): NewebPay's window is around either."""
    health = requests.get(f"{merchant.base_url}/_sim/health", timeout=10).json()
    now = (int(time.time()), int(health["clock"]["now"]))
    return min(now), max(now)


@pytest.mark.parametrize("offset", [-125, 125, -86400])
def test_a_stale_or_future_time_stamp_is_refused(merchant: NewebPay, offset: int) -> None:
    no = trade_no("N")
    stamp = clocks(merchant)[offset > 0] + offset
    form = merchant.seal(merchant.trade_info(no, TimeStamp=stamp))
    refused(merchant.mpg(form), "MPG02004", "TimeStamp")
    nothing_created(merchant, no)


@pytest.mark.parametrize("offset", [-185, 185])
def test_query_trade_info_outside_its_window_is_refused(merchant: NewebPay,
                                                        offset: int) -> None:
    no, _ = merchant.start()
    assert merchant.query(no, stamp=int(time.time()) - 100)["Status"] == "SUCCESS"
    answer = merchant.query(no, stamp=clocks(merchant)[offset > 0] + offset)
    assert (answer["Status"], answer["Result"]) == ("TRA40014", [])


def test_a_merchant_cannot_query_or_cancel_another_merchants_trade(merchant: NewebPay,
                                                                   other: NewebPay) -> None:
    victim = other.pay_card()
    assert merchant.query(victim)["Status"] == NO_SUCH_TRADE
    assert merchant.cancel(victim)["Status"] == "TRA20002"
    for close_type in (1, 2):  # capture, refund
        closed = merchant.post_data("/API/CreditCard/Close", {
            "Version": "1.1", "Amt": 500, "MerchantOrderNo": victim, "IndexType": 1,
            "CloseType": close_type})
        assert closed["Status"] == "TRA20002", closed
    # the victim's MerchantID with the intruder's keys: the check fails first
    answer = merchant.query(victim, merchant_id=other.merchant_id)
    assert answer["Status"] == "TRA10054", answer
    assert merchant.cancel(victim, merchant_id=other.merchant_id)["Status"] == "TRA10008"
    result = other.query(victim)["Result"]
    assert (result["TradeStatus"], result["CloseStatus"], result["Amt"]) == ("1", "0", 500)


@pytest.mark.parametrize("field", ["ItemDesc", "OrderComment", "Email"])
def test_the_mpg_page_escapes_every_echoed_field(merchant: NewebPay, field: str) -> None:
    value = f"a{XSS}@example.com" if field == "Email" else XSS
    no = trade_no("N")
    started = merchant.mpg(merchant.seal(merchant.trade_info(no, **{field: value})))
    page = (requests.get(merchant.base_url + started.headers["Location"], timeout=10)
            if started.status_code == 303 else started)
    assert XSS not in page.text
    assert "<script>" not in page.text


@pytest.mark.parametrize("method", ["CREDIT", "CVS", "VACC", "BARCODE"])
def test_every_hosted_page_escapes_the_order_it_shows(merchant: NewebPay,
                                                      method: str) -> None:
    _, pages = merchant.pages(None, method, ItemDesc=XSS, OrderComment=XSS, CVS=1, VACC=1,
                              BARCODE=1)
    for page in pages:
        assert XSS not in page and "<script>" not in page
    assert "&lt;script&gt;" in pages[0]  # the hosted page shows the order, escaped


@pytest.mark.parametrize("where", ["outer MerchantID", "Version", "inner field name"])
def test_the_error_page_escapes_what_it_echoes(merchant: NewebPay, where: str) -> None:
    info = merchant.trade_info(trade_no("N"))
    if where == "outer MerchantID":
        form = merchant.seal(info, MerchantID=XSS)
    elif where == "Version":
        form = merchant.seal(info, Version=XSS)
    else:
        sealed = crypto.encrypt(crypto.build_query({**info, XSS: "1", "Amt": XSS}),
                                merchant.hash_key, merchant.hash_iv)
        form = {**merchant.seal(info), "TradeInfo": sealed,
                "TradeSha": crypto.trade_sha(sealed, merchant.hash_key, merchant.hash_iv)}
    answer = merchant.mpg(form)
    assert 'data-testid="mpg-error"' in answer.text, answer.text[-300:]
    assert XSS not in answer.text and "<script>" not in answer.text
