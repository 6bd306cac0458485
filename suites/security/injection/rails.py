"""The Taiwanese form-post rails (ECPay, NewebPay) as probe surfaces: what their surface
files name by `module:function`.

- object makers (`make:`): a merchant registered for the probing test, orders placed and
  paid through the gateway's own pages (`suites.security.rails`, run on a thread);
- signing hooks (`sign:`): after the payload went into one field, the body is signed again
  (ECPay's CheckMacValue, NewebPay's CheckValue) or sealed (NewebPay's TradeInfo and
  PostData_ are encrypted with the merchant's keys), so a probe gets past the gateway's
  signature check and reaches the probed field's own handling. A probe of the signature
  field itself keeps its payload;
- refusal readers (`refusals:`): both gateways refuse with HTTP 200 (ECPay's server APIs
  RtnCode/RtnMsg, NewebPay's MPG error page and API JSON) or with ECPay's error page;
  each reader turns an answer into a `Refusal` naming the field it is about, or None.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import urllib.parse
from typing import Any

from paylab.shop.settings import ShopSettings
from paylab.simulator.gateways.ecpay import CLOSE_DEFAULT, TAIWAN_OFFSET
from paylab.simulator.gateways.ecpay.wire import CLOSE_MINUTES
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.wire import API_FIELD_CODES, MPG_FIELD_CODES
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.security import rails
from paylab.suites.security.injection.bench import Bench
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.verdict import Refusal
from paylab.suites.security.injection.wire import Answer

from paylab.testing.control import ControlClient
from paylab.testing.server import CONTROL_TOKEN_ENV

_FIELD = re.compile(r"^[A-Za-z_][\w\[\]-]*$")


# -- objects ----------------------------------------------------------------------------
async def merchant(base_url: str, gateway: str) -> dict[str, Any]:
    """A merchant of `gateway` registered for this test (its keys in full)."""
    return await asyncio.to_thread(rails.register, base_url, gateway)


def _ecpay(base_url: str, m: dict[str, Any]) -> rails.Ecpay:
    return rails.Ecpay(base_url, m["merchant_id"], m["hash_key"], m["hash_iv"])


def _newebpay(base_url: str, m: dict[str, Any]) -> rails.NewebPay:
    return rails.NewebPay(base_url, m["merchant_id"], m["hash_key"], m["hash_iv"])


async def ecpay_order(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """An open ECPay credit order (MerchantTradeNo, TotalAmount)."""
    no, _ = await asyncio.to_thread(_ecpay(base_url, merchant).open_order)
    return {"MerchantTradeNo": no, "TotalAmount": 500}


async def ecpay_code_order(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """An ECPay order with a convenience-store code issued (MerchantTradeNo)."""
    no = await asyncio.to_thread(_ecpay(base_url, merchant).code_order)
    return {"MerchantTradeNo": no, "TotalAmount": 500}


async def ecpay_card_trade(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """An ECPay credit trade authorised with the stage card (MerchantTradeNo, TradeNo),
    made a few real seconds clear of ECPay's daily close, during which DoAction refuses
    every trade (the probe that follows then falls outside it too)."""
    await asyncio.to_thread(_clear_of_ecpay_close, base_url)
    no, trade = await asyncio.to_thread(_ecpay(base_url, merchant).pay_card)
    return {"MerchantTradeNo": no, "TradeNo": trade, "TotalAmount": 500}


def _clear_of_ecpay_close(base_url: str) -> None:
    """Wait until the simulator's virtual clock (Taiwan time) is clear of ECPay's close."""
    control = ControlClient(base_url, token=os.environ.get(CONTROL_TOKEN_ENV))
    with control.session:
        control.clock.wait_outside_daily(CLOSE_DEFAULT, CLOSE_MINUTES,
                                         utc_offset_hours=TAIWAN_OFFSET)


async def ecpay_card_form(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """A new order's card form on ECPay's cashier (`action`: where it posts)."""
    return {"action": await asyncio.to_thread(_ecpay(base_url, merchant).card_form)}


async def newebpay_hosted(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """A new order's hosted MPG page (`location`: where it is shown and posts)."""
    no, location = await asyncio.to_thread(_newebpay(base_url, merchant).start)
    return {"MerchantOrderNo": no, "location": location}


