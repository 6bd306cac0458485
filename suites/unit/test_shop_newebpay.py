"""The reference shop on NewebPay MPG: its own TradeInfo (AES-256-CBC) and TradeSha on the
published vectors, the MPG form it hands the browser, and its NotifyURL receiver (a genuine
notice fulfils once; duplicates, reordered and forged notices change nothing they should
not). Notices here are encrypted by the test itself, not by the shop's code."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from paylab.shop import newebpay
from paylab.simulator.webhooks.signing import newebpay_trade_sha
from paylab.suites.unit.shop_formpost import (
    SETTINGS,
    checkout,
    db_of,
    order_page,
    shop_client,
    status,
)

KEY, IV, MERCHANT = SETTINGS.newebpay_hash_key, SETTINGS.newebpay_hash_iv, \
    SETTINGS.newebpay_merchant_id


def aes(plaintext: str, key: str = KEY, iv: str = IV, block: int = 16) -> str:
    """AES-256-CBC, padded to `block` bytes the PKCS7 way, as hex (independent of the shop)."""
    data = plaintext.encode()
    pad = block - len(data) % block
    encryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv.encode())).encryptor()
    return (encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()).hex()


def unaes(hex_text: str) -> str:
    decryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(IV.encode())).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = decryptor.update(bytes.fromhex(hex_text)) + decryptor.finalize()
    return (unpadder.update(plain) + unpadder.finalize()).decode()


# -- crypto, on the vectors -------------------------------------------------------------------
def test_trade_info_and_trade_sha_match_the_manuals_request(vectors: dict[str, Any]) -> None:
    creds = vectors["newebpay"]["credentials"]
    for case in vectors["newebpay"]["trade_info_encrypt"]:
        trade_info = newebpay.encrypt(case["plaintext"], creds["hash_key"], creds["hash_iv"])
        assert trade_info == case["expected_trade_info"]
        assert newebpay.trade_sha(trade_info, creds["hash_key"], creds["hash_iv"]) == \
            case["expected_trade_sha"]
        pairs = urllib.parse.parse_qsl(case["plaintext"], keep_blank_values=True)
        assert newebpay.http_build_query(pairs) == case["plaintext"]


def test_the_manuals_notification_decrypts_and_verifies(vectors: dict[str, Any]) -> None:
    creds = vectors["newebpay"]["credentials"]
    for case in vectors["newebpay"]["notify_decrypt"]:
        key, iv = creds["hash_key"], creds["hash_iv"]
        assert newebpay.decrypt(case["trade_info"], key, iv) == case["expected_plaintext"]
        assert newebpay.verify(case["trade_info"], case["expected_trade_sha"], key, iv)
        assert not newebpay.verify(case["trade_info"], case["expected_trade_sha"].lower(), key, iv)
        assert not newebpay.verify(case["trade_info"][:-1] + "0", case["expected_trade_sha"],
                                   key, iv)
        status_, message, result = newebpay.parse_result(case["expected_plaintext"])
        assert (status_, message, result["Amt"], result["PaymentType"]) == \
            ("SUCCESS", "授權成功", "30", "CREDIT")
        assert result["PayTime"] == "2023-09-27 14:21:59"


@pytest.mark.parametrize("block", [16, 32])
def test_padding_to_16_or_32_bytes_decrypts(block: int) -> None:
    plaintext = "A" * 40  # 40 % 32 < 16: the two paddings differ (gateways.md 8)
    assert newebpay.decrypt(aes(plaintext, block=block), KEY, IV) == plaintext
    assert newebpay.decrypt(newebpay.encrypt("金額=30&x=~ y", KEY, IV), KEY, IV) == "金額=30&x=~ y"


@pytest.mark.parametrize(("bad", "why"), [
    ("", "not whole AES blocks"), ("00" * 15, "not whole AES blocks"),
    ("00" * 17, "not whole AES blocks"), ("abc", "non-hexadecimal"), ("zz" * 16, "non-hex"),
])
def test_what_is_no_trade_info_is_refused(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        newebpay.decrypt(bad, KEY, IV)


def test_another_key_fails_on_the_padding() -> None:
    with pytest.raises(ValueError, match="padding is wrong"):
        newebpay.decrypt(aes("Status=SUCCESS&Amt=30", key="x" * 32), KEY, IV)


@pytest.mark.parametrize("data", [b"A" * 47 + b"\x00", b"A" * 15 + bytes([33]) * 33,
                                  b"A" * 31 + b"\x10" + bytes([17]) * 16],
                         ids=["0", "33", "17 uneven"])
def test_a_padding_length_outside_1_to_32_or_uneven_is_refused(data: bytes) -> None:
    encryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(IV.encode())).encryptor()
    with pytest.raises(ValueError, match="padding is wrong"):
        newebpay.decrypt((encryptor.update(data) + encryptor.finalize()).hex(), KEY, IV)


def test_json_results_are_read_whole_and_as_strings() -> None:
    text = json.dumps({"Status": "SUCCESS", "Message": "ok", "Result": {"Amt": 30, "X": None}})
    assert newebpay.parse_result(text) == ("SUCCESS", "ok", {"Amt": "30", "X": ""})
    quoted = json.dumps({"Status": "MPG03009", "Message": "no", "Result": json.dumps({"A": 1})})
    assert newebpay.parse_result(quoted) == ("MPG03009", "no", {"A": "1"})


def test_methods_are_offered_inside_their_amount_windows() -> None:
    assert newebpay.toggles(592) == [("CREDIT", "1"), ("VACC", "1"), ("CVS", "1")]
    assert newebpay.toggles(29) == [("CREDIT", "1"), ("VACC", "1")]
    assert newebpay.toggles(20001) == [("CREDIT", "1"), ("VACC", "1")]
    assert newebpay.toggles(50000) == [("CREDIT", "1")]


# -- the shop app ---------------------------------------------------------------------------
@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 monkeypatch: pytest.MonkeyPatch) -> TestClient:
    return await shop_client(aiohttp_client, monkeypatch)


def request_of(made: dict[str, Any]) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(unaes(made["fields"]["TradeInfo"])))


def notice(made: dict[str, Any], status_: str = "SUCCESS", key: str = KEY, iv: str = IV,
           respond: str = "JSON", **result: str) -> dict[str, str]:
    """NewebPay's NotifyURL post about the trade of `made`: a paid card unless `result`
    says otherwise."""
    sent = request_of(made)
    fields = {"MerchantID": sent["MerchantID"], "Amt": sent["Amt"], "TradeNo": "26120213101234567",
              "MerchantOrderNo": sent["MerchantOrderNo"], "PaymentType": "CREDIT",
              "RespondType": respond, "PayTime": "2026-12-02 13:10:05", "IP": "127.0.0.1",
              "EscrowBank": "HNCB", "RespondCode": "00", "Auth": "115468", "Card6No": "400022",
              "Card4No": "1111", **result}
    if respond == "JSON":
        plain = json.dumps({"Status": status_, "Message": "授權成功", "Result": fields})
    else:
        plain = urllib.parse.urlencode({"Status": status_, "Message": "授權成功", **fields})
    trade_info = aes(plain, key, iv)
    return {"Status": status_, "MerchantID": MERCHANT, "Version": "2.0",
            "TradeInfo": trade_info, "TradeSha": newebpay_trade_sha(trade_info, key, iv)}


def code_issued(made: dict[str, Any], **result: str) -> dict[str, str]:
    """The CustomerURL post of an issued convenience-store code (no PayTime)."""
    return notice(made, PaymentType="CVS", PayTime="", CodeNo="LLL26120212345",
                  ExpireDate="2026-12-09", ExpireTime="235959", **result)


async def post(client: TestClient, body: dict[str, str]) -> int:
    return (await client.post("/notify/newebpay", data=body)).status


async def test_checkout_answers_the_mpg_form(client: TestClient) -> None:
    made = await checkout(client, "newebpay", product="tea-scoop", quantity=3)
    form, base, order = made["fields"], SETTINGS.base_url, made["order"]
    assert made["action"] == "http://127.0.0.1:9/newebpay/MPG/mpg_gateway"
    assert set(form) == {"MerchantID", "TradeInfo", "TradeSha", "Version"}
    assert (form["MerchantID"], form["Version"]) == (MERCHANT, "2.0")
    assert form["TradeSha"] == newebpay_trade_sha(form["TradeInfo"], KEY, IV)
    sent, trade = request_of(made), db_of(client).trade_of(order)
    assert sent["MerchantOrderNo"] == trade["trade_no"] and trade["gateway"] == "newebpay"
    assert sent["Amt"] == str(trade["amount"]) == "950"  # 3 x $9.90 at 32 TWD/USD
    assert (sent["RespondType"], sent["Version"], sent["CREDIT"], sent["VACC"], sent["CVS"]) \
        == ("JSON", "2.0", "1", "1", "1")
    assert sent["NotifyURL"] == f"{base}/notify/newebpay"
    assert sent["ReturnURL"] == sent["CustomerURL"] == f"{base}/return/newebpay/{order}"
    assert sent["ClientBackURL"] == f"{base}/orders/{order}"
    assert made["response"].headers["Content-Security-Policy"] == \
        "form-action 'self' http://127.0.0.1:9; frame-ancestors 'none'"
    assert "Continue to NewebPay</button>" in made["text"]


@pytest.mark.parametrize("respond", ["JSON", "String"])
async def test_a_genuine_notice_fulfils_once_however_often_it_comes(
        client: TestClient, respond: str) -> None:
    made = await checkout(client, "newebpay")
    paid = notice(made, respond=respond)
    assert await post(client, paid) == 200
    assert await post(client, paid) == 200
    assert await post(client, notice(made, respond=respond)) == 200  # re-encrypted copy
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}
    assert db_of(client).order(made["order"])["payment_intent"] == "26120213101234567"
    assert "NewebPay</strong>" in await order_page(client, made["order"])


async def test_an_issued_code_is_shown_then_the_payment_settles_it(client: TestClient) -> None:
    made = await checkout(client, "newebpay")
    answer = await client.post(f"/return/newebpay/{made['order']}", data=code_issued(made),
                               allow_redirects=False)
    assert (answer.status, answer.headers["Location"]) == (303, f"/orders/{made['order']}")
    page = await order_page(client, made["order"])
    assert ('with code <strong data-testid="order-code-number">LLL26120212345</strong>, before '
            '<span data-testid="order-code-expiry">2026-12-09 23:59:59</span>.') in page
    assert (await status(client, made["order"]))["status"] == "pending"
    assert await post(client, notice(made, PaymentType="CVS", CodeNo="LLL26120212345")) == 200
    assert await post(client, code_issued(made)) == 200  # a late copy on the server channel
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}
    assert "order-code" not in await order_page(client, made["order"])


async def test_a_code_issued_after_the_payment_changes_nothing(client: TestClient) -> None:
    made = await checkout(client, "newebpay")
    assert await post(client, notice(made, PaymentType="VACC")) == 200
    assert await post(client, code_issued(made, BankCode="812")) == 200
    assert (await status(client, made["order"]))["status"] == "paid"
    assert db_of(client).trade_of(made["order"])["code"] is None


async def test_the_browser_return_never_marks_paid(client: TestClient) -> None:
    made = await checkout(client, "newebpay")
    answer = await client.post(f"/return/newebpay/{made['order']}", data=notice(made),
                               allow_redirects=False)
    assert answer.status == 303
    assert (await status(client, made["order"]))["status"] == "pending"
    seen = db_of(client).conn.execute("SELECT COUNT(*) FROM seen_events").fetchone()[0]
    assert seen == 0
    assert await post(client, notice(made)) == 200
    assert (await status(client, made["order"]))["fulfilments"] == 1


async def test_only_the_encrypted_status_counts(client: TestClient) -> None:
    made = await checkout(client, "newebpay")
    failed = notice(made, status_="MPG03009")
    failed["Status"] = "SUCCESS"  # the outer Status is not signed
    assert await post(client, failed) == 200
    assert (await status(client, made["order"]))["status"] == "pending"


@pytest.mark.parametrize("forgery", [
    "tampered TradeSha", "tampered TradeInfo", "another merchant's keys", "no TradeSha",
    "amount mismatch", "unknown order", "another merchant id inside", "another outer merchant",
    "not encrypted",
])
async def test_forged_or_mismatched_notices_are_refused_and_change_nothing(
        client: TestClient, forgery: str) -> None:
    made = await checkout(client, "newebpay")
    body = notice(made)
    if forgery == "tampered TradeSha":
        body["TradeSha"] = newebpay_trade_sha(body["TradeInfo"], KEY, "x" * 16)
    elif forgery == "tampered TradeInfo":
        flipped = "1" if body["TradeInfo"][10] == "0" else "0"
        body["TradeInfo"] = body["TradeInfo"][:10] + flipped + body["TradeInfo"][11:]
    elif forgery == "another merchant's keys":
        body = notice(made, key="k" * 32, iv="i" * 16)
    elif forgery == "no TradeSha":
        del body["TradeSha"]
    elif forgery == "amount mismatch":
        body = notice(made, Amt="1")
    elif forgery == "unknown order":
        body = notice(made, MerchantOrderNo="PL0000000000000000")
    elif forgery == "another merchant id inside":
        body = notice(made, MerchantID="MS000000001")
    elif forgery == "another outer merchant":
        body["MerchantID"] = "MS000000001"
    elif forgery == "not encrypted":
        body["TradeInfo"] = "Status=SUCCESS"
        body["TradeSha"] = newebpay_trade_sha("Status=SUCCESS", KEY, IV)
    assert await post(client, body) == 400
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "pending",
        "status_text": "Waiting for payment confirmation…", "fulfilments": 0}
    assert db_of(client).conn.execute("SELECT COUNT(*) FROM seen_events").fetchone()[0] == 0


async def test_a_declined_attempt_then_a_paid_one_pays(client: TestClient) -> None:
    made = await checkout(client, "newebpay")
    assert await post(client, notice(made, status_="MPG03009")) == 200
    assert await post(client, notice(made)) == 200
    assert await status(client, made["order"]) == {
        "id": made["order"], "status": "paid", "status_text": "Paid", "fulfilments": 1}


async def test_a_notice_about_another_gateways_trade_is_refused(client: TestClient) -> None:
    ecpay_order = await checkout(client, "ecpay-credit")
    made = await checkout(client, "newebpay")
    trade_no = ecpay_order["fields"]["MerchantTradeNo"]
    body = notice(made, MerchantOrderNo=trade_no, Amt=ecpay_order["fields"]["TotalAmount"])
    assert await post(client, body) == 400
    assert (await status(client, ecpay_order["order"]))["status"] == "pending"
