"""NewebPay's server APIs on orders: QueryTradeInfo (NDNF-1.1.9 4.3), CreditCard/Close
(capture, refund, and cancelling a capture; 4.5) and CreditCard/Cancel (void an
authorisation; 4.4).

The card state rules follow NewebPay's credit card state diagram as the manual describes
it: an authorisation is captured (請款) or voided (取消授權); a capture waits for the
nightly close (關帳) and may be cancelled until then; refunds (退款) come after the close.
Where the manual names no code for a case, the nearest documented one is used (README).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.orders import KIND
from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.mpg import TIMESTAMP_WINDOW
from paylab.simulator.gateways.newebpay.pipeline import GATEWAY, ApiAnswer, NewebPayContext
from paylab.simulator.gateways.newebpay.render import (
    CARD_METHODS,
    PAYMENT_TYPES,
    TAIPEI,
    local_time,
    payment_result,
    reference_of,
    trade_no,
)
from paylab.simulator.gateways.newebpay.wire import error, translate

QUERY_VERSIONS = ("1.1", "1.2", "1.3")
UNPAID_TIME = "0000-00-00 00:00:00"
#: Neutral status -> TradeStatus (0 unpaid, 1 paid, 2 failed, 3 cancelled, 6 refunded).
TRADE_STATUS = {"created": "0", "needs_action": "0", "awaiting_payment": "0",
                "authorized": "1", "paid": "1", "failed": "2", "expired": "2", "canceled": "3"}


def check_time(ctx: NewebPayContext, stamp: int) -> None:
    """TRA40014 unless within 120 s of the virtual (or the wall) clock."""
    clock = ctx.domain.clock
    if not any(abs(stamp - now) <= TIMESTAMP_WINDOW for now in (clock.now(), clock.wall())):
        raise error("TRA40014", "TimeStamp")


def _apply(operation: str, run: Callable[[], Doc]) -> Doc:
    """Run one orders operation; its neutral refusal in NewebPay's code for `operation`."""
    try:
        return run()
    except CoreError as exc:
        raise error(translate(exc, operation)[0]) from exc


def find(ctx: NewebPayContext, call: Call) -> Doc:
    """The card order IndexType names: 1 by MerchantOrderNo, 2 by TradeNo."""
    params, orders = call.params, ctx.domain.orders
    if params["IndexType"] == 1:
        number = params.get("MerchantOrderNo") or ""
        if not number:
            raise error("TRA10033", "MerchantOrderNo")
        if not number.replace("_", "").isalnum() or not number.isascii():
            raise error("TRA10037", number)
        order = orders.find_by_merchant_order(call.tenant, number)
    else:
        reference = reference_of(params.get("TradeNo") or "")
        if reference is None:
            raise error("TRA10038", params.get("TradeNo") or "TradeNo")
        # no index by reference: a merchant's orders are few in a test run
        order = next((o for _, o in ctx.domain.objects.all_of(KIND, call.tenant)
                      if o["reference"] == reference), None)
    if order is None or order["gateway"] != GATEWAY:
        raise error("TRA20002")
    if order["method"] not in CARD_METHODS:  # cards, device wallets' included
        raise error("TRA10021")
    return order


def _result(order: Doc, merchant_id: str, amount: int) -> dict[str, Any]:
    return {"MerchantID": merchant_id, "Amt": amount, "TradeNo": trade_no(order),
            "MerchantOrderNo": order["merchant_order_no"]}


def _check_code(order: Doc, merchant: Any) -> str:
    return crypto.check_code({"Amt": str(order["amount"]), "MerchantID": merchant.merchant_id,
                              "MerchantOrderNo": order["merchant_order_no"],
                              "TradeNo": trade_no(order)}, merchant.hash_key, merchant.hash_iv)


