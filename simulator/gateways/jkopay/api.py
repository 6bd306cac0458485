"""The Refund and Inquiry APIs' rules (gateways.md 4).

Refund codes, in the order they are checked (which applies when is our reading of the
code table): 100 the order is not this store's or does not exist; 105 the refund_order_id
was used before with another amount (the same id and amount answer the first refund again,
and refund nothing more); 103 the amount is not a positive whole number; 113 the order is
not paid (nothing is refundable) or the amount exceeds what is left to refund; 922 the
amount alone exceeds the original final_price.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.jkopay import render, wire
from paylab.simulator.gateways.jkopay.pipeline import JkoContext
from paylab.simulator.gateways.jkopay.wire import JkoError
from paylab.simulator.gateways.kit.pipeline import Call

#: At most this many orders per inquiry (kurorido/jkopay-php-sdk: "最多可以查詢 20 筆").
INQUIRY_LIMIT = 20


def refund(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """Refund part or all of a paid order, once per refund_order_id."""
    params, orders = call.params, ctx.domain.orders
    order = orders.find_by_merchant_order(call.tenant, params["platform_order_id"])
    if order is None:
        raise JkoError(wire.NOT_FOUND, params["platform_order_id"], param="platform_order_id")
    reference, amount = params["refund_order_id"], params["refund_amount"]
    for index, earlier in enumerate(order["refunds"]):
        if earlier.get("reference") == reference:
            if earlier["amount"] != amount:
                raise JkoError(wire.REFUND_INCONSISTENT,
                               f"refund_order_id {reference} was for {earlier['amount']}",
                               param="refund_amount")
            return wire.answer(render.refund_entry(order, index))
    if amount < 1:
        raise JkoError(wire.REFUND_AMOUNT, "refund_amount must be a positive integer",
                       param="refund_amount")
    if order["status"] != "paid":
        raise JkoError(wire.REFUND_OVER_UNSETTLED, "the order is not paid: nothing is "
                       "refundable", param="platform_order_id")
    if amount > order["amount"]:
        raise JkoError(wire.REFUND_OVER_ORIGINAL,
                       f"refund_amount {amount} exceeds the order's {order['amount']}",
                       param="refund_amount")
    left = order["amount"] - order["refunded_amount"]
    if amount > left:
        raise JkoError(wire.REFUND_OVER_UNSETTLED, f"only {left} is left to refund",
                       param="refund_amount")
    order = orders.refund(call.tenant, order["id"], amount, reference=reference,
                          origin=call.origin)
    return wire.answer(render.refund_entry(order, len(order["refunds"]) - 1))


def order_ids(params: dict[str, Any]) -> list[str]:
    """The platform_order_ids asked for, in order, without repeats (200 when none, 108
    over the limit)."""
    given = params.get("platform_order_ids", params.get("platform_order_id", ""))
    names = given if isinstance(given, list) else str(given).split(",")
    ids = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not ids:
        raise JkoError(wire.BAD_PARAMS, "platform_order_ids is empty",
                       param="platform_order_ids")
    if len(ids) > INQUIRY_LIMIT:
        raise JkoError(wire.LIMIT, f"at most {INQUIRY_LIMIT} orders per inquiry",
                       param="platform_order_ids")
    if any(len(i) > 60 for i in ids):
        raise JkoError(wire.BAD_PARAMS, "platform_order_ids has an id longer than 60 characters",
                       param="platform_order_ids")
    return ids


def inquiry(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """Each order's status, amounts and refunds (102 for one this store does not have)."""
    orders = ctx.domain.orders
    return wire.answer({"transactions": [
        render.transaction(orders.find_by_merchant_order(call.tenant, i), i, history=True)
        for i in order_ids(call.params)]})
