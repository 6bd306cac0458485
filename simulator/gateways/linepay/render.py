"""LINE Pay's `info` objects, built from the core's orders: the request's answer, confirm,
capture, refund, payment details and its refund list (gateways.md 3.3-3.4). Transaction
ids are emitted as JSON integers; amounts in the currency's own unit."""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.linepay.wire import iso, major

Order = dict[str, Any]
#: How long a capture:false authorisation stays capturable (our reading: LINE Pay's
#: documents give no figure in our sources; it is shown, not enforced).
AUTHORIZATION_DAYS = 30
#: The shopper's funding choice -> LINE Pay's payInfo method.
METHODS = {"balance": "BALANCE", "card": "CREDIT_CARD"}


def currency(order: Order) -> str:
    """The order's currency as LINE Pay writes it."""
    return order["currency"].upper()


def transaction_id(order: Order) -> int:
    """The order's LINE Pay transaction id."""
    return int(order["extra"]["transactionId"])


def amount(order: Order, value: int) -> int | float:
    """Minor units of this order's currency as LINE Pay writes the amount."""
    return major(value, currency(order))


def pay_info(order: Order, value: int | None = None) -> list[dict[str, Any]]:
    """How the shopper paid: LINE Pay balance, or a card (masked, as shown in Taiwan)."""
    account = order.get("wallet") or {}
    method = METHODS.get(str(account.get("funding")), "BALANCE")
    info: dict[str, Any] = {"method": method,
                            "amount": amount(order, order["amount"] if value is None else value)}
    if method == "CREDIT_CARD":
        info.update(creditCardNickname=account.get("nickname", "paylab card"),
                    creditCardBrand=account.get("brand", "VISA"),
                    maskedCreditCardNumber=f"************{account.get('last4', '1111')}")
    return [info]


def request_info(order: Order, page_url: str) -> dict[str, Any]:
    """The Request API's info: transactionId, paymentAccessToken and paymentUrl."""
    return {"paymentUrl": {"web": page_url,
                           "app": f"line://pay/payment/{order['id']}"},
            "transactionId": transaction_id(order),
            "paymentAccessToken": order["extra"]["paymentAccessToken"]}


def authorization_expiry(order: Order) -> str | None:
    """When a capture:false authorisation lapses."""
    at = order.get("authorized_at")
    return iso(at + AUTHORIZATION_DAYS * 86400) if at is not None else None


def confirm_info(order: Order) -> dict[str, Any]:
    """The Confirm API's info."""
    info: dict[str, Any] = {"orderId": order["merchant_order_no"],
                            "transactionId": transaction_id(order),
                            "payInfo": pay_info(order),
                            "packages": order["extra"]["packages"]}
    if order["status"] == "authorized":
        info["authorizationExpireDate"] = authorization_expiry(order)
    if order["extra"].get("shipping"):
        info["shipping"] = order["extra"]["shipping"]
    return info


def capture_info(order: Order) -> dict[str, Any]:
    """The Capture API's info."""
    return {"orderId": order["merchant_order_no"], "transactionId": transaction_id(order),
            "payInfo": pay_info(order, order["captured_amount"])}


def refund_info(refund_id: int, created: float) -> dict[str, Any]:
    """The Refund API's info."""
    return {"refundTransactionId": refund_id, "refundTransactionDate": iso(created)}


def pay_status(order: Order) -> str:
    """payStatus of a confirmed payment."""
    if order["status"] == "authorized":
        return "AUTHORIZATION"
    if order["status"] == "canceled":
        return "VOIDED_AUTHORIZATION"
    return "CAPTURE"


def refund_type(order: Order, index: int) -> str:
    """PAYMENT_REFUND for the refund that emptied the payment, else PARTIAL_REFUND."""
    paid = order["captured_amount"] or order["amount"]
    so_far = sum(r["amount"] for r in order["refunds"][:index + 1])
    return "PAYMENT_REFUND" if so_far >= paid else "PARTIAL_REFUND"


def refund_list(order: Order) -> list[dict[str, Any]]:
    """The payment's refunds, amounts negative as LINE Pay lists them (our reading)."""
    return [{"refundTransactionId": int(r["reference"]),
             "transactionType": refund_type(order, i),
             "refundAmount": -amount(order, r["amount"]),
             "refundTransactionDate": iso(r["created"])}
            for i, r in enumerate(order["refunds"]) if r.get("reference")]


def _common(order: Order) -> dict[str, Any]:
    return {"productName": order["description"], "currency": currency(order),
            "orderId": order["merchant_order_no"]}


def payment_detail(order: Order, fields: str) -> dict[str, Any]:
    """One payment in the Payment Details API (`fields`: ALL, TRANSACTION or ORDER)."""
    out: dict[str, Any] = {"transactionId": transaction_id(order),
                           "transactionDate": iso(order.get("authorized_at")),
                           "transactionType": "PAYMENT", **_common(order)}
    if fields in ("ALL", "TRANSACTION"):
        out["payInfo"] = pay_info(order, order["captured_amount"] or order["amount"])
        out["payStatus"] = pay_status(order)
        if order["status"] == "authorized":
            out["authorizationExpireDate"] = authorization_expiry(order)
        refunds = refund_list(order)
        if refunds:
            out["refundList"] = refunds
    if fields in ("ALL", "ORDER"):
        out["packages"] = order["extra"]["packages"]
        if order["extra"].get("shipping"):
            out["shipping"] = order["extra"]["shipping"]
    return out


def refund_detail(order: Order, refund_id: str) -> dict[str, Any] | None:
    """A refund transaction in the Payment Details API."""
    for index, refund in enumerate(order["refunds"]):
        if refund.get("reference") == refund_id:
            return {"transactionId": int(refund_id),
                    "transactionDate": iso(refund["created"]),
                    "transactionType": refund_type(order, index),
                    "originalTransactionId": transaction_id(order),
                    "payInfo": [{**pay_info(order)[0], "amount": -amount(order,
                                                                        refund["amount"])}],
                    **_common(order)}
    return None