def close(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """Capture (CloseType 1), refund (2), or cancel either (Cancel=1)."""
    check_time(ctx, call.params["TimeStamp"])
    order, merchant = find(ctx, call), ctx.merchant(call.tenant)
    orders, tenant, amount, origin = ctx.domain.orders, call.tenant, call.params["Amt"], call.origin
    capture, cancel = call.params["CloseType"] == 1, call.params.get("Cancel") == 1
    if capture and cancel:
        if order["closed"]:
            raise error("TRA10095")
        order = _apply("cancel_capture", lambda: orders.cancel_capture(tenant, order["id"],
                                                                       origin=origin))
        message = "取消請款成功"
    elif capture:
        if order["status"] == "paid":
            raise error("TRA10027")
        order = _apply("capture", lambda: orders.capture(tenant, order["id"], amount,
                                                         origin=origin))
        message = "請款成功"
    elif cancel:  # refunds complete at once here, so none is left to cancel
        raise error("TRA10094", "refund already processed")
    else:
        _check_refund(ctx, order, amount)
        order = _apply("refund", lambda: orders.refund(tenant, order["id"], amount,
                                                       origin=origin))
        message = "退款成功"
    return ApiAnswer("SUCCESS", message, _result(order, merchant.merchant_id, amount))


def _check_refund(ctx: NewebPayContext, order: Doc, amount: int) -> None:
    if order["status"] != "paid":
        raise error("TRA10035")
    if not order["closed"] and GATEWAY in ctx.domain.orders.closes:
        raise error("TRA10048", "the capture waits for the nightly close")
    if amount > order["captured_amount"]:
        raise error("TRA10039")  # more than what is left: the core refuses (TRA20028)


def cancel(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """Void an authorisation (Amt must be the authorised amount)."""
    check_time(ctx, call.params["TimeStamp"])
    order, merchant = find(ctx, call), ctx.merchant(call.tenant)
    if order["status"] != "authorized":
        raise error("TRA10047")
    if call.params["Amt"] != order["authorized_amount"]:
        raise error("TRA10050")
    order = _apply("void", lambda: ctx.domain.orders.void(call.tenant, order["id"],
                                                          origin=call.origin))
    result = _result(order, merchant.merchant_id, order["amount"])
    return ApiAnswer("SUCCESS", "放棄授權成功", {**result,
                                              "CheckCode": _check_code(order, merchant)})


def query(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """One trade's status, signed with CheckCode."""
    params, merchant = call.params, ctx.merchant(call.tenant)
    if params["Version"] not in QUERY_VERSIONS:
        raise error("MEM40013", "Version")
    check_time(ctx, params["TimeStamp"])
    expected = crypto.check_value({"Amt": str(params["Amt"]), "MerchantID": params["MerchantID"],
                                   "MerchantOrderNo": params["MerchantOrderNo"]},
                                  merchant.hash_key, merchant.hash_iv)
    if not crypto.same_digest(expected, params["CheckValue"]):
        raise error("TRA10054")
    order = ctx.domain.orders.find_by_merchant_order(call.tenant, params["MerchantOrderNo"])
    if order is None or order["gateway"] != GATEWAY:
        raise error("TRA10021")
    if order["amount"] != params["Amt"]:
        raise error("TRA10050")
    return ApiAnswer("SUCCESS", "查詢成功", trade_status(order, merchant, params["Version"]))


def trade_status(order: Doc, merchant: Any, version: str) -> dict[str, Any]:
    """The Result of a query: the trade, its card or code details, and CheckCode."""
    status = TRADE_STATUS[order["status"]]
    if order["refunded_amount"] and order["refunded_amount"] >= order["captured_amount"]:
        status = "6"
    paid_at = order.get("authorized_at") or order.get("paid_at")
    paid = status in ("1", "6") and paid_at is not None
    out: dict[str, Any] = {
        "MerchantID": merchant.merchant_id, "Amt": order["amount"], "TradeNo": trade_no(order),
        "MerchantOrderNo": order["merchant_order_no"], "TradeStatus": status,
        "PaymentType": PAYMENT_TYPES.get(order["method"] or "", ""),
        "CreateTime": local_time(order["created"]),
        "PayTime": local_time(paid_at) if paid else UNPAID_TIME,
        "CheckCode": _check_code(order, merchant),
        # best reading: the payout date is the store's own schedule; the pay date stands in
        "FundTime": local_time(paid_at)[:10] if paid else "0000-00-00",
    }
    if order["method"] in CARD_METHODS:
        out.update(_card_status(order, merchant))
    elif order["method"] in ("atm", "cvs", "barcode") and order.get("code"):
        out.update(_code_status(order))
    if version == "1.3" and order["method"] not in CARD_METHODS:
        out["OrderStatus"] = status
    return out


def _card_status(order: Doc, merchant: Any) -> dict[str, Any]:
    shown = payment_result(order, merchant.merchant_id)
    captured, refunded = order["captured_amount"], order["refunded_amount"]
    close_status = "3" if order["closed"] else "1" if order["status"] == "paid" else "0"
    return {
        "RespondCode": shown.get("RespondCode", ""), "Auth": shown.get("Auth", ""),
        "ECI": shown.get("ECI", ""), "CloseAmt": str(captured), "CloseStatus": close_status,
        "BackBalance": str(captured - refunded if order["closed"] else 0),
        "BackStatus": "3" if refunded else "0",
        "RespondMsg": "授權成功" if order["authorized_amount"] else "授權失敗",
        "Inst": "0", "InstFirst": "0", "InstEach": "0",
        "PaymentMethod": shown.get("PaymentMethod", "CREDIT"),
        "Card6No": shown.get("Card6No", ""), "Card4No": shown.get("Card4No", ""),
        "AuthBank": shown.get("AuthBank", ""),
    }


def _code_status(order: Doc) -> dict[str, Any]:
    code = order["code"]
    if order["method"] == "atm":
        pay_info = f"({code['bank_code']}){code['account']}"
    elif order["method"] == "cvs":
        pay_info = code["payment_no"]
    else:
        pay_info = ",".join(code["barcodes"])
    expires = dt.datetime.fromtimestamp(order["expires_at"], TAIPEI)
    return {"PayInfo": pay_info, "ExpireDate": expires.strftime("%Y-%m-%d %H:%M:%S")}
