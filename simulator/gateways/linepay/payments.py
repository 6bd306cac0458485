"""LINE Pay's payment steps over the core's wallet orders: request (checks that LINE Pay
makes on the amounts), confirm, capture, void, refund, payment details and check-status.

A request becomes an order (`methods=["wallet"]`, `confirm=True`: the merchant confirms
after the shopper's approval) reserved for `RESERVATION` virtual seconds, plus a 19-digit
transaction id filed under the channel. Every step that changes something runs in one
`store.atomic()`, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import secrets
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.origin import Origin
from paylab.simulator.gateways.linepay import render, transactions
from paylab.simulator.gateways.linepay.wire import (
    CHECK,
    DECIMALS,
    DECLINES,
    LinePayError,
    minor,
    plain,
)

#: How long a payment request waits for the shopper and the merchant's confirm (virtual
#: seconds). LINE Pay's documents say reservations lapse if unconfirmed; 20 minutes is
#: our reading (gateways.md 3.4).
RESERVATION = 1200
#: Most transactions one Payment Details call may name (1177 beyond).
DETAILS_LIMIT = 100
GATEWAY = "linepay"


def _package_total(packages: list[dict[str, Any]], currency: str) -> int:
    """Σ (package amount + userFee), each package checked against its products."""
    total = 0
    for i, package in enumerate(packages):
        amount = minor(package["amount"], currency, f"packages.{i}.amount")
        products = sum(minor(p["price"], currency, f"packages.{i}.products.{j}.price")
                       * p["quantity"] for j, p in enumerate(package["products"]))
        if amount != products:
            raise LinePayError("2101", f"packages.{i}.amount must equal the sum of quantity "
                               "× price of its products", param=f"packages.{i}.amount")
        total += amount + minor(package.get("userFee", 0), currency, f"packages.{i}.userFee")
    return total


def request(domain: Domain, tenant: str, params: dict[str, Any], origin: Origin
            ) -> dict[str, Any]:
    """Check a Request API body and reserve the payment; the new order."""
    currency = params["currency"]
    amount = minor(params["amount"], currency, "amount")
    options = params.get("options") or {}
    shipping = options.get("shipping") or {}
    fee = minor(shipping.get("feeAmount", 0), currency, "options.shipping.feeAmount")
    if amount != _package_total(params["packages"], currency) + fee:
        raise LinePayError("2101", "amount must equal the sum of packages.amount, userFee and "
                           "options.shipping.feeAmount", param="amount")
    payment = options.get("payment") or {}
    if payment.get("payType") == "PREAPPROVED":
        raise LinePayError("1154", "payType PREAPPROVED is not emulated by paylab",
                           param="options.payment.payType")
    if domain.orders.find_by_merchant_order(tenant, params["orderId"]) is not None:
        raise LinePayError("1172", f"orderId {params['orderId']}", param="orderId")
    urls = params["redirectUrls"]
    first = params["packages"][0]["products"][0]["name"]
    with domain.store.atomic():
        transaction_id = transactions.new_id(domain)
        order = domain.orders.create(
            tenant, GATEWAY, merchant_order_no=params["orderId"], amount=amount,
            currency=currency, methods=["wallet"], description=first,
            callbacks={"confirm": urls["confirmUrl"], "cancel": urls["cancelUrl"]},
            extra={"transactionId": str(transaction_id), "channelId": tenant.split("-", 1)[1],
                   "packages": plain(params["packages"]),
                   "shipping": plain(shipping) or None,
                   "confirmUrlType": urls.get("confirmUrlType", "CLIENT"),
                   "paymentAccessToken": "".join(secrets.choice("0123456789")
                                                 for _ in range(12))},
            expires_at=domain.clock.now() + RESERVATION,
            capture=bool(payment.get("capture", True)), confirm=True,
            decimals=DECIMALS[currency], origin=origin)
        transactions.record(domain, tenant, transaction_id, order["id"], transactions.PAYMENT)
    return order


def _same_money(order: dict[str, Any], params: dict[str, Any], limit: int) -> int:
    """The amount asked for in minor units; 1153 for another currency or a larger amount."""
    if params["currency"] != render.currency(order):
        raise LinePayError("1153", f"currency {params['currency']} is not "
                           f"{render.currency(order)}", param="currency")
    amount = minor(params["amount"], params["currency"], "amount")
    if amount > limit:
        raise LinePayError("1153", param="amount")
    return amount


def confirm(domain: Domain, tenant: str, transaction_id: str, params: dict[str, Any],
            origin: Origin) -> dict[str, Any]:
    """The merchant confirms an approved payment for exactly its amount and currency."""
    order = transactions.order_of(domain, tenant, transaction_id)
    status = order["status"]
    if status == "created" and _lapsed(domain, order):
        raise LinePayError("1159", "the payment request expired")
    if status == "created":
        pending = (order.get("approval") or {}).get("status") == "pending"
        raise LinePayError("1145" if pending else "1169")
    if status in ("paid", "authorized") or (status == "canceled" and order["authorized_at"]):
        raise LinePayError("1172", f"transactionId {transaction_id} is already confirmed")
    if status == "failed":
        raise LinePayError(_failure_code(order))
    if status in ("canceled", "expired"):
        raise LinePayError("1159", f"the payment request was {status}")
    amount = _same_money(order, params, order["amount"])
    if amount != order["amount"]:
        raise LinePayError("1153", param="amount")
    return domain.orders.confirm(tenant, order["id"], amount=amount,
                                 currency=params["currency"], origin=origin)


def _lapsed(domain: Domain, order: dict[str, Any]) -> bool:
    """Whether the reservation's time is up (its expiry timer may not have run yet)."""
    return order["expires_at"] is not None and order["expires_at"] <= domain.clock.now()