async def newebpay_mpg_form(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """A new order's MPG form, sealed but not posted (MerchantID, TradeInfo, TradeSha)."""
    client = _newebpay(base_url, merchant)
    return client.seal(client.trade_info(rails.trade_no("N")))


async def newebpay_order(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """An open NewebPay order (MerchantOrderNo, Amt)."""
    no, _ = await asyncio.to_thread(_newebpay(base_url, merchant).start)
    return {"MerchantOrderNo": no, "Amt": 500}


async def newebpay_card_trade(base_url: str, merchant: dict[str, Any]) -> dict[str, Any]:
    """A NewebPay order authorised by card on the hosted page (MerchantOrderNo, Amt)."""
    no = await asyncio.to_thread(_newebpay(base_url, merchant).pay_card)
    return {"MerchantOrderNo": no, "Amt": 500}


# -- signing hooks ------------------------------------------------------------------------
Pairs = list[tuple[str, bytes]]


def _text(value: bytes) -> str:
    """A value as text to sign: bytes that are not UTF-8 are signed as Latin-1 (the
    gateway refuses such a form before it checks the signature anyway)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _plain(pairs: Pairs) -> str:
    """The pairs as NewebPay's `http_build_query` plaintext (ASCII: every byte escaped)."""
    return "&".join(urllib.parse.quote_plus(k, safe="") + "=" +
                    urllib.parse.quote_plus(v, safe="").replace("~", "%7E") for k, v in pairs)


async def ecpay_sign(bench: Bench, field: Field, pairs: Pairs, hostile: bool) -> Pairs:
    """CheckMacValue over every other pair, with the merchant's keys and the hash the
    form's own EncryptType names (SHA256 unless it says 0)."""
    if hostile and field.name == "CheckMacValue":
        return pairs
    keys = await bench.resolve("$ecpay_merchant", {})
    rest = [(k, v) for k, v in pairs if k != "CheckMacValue"]
    fields = {k: _text(v) for k, v in rest}
    encrypt_type = 0 if fields.get("EncryptType") == "0" else 1
    mac = ecpay_check_mac_value(fields, keys["hash_key"], keys["hash_iv"], encrypt_type)
    return [*rest, ("CheckMacValue", mac.encode())]


async def newebpay_seal_trade_info(bench: Bench, field: Field, pairs: Pairs,
                                   hostile: bool) -> Pairs:
    """The MPG form: the probed TradeInfo fields encrypted, with TradeSha."""
    keys = await bench.resolve("$newebpay_merchant", {})
    sealed = crypto.encrypt(_plain(pairs), keys["hash_key"], keys["hash_iv"])
    sha = crypto.trade_sha(sealed, keys["hash_key"], keys["hash_iv"])
    return [("MerchantID", keys["merchant_id"].encode()), ("TradeInfo", sealed.encode()),
            ("TradeSha", sha.encode()), ("Version", b"2.0")]


async def newebpay_seal_post_data(bench: Bench, field: Field, pairs: Pairs,
                                  hostile: bool) -> Pairs:
    """CreditCard/Close and /Cancel: the probed fields encrypted into PostData_."""
    keys = await bench.resolve("$newebpay_merchant", {})
    sealed = crypto.encrypt(_plain(pairs), keys["hash_key"], keys["hash_iv"])
    return [("MerchantID_", keys["merchant_id"].encode()), ("PostData_", sealed.encode())]


async def newebpay_outer_trade_sha(bench: Bench, field: Field, pairs: Pairs,
                                   hostile: bool) -> Pairs:
    """The MPG form's outer fields: a probed TradeInfo gets its own TradeSha (so it is
    decrypted, and refused as what it is); every other field goes as it is."""
    if not (hostile and field.name == "TradeInfo"):
        return pairs
    keys = await bench.resolve("$newebpay_merchant", {})
    info = next((_text(v) for k, v in pairs if k == "TradeInfo"), "")
    sha = crypto.trade_sha(info, keys["hash_key"], keys["hash_iv"])
    return [(k, v) for k, v in pairs if k != "TradeSha"] + [("TradeSha", sha.encode())]


async def newebpay_check_value(bench: Bench, field: Field, pairs: Pairs,
                               hostile: bool) -> Pairs:
    """QueryTradeInfo's CheckValue over Amt, MerchantID and MerchantOrderNo."""
    if hostile and field.name == "CheckValue":
        return pairs
    keys = await bench.resolve("$newebpay_merchant", {})
    fields = {k: _text(v) for k, v in pairs}
    signed = {k: fields.get(k, "") for k in ("Amt", "MerchantID", "MerchantOrderNo")}
    check = crypto.check_value(signed, keys["hash_key"], keys["hash_iv"])
    return [(k, v) for k, v in pairs if k != "CheckValue"] + [("CheckValue", check.encode())]


# -- refusal readers ----------------------------------------------------------------------
#: ECPay's codes that are about one field (the rest name theirs in "Parameter Error.").
ECPAY_CODES = {"10200073": "CheckMacValue", "10200141": "MerchantID",
               "10200052": "MerchantTradeNo", "10300028": "MerchantTradeNo",
               "10200047": "MerchantTradeNo", "10200027": "TradeNo"}
#: RtnCodes of success: a DoAction done, a code issued (ATM 2, CVS/BARCODE 10100073).
ECPAY_SUCCESS = ("1", "2", "10100073")


def ecpay_refusal(answer: Answer) -> Refusal | None:
    """ECPay's error page, its `0|message`, or RtnCode/RtnMsg other than a success."""
    body = answer.text
    if 'data-testid="ecpay-error"' in body:
        code = rails.shown(body, "error-code") or ""
        message = rails.shown(body, "error-message") or ""
    elif body.startswith("0|"):
        code, message = "0", body[2:]
    else:
        fields = rails.parse_urlencoded(body)
        code = fields.get("RtnCode", "")
        if not code or code in ECPAY_SUCCESS:
            return None
        message = fields.get("RtnMsg", "")
    words = message.split()
    if message.startswith("Parameter Error.") and len(words) > 2 and _FIELD.match(words[2]):
        return Refusal(code, words[2], message, validation=True)
    return Refusal(code, ECPAY_CODES.get(code), message, validation=code == "10200052")


#: NewebPay's codes that stand for a field, by code (its own convention: one per field).
NEWEBPAY_CODES: dict[str, str] = {
    **{code: "|".join(f for f, c in MPG_FIELD_CODES.items() if c == code)
       for code in set(MPG_FIELD_CODES.values())},
    **{code: "|".join(f for f, c in API_FIELD_CODES.items() if c == code)
       for code in set(API_FIELD_CODES.values())},
    "MPG02002": "MerchantID", "MPG03008": "MerchantOrderNo", "TRA10054": "CheckValue",
    "MPG01023": "TradeInfo", "MPG01024": "TradeSha", "MPG03007": "MerchantID",
    "TRA10008": "PostData_", "TRA10001": "MerchantID", "TRA10009": "MerchantID",
    "TRA20002": "MerchantOrderNo|TradeNo",
    "TRA10021": "MerchantOrderNo|TradeNo"}


def newebpay_refusal(answer: Answer) -> Refusal | None:
    """NewebPay's MPG error page, or an API answer whose Status is not SUCCESS."""
    body = answer.text
    if 'data-testid="mpg-error"' in body:
        code = rails.shown(body, "error-code") or ""
        message = rails.shown(body, "error-message") or ""
    elif answer.media_type == "application/json":
        try:
            document = json.loads(body)
        except ValueError:
            return None
        code, message = str(document.get("Status", "")), str(document.get("Message", ""))
    elif "Status=" in body:
        fields = dict(urllib.parse.parse_qsl(body))
        code, message = fields.get("Status", ""), fields.get("Message", "")
    else:
        return None
    if code == "SUCCESS":
        return None
    # the field: by its code where NewebPay has one per field, else the first word of the
    # message's `(detail)`, which names the field (for some codes it repeats the value)
    start, end = message.find("("), message.rfind(")")
    words = message[start + 1:end].split() if 0 <= start < end else []
    named = words[0] if words and _FIELD.match(words[0]) else None
    validation = code.startswith(("MPG01", "MEM4")) or code in API_FIELD_CODES.values()
    return Refusal(code, NEWEBPAY_CODES.get(code) or named, message, validation)


async def code_payment(base_url: str) -> dict[str, Any]:
    """A payment waiting on its convenience-store code (what POST /_sim/payments/{id}/
    simulate settles): an ECPay order of a merchant registered for it; its `id`."""

    def place() -> dict[str, Any]:
        client = _ecpay(base_url, rails.register(base_url, "ecpay"))
        no = client.code_order()
        ledger = rails.requests.get(f"{base_url}/_sim/ledger", timeout=rails.TIMEOUT,
                                    params={"tenant": f"ecpay-{client.merchant_id}"}).json()
        return next(p for p in ledger["payments"] if p["merchant_order_no"] == no)

    return await asyncio.to_thread(place)


# -- the shop's receivers ------------------------------------------------------------------
#: The keys the reference shop signs and checks with (its defaults: the stage merchants).
SHOP = ShopSettings()


async def shop_trade(base_url: str, gateway: str) -> dict[str, Any]:
    """A pending order at the shop on a form-post rail: its trade number and amount, read
    from the signed form the shop hands the browser (nothing is posted to the gateway)."""

    def start() -> dict[str, Any]:
        _, order, _, form = rails.shop_checkout(base_url, f"{gateway}-credit"
                                                if gateway == "ecpay" else gateway)
        if gateway == "ecpay":
            return {"order": order, "trade_no": form["MerchantTradeNo"],
                    "amount": form["TotalAmount"]}
        info = dict(urllib.parse.parse_qsl(crypto.decrypt(
            form["TradeInfo"], SHOP.newebpay_hash_key, SHOP.newebpay_hash_iv)))
        return {"order": order, "trade_no": info["MerchantOrderNo"], "amount": info["Amt"]}

    return await asyncio.to_thread(start)


async def shop_ecpay_notice(bench: Bench, field: Field, pairs: Pairs, hostile: bool) -> Pairs:
    """A ReturnURL notice signed with the shop's own keys (CheckMacValue itself probed:
    as it is)."""
    if hostile and field.name == "CheckMacValue":
        return pairs
    rest = [(k, v) for k, v in pairs if k != "CheckMacValue"]
    mac = ecpay_check_mac_value({k: _text(v) for k, v in rest}, SHOP.ecpay_hash_key,
                                SHOP.ecpay_hash_iv, 1)
    return [*rest, ("CheckMacValue", mac.encode())]


#: The NotifyURL fields outside the encrypted Result.
_OUTER = ("Status", "Message")


async def shop_newebpay_notice(bench: Bench, field: Field, pairs: Pairs,
                               hostile: bool) -> Pairs:
    """A NotifyURL post sealed with the shop's own keys: Status and Message around a
    Result of every other probed field, in JSON (RespondType=JSON)."""
    fields = [(k, _text(v)) for k, v in pairs]
    result = {k: v for k, v in fields if k not in _OUTER}
    document = {**{k: v for k, v in fields if k in _OUTER}, "Result": result}
    key, iv = SHOP.newebpay_hash_key, SHOP.newebpay_hash_iv
    sealed = crypto.encrypt(json.dumps(document, ensure_ascii=False), key, iv)
    return [("Status", b"SUCCESS"), ("MerchantID", SHOP.newebpay_merchant_id.encode()),
            ("Version", b"2.0"), ("TradeInfo", sealed.encode()),
            ("TradeSha", crypto.trade_sha(sealed, key, iv).encode())]


#: The shop's refusal reasons (`0|<reason>`, `{"error": <reason>}`) -> the fields they are
#: about (notify.py words them; an amount or trade refused is the trade's own field).
SHOP_REASONS = {"CheckMacValue Error": "CheckMacValue", "TradeSha Error": "TradeSha",
                "MerchantID Error": "MerchantID", "Amount Error": "TradeAmt|Amt",
                "Unknown trade": "MerchantTradeNo|MerchantOrderNo",
                "TradeInfo Error": "TradeInfo"}


def shop_notice_refusal(answer: Answer) -> Refusal | None:
    """The shop's receivers: `0|reason` (ECPay) or `{"error": reason}` (NewebPay)."""
    if answer.status < 400:
        return None
    reason = answer.text[2:] if answer.text.startswith("0|") else ""
    if answer.media_type == "application/json":
        try:
            reason = str(json.loads(answer.body).get("error", ""))
        except (ValueError, AttributeError):
            reason = ""
    return Refusal(str(answer.status), SHOP_REASONS.get(reason), reason, validation=True)
