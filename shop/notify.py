"""The shop's receivers for the form-post rails: ECPay's ReturnURL / PaymentInfoURL notices
and NewebPay's NotifyURL, plus the shopper's browser coming back from either.

Rules (the security suite probes them):
- every notice is verified first (ECPay CheckMacValue, NewebPay TradeSha, compared in
  constant time); a bad one is refused (`0|CheckMacValue Error`, HTTP 400) and changes
  nothing;
- what it says must match the shop's own trade: the merchant, the trade number and the
  amount; a mismatch is refused, logged, and never fulfilled;
- each notice is recorded and applied in one transaction (`ShopDB.recording`), keyed by
  gateway + trade number + RtnCode / Status, so a duplicate is acknowledged and ignored;
- an order only moves forward (pending -> paid, fulfilled once), so a code-issued notice
  arriving after the payment cannot move it back;
- only a server notice marks an order paid: the browser's return (ECPay OrderResultURL,
  NewebPay ReturnURL / CustomerURL) is shown the order page, at most with its new code;
- the gateways' success answers: ECPay exactly `1|OK`, NewebPay HTTP 200.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.shop import ecpay, newebpay
from paylab.shop.db import ShopDB
from paylab.shop.settings import ShopSettings

log = logging.getLogger("paylab.shop.notify")


class Refused(Exception):
    """A notice the shop will not act on: `reason` goes into the answer (never the
    notice's own bytes), `detail` into the log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail or reason


def _amount(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def _trade(db: ShopDB, gateway: str, trade_no: str, amount: str | None) -> dict[str, Any]:
    trade = db.trade(trade_no)
    if trade is None or trade["gateway"] != gateway:
        raise Refused("Unknown trade", f"no {gateway} trade {trade_no!r}")
    if _amount(amount) != trade["amount"]:
        raise Refused("Amount Error", f"amount {amount!r} on trade {trade_no} of order "
                      f"{trade['order_id']}, which is for {trade['amount']}")
    return trade


def settle(db: ShopDB, trade: dict[str, Any], key: str, kind: str, *, reference: str = "",
           payment_type: str = "", code: tuple[str, str, str] | None = None,
           message: str = "") -> str:
    """Apply one verified notice about `trade` at most once (`key` names it); returns what
    happened. `kind`: paid, code (issued), failed."""
    order_id = trade["order_id"]
    with db.recording(key, f"{trade['gateway']}.{kind}") as first_time:
        if not first_time:
            return "duplicate"
        if kind == "paid":
            if not db.mark_paid(order_id, reference or None, None, key):
                return f"order {order_id} was not pending"
            db.set_payment_type(trade["trade_no"], payment_type)
            db.empty_cart((db.order(order_id) or {}).get("cart", ""))
            return f"order {order_id} paid and fulfilled"
        if kind == "code" and code is not None:
            if db.set_code(trade["trade_no"], *code):
                return f"code recorded on {order_id}"
            return f"ignored: order {order_id} is no longer pending"
        db.note_failure(order_id, message or "The payment failed.")
        return f"payment failure noted on {order_id}"


def ecpay_notice(db: ShopDB, settings: ShopSettings, fields: Mapping[str, str]) -> str:
    """A ReturnURL (RtnCode 1 paid, else failed) or PaymentInfoURL (RtnCode 2 / 10100073,
    code issued) notice; raises Refused."""
    if not ecpay.verify(fields, settings.ecpay_hash_key, settings.ecpay_hash_iv):
        raise Refused("CheckMacValue Error")
    if fields.get("MerchantID") != settings.ecpay_merchant_id:
        raise Refused("MerchantID Error")
    trade = _trade(db, "ecpay", fields.get("MerchantTradeNo", ""), fields.get("TradeAmt"))
    rtn_code = fields.get("RtnCode", "")
    key = f"ecpay:{trade['trade_no']}:{rtn_code}"
    if rtn_code == ecpay.PAID:
        # SimulatePaid=1 (the stage back office's or the simulator's "simulate paid") counts
        # here: this shop only ever runs against stage. A production shop refuses it.
        return settle(db, trade, key, "paid", reference=fields.get("TradeNo", ""),
                      payment_type=fields.get("PaymentType", ""))
    code = ecpay.issued_code(fields)
    if code is not None:
        return settle(db, trade, key, "code", code=code)
    return settle(db, trade, key, "failed", message=fields.get("RtnMsg", ""))


def newebpay_notice(db: ShopDB, settings: ShopSettings, form: Mapping[str, str], *,
                    browser: bool = False) -> str:
    """A NotifyURL notice (or, with `browser`, the ReturnURL / CustomerURL post, which may
    only record an issued code); raises Refused."""
    trade_info, sha = form.get("TradeInfo", ""), form.get("TradeSha", "")
    key_, iv = settings.newebpay_hash_key, settings.newebpay_hash_iv
    if not trade_info or not newebpay.verify(trade_info, sha, key_, iv):
        raise Refused("TradeSha Error")
    if form.get("MerchantID") != settings.newebpay_merchant_id:
        raise Refused("MerchantID Error")
    try:  # the outer Status is not signed: only the encrypted one counts
        status, message, result = newebpay.parse_result(newebpay.decrypt(trade_info, key_, iv))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise Refused("TradeInfo Error", f"TradeInfo cannot be read: {exc}") from exc
    if result.get("MerchantID") != settings.newebpay_merchant_id:
        raise Refused("MerchantID Error")
    trade = _trade(db, "newebpay", result.get("MerchantOrderNo", ""), result.get("Amt"))
    key = f"newebpay:{trade['trade_no']}:{status}"
    code = newebpay.issued_code(status, result)
    if code is not None:
        return settle(db, trade, f"{key}:code", "code", code=code)
    if browser:
        return "ignored: only the server notice decides the payment"
    if status == newebpay.SUCCESS:
        return settle(db, trade, key, "paid", reference=result.get("TradeNo", ""),
                      payment_type=result.get("PaymentType", ""))
    return settle(db, trade, key, "failed", message=message)


async def _fields(request: web.Request) -> dict[str, str]:
    """The posted form, each name once and every value text; else Refused."""
    try:
        form = await request.post()
    except ValueError as exc:  # a body that is no form
        raise Refused("Form Error", f"unreadable form: {exc}") from exc
    fields: dict[str, str] = {}
    for name, value in form.items():
        if name in fields or not isinstance(value, str):
            raise Refused("Form Error", f"field {name!r} repeated or not text")
        fields[name] = value
    return fields


def ecpay_receiver(db: ShopDB, settings: ShopSettings) -> web.Handler:
    """POST /notify/ecpay (ReturnURL and PaymentInfoURL): `1|OK` when applied or already
    applied; `0|<reason>` with HTTP 400 when refused (ECPay then sends it again)."""

    async def handle(request: web.Request) -> web.Response:
        try:
            outcome = ecpay_notice(db, settings, await _fields(request))
        except Refused as exc:
            log.warning("ECPay notice refused: %s", exc.detail)
            return web.Response(status=400, text=f"0|{exc.reason}")
        log.info("ECPay notice: %s", outcome)
        return web.Response(text=ecpay.OK)

    return handle


def newebpay_receiver(db: ShopDB, settings: ShopSettings) -> web.Handler:
    """POST /notify/newebpay (NotifyURL): HTTP 200 when applied or already applied
    (NewebPay's only success signal); HTTP 400 when refused."""

    async def handle(request: web.Request) -> web.Response:
        try:
            outcome = newebpay_notice(db, settings, await _fields(request))
        except Refused as exc:
            log.warning("NewebPay notice refused: %s", exc.detail)
            return web.json_response({"error": exc.reason}, status=400)
        log.info("NewebPay notice: %s", outcome)
        return web.json_response({"received": True})

    return handle


def browser_return(db: ShopDB, settings: ShopSettings) -> web.Handler:
    """POST /return/{gateway}/{order}: the shopper's browser back from the gateway, sent on
    to the order page (which polls until the server notice settles the order). Never
    trusted for the payment; a NewebPay post may carry an issued code, kept if signed."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.match_info["gateway"] == "newebpay":
            try:
                log.info("NewebPay return: %s",
                         newebpay_notice(db, settings, await _fields(request), browser=True))
            except Refused as exc:
                log.warning("NewebPay return not used: %s", exc.detail)
        raise web.HTTPSeeOther(
            "/orders/" + urllib.parse.quote(request.match_info["order"], safe=""))

    return handle
