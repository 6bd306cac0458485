"""JKOPay's answers and callback bodies, rendered from the neutral order: the entry's
result_object, a transaction (inquiry item, result_url callback) with its order status
code, and a refund.

Redeem fields (JKO coins, coupons) are always 0: the simulator's shopper pays the whole
final_price from the wallet, so debit_amount is final_price.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from paylab.simulator.gateways.jkopay import wire

Order = dict[str, Any]

NO_REDEEM = {"jko_coin_amount": 0, "official_coupon_amount": 0, "store_coupon_amount": 0}
#: The wallet account's funding (core words) -> JKOPay's channel_type.
CHANNELS = {"balance": "account", "account": "account", "bank": "bank", "card": "creditcard",
            "creditcard": "creditcard"}


def status_code(order: Order | None) -> int:
    """JKOPay's order status: 0 paid (refunds included), 1 an approval under way, 101 not
    paid (waiting, failed, cancelled or expired), 102 no such order."""
    if order is None:
        return wire.STATUS_NOT_FOUND
    if order["status"] in ("paid", "authorized"):
        return wire.STATUS_SUCCESS
    if order["status"] == "created" and (order.get("approval") or {}).get("status") == "pending":
        return wire.STATUS_PROCESSING
    return wire.STATUS_NOT_PAID


def entry_result(order: Order, page_url: str, qr_url: str) -> dict[str, Any]:
    """The entry's result_object: the approval page, its QR image and when both stop."""
    return {"payment_url": page_url, "qr_img": qr_url, "qr_timeout": int(order["expires_at"])}


def transaction(order: Order | None, platform_order_id: str, *,
                history: bool = False) -> dict[str, Any]:
    """One transaction as inquiry and the result_url callback show it (an unknown order:
    status 102 with empty values); `history` adds refund_history."""
    if order is None:
        out: dict[str, Any] = {
            "platform_order_id": platform_order_id, "status": wire.STATUS_NOT_FOUND,
            "tradeNo": "", "trans_time": "", "currency": "TWD", "final_price": 0,
            "redeem_amount": 0, "redeem_detail": dict(NO_REDEEM), "debit_amount": 0,
            "invoice_vehicle": "", "channel_type": "", "maskNo": ""}
        if history:
            out["refund_history"] = []
        return out
    account = order.get("wallet") or {}
    paid = order["status"] in ("paid", "authorized")
    out = {
        "platform_order_id": order["merchant_order_no"], "status": status_code(order),
        "tradeNo": order["reference"],
        "trans_time": wire.taiwan_time(order.get("paid_at") or order.get("authorized_at")
                                       or order["created"]),
        "currency": "TWD", "final_price": order["amount"], "redeem_amount": 0,
        "redeem_detail": dict(NO_REDEEM), "debit_amount": order["amount"] if paid else 0,
        "invoice_vehicle": str(account.get("invoice_vehicle", "")) if paid else "",
        "channel_type": CHANNELS.get(str(account.get("funding", "")), "account")
        if paid else "",
        "maskNo": str(account.get("mask", "")) if paid else "",
    }
    if history:
        out["refund_history"] = [refund_entry(order, i, with_result=True)
                                 for i in range(len(order["refunds"]))]
    return out


def refund_trade_no(order: Order, index: int) -> str:
    """JKOPay's number of an order's `index`-th refund: R, the trade number, two digits."""
    return f"R{order['reference']}{index + 1:02d}"


def refund_entry(order: Order, index: int, *, with_result: bool = False) -> dict[str, Any]:
    """One refund: the refund answer's result_object, or (`with_result`) an inquiry's
    refund_history item."""
    refund = order["refunds"][index]
    out: dict[str, Any] = {"result": wire.OK, "message": wire.MESSAGES[wire.OK]} \
        if with_result else {"platform_order_id": order["merchant_order_no"]}
    out.update(refund_order_id=refund.get("reference", ""),
               refund_tradeNo=refund_trade_no(order, index), debit_amount=refund["amount"],
               redeem_amount=0, redeem_detail=dict(NO_REDEEM))
    out["time" if with_result else "refund_time"] = wire.taiwan_time(refund["created"])
    return out


def callback(order: Order) -> dict[str, Any]:
    """The result_url callback's body."""
    return {"transaction": transaction(order, order["merchant_order_no"])}


def display_url(url: str, platform_order_id: str) -> str:
    """result_display_url with platform_order_id added to its query (our reading: JKOPay
    documents the browser return but not what it appends)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query.append(("platform_order_id", platform_order_id))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def status_word(order: Order) -> str:
    """An order's state in a refusal's words."""
    return {"failed": "failed", "canceled": "cancelled", "expired": "expired"}.get(
        order["status"], order["status"])