def _failure_code(order: dict[str, Any]) -> str:
    return DECLINES.get(str((order.get("failure") or {}).get("decline_code")), "1110")


def authorized(domain: Domain, tenant: str, transaction_id: str) -> dict[str, Any]:
    """An authorisation waiting for capture or void; 1150 otherwise (our reading: the
    /authorizations/{id} resource does not exist then)."""
    order = transactions.order_of(domain, tenant, transaction_id)
    if order["status"] != "authorized":
        raise LinePayError("1150", f"transactionId {transaction_id} is no authorization "
                           f"waiting for capture (it is {render.pay_status(order)})"
                           if order["authorized_at"] else None, param="transactionId")
    return order


def capture(domain: Domain, tenant: str, transaction_id: str, params: dict[str, Any],
            origin: Origin) -> dict[str, Any]:
    """Capture an authorisation (up to its amount)."""
    order = authorized(domain, tenant, transaction_id)
    amount = _same_money(order, params, order["authorized_amount"])
    return domain.orders.capture(tenant, order["id"], amount, origin=origin)


def refund(domain: Domain, tenant: str, transaction_id: str, params: dict[str, Any],
           origin: Origin) -> dict[str, Any]:
    """Refund a captured payment, all that is left or `refundAmount`; the refund's info."""
    order = transactions.order_of(domain, tenant, transaction_id)
    if order["status"] != "paid":
        raise LinePayError("1155", "only captured payments can be refunded (void an "
                           "authorization)" if order["status"] == "authorized" else None)
    left = (order["captured_amount"] or order["amount"]) - order["refunded_amount"]
    if left <= 0:
        raise LinePayError("1165")
    amount = left
    if params.get("refundAmount") is not None:
        amount = minor(params["refundAmount"], render.currency(order), "refundAmount")
        if amount > left:
            raise LinePayError("1164", f"{render.amount(order, left)} can still be refunded",
                               param="refundAmount")
    with domain.store.atomic():
        refund_id = transactions.new_id(domain)
        domain.orders.refund(tenant, order["id"], amount, reference=str(refund_id),
                             origin=origin)
        transactions.record(domain, tenant, refund_id, order["id"], transactions.REFUND)
    return render.refund_info(refund_id, domain.clock.now())


def details(domain: Domain, tenant: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Payment Details: the confirmed payments and refunds named by transactionId and/or
    orderId; 1150 when none of them is one."""
    ids = [t for t in (params.get("transactionId") or "").split(",") if t]
    order_ids = [o for o in (params.get("orderId") or "").split(",") if o]
    if not ids and not order_ids:
        raise LinePayError("2101", "transactionId or orderId is required",
                           param="transactionId")
    if len(ids) + len(order_ids) > DETAILS_LIMIT:
        raise LinePayError("1177")
    fields = (params.get("fields") or "ALL").upper()
    found: list[dict[str, Any]] = []
    for text in ids:
        entry = _detail_of(domain, tenant, transactions.parse_id(text), fields)
        if entry is not None:
            found.append(entry)
    for order_id in order_ids:
        order = domain.orders.find_by_merchant_order(tenant, order_id)
        if order is not None and order["gateway"] == GATEWAY and order["authorized_at"]:
            found.append(render.payment_detail(order, fields))
    if not found:
        raise LinePayError("1150", param="transactionId")
    return found


def _detail_of(domain: Domain, tenant: str, transaction_id: int, fields: str
               ) -> dict[str, Any] | None:
    mapping = transactions.find(domain, tenant, transaction_id)
    if mapping is None:
        return None
    order = domain.orders.get(tenant, mapping["order"])
    if mapping["kind"] == transactions.REFUND:
        return render.refund_detail(order, mapping["id"])
    return render.payment_detail(order, fields) if order["authorized_at"] else None


def check(domain: Domain, tenant: str, transaction_id: str) -> tuple[str, str]:
    """Check Request Status: where the shopper's approval stands."""
    order = transactions.order_of(domain, tenant, transaction_id)
    status = order["status"]
    if status == "created" and _lapsed(domain, order):
        return CHECK["ended"]  # its expiry timer has not run yet
    if status == "created":
        return CHECK["pending"]
    if status == "approved":
        return CHECK["ready"]
    if status == "failed":
        return CHECK["failed"]
    if status in ("paid", "authorized") or order["authorized_at"]:
        return CHECK["complete"]
    return CHECK["ended"]
