"""The Entry API's rules (gateways.md 4): check an order's fields, store it with its
result_url callback and its approval window, or answer a re-entry of the same order.

JKOPay pays at once when the shopper approves (no merchant confirm step), so orders are
created with confirm=False and captured on approval. The payment URL and QR code work for
20 minutes, or until valid_time when that comes first; a re-entry with the same unpaid
platform_order_id and the same amounts returns the same URL and expiry and refreshes
nothing (our reading of "re-calling returns the same URL").
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.errors import CoreError
from paylab.simulator.gateways.jkopay import render, wire
from paylab.simulator.gateways.jkopay.pipeline import JkoContext
from paylab.simulator.gateways.jkopay.wire import GATEWAY, JkoError
from paylab.simulator.gateways.kit.pipeline import Call

#: How long a payment URL and its QR code work (gateways.md 4).
QR_LIFETIME = 20 * 60
#: The core's events the result_url callback reports.
CALLBACK_KINDS = ("order.paid", "order.failed", "order.canceled", "order.expired")
#: Fields kept on the order and echoed by the pages (never read by the core).
ECHOED = ("total_price", "unredeem", "payment_type", "escrow", "confirm_url")


def check(ctx: JkoContext, params: dict[str, Any], now: float) -> float:
    """The rules a contract cannot say; the order's expiry (epoch)."""
    if params["final_price"] > params["total_price"]:
        raise JkoError(wire.VALIDATION, "final_price must not exceed total_price",
                       param="final_price")
    if params["unredeem"] > params["final_price"]:
        raise JkoError(wire.VALIDATION, "unredeem must not exceed final_price",
                       param="unredeem")
    if params.get("payment_type", "onetime") != "onetime":
        raise JkoError(wire.VALIDATION, "payment_type regular (recurring) is not emulated",
                       param="payment_type")
    expires = now + QR_LIFETIME
    if "valid_time" in params:
        try:
            valid = wire.parse_taiwan_time(params["valid_time"])
        except ValueError as exc:
            raise JkoError(wire.VALIDATION, "valid_time is not a date (YYYY-mm-dd HH:MM:SS)",
                           param="valid_time") from exc
        if valid <= now:
            raise JkoError(wire.VALIDATION, "valid_time is in the past", param="valid_time")
        expires = min(expires, valid)
    return expires


def create(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """Store a new order (or answer a re-entry); the entry's envelope."""
    params, domain = call.params, ctx.domain
    earlier = domain.orders.find_by_merchant_order(call.tenant, params["platform_order_id"])
    if earlier is not None:
        return reentry(ctx, earlier, params)
    expires = check(ctx, params, domain.clock.now())
    products = params.get("products") or []
    description = "\n".join(f"{p['name']} x{p['unit_count']}" for p in products)
    extra = {k: params[k] for k in ECHOED if k in params}
    extra.update(store_id=params["store_id"], products=products)
    callbacks = {k: params[k] for k in ("result_url", "result_display_url") if k in params}
    try:
        with domain.store.atomic():
            order = domain.orders.create(
                call.tenant, GATEWAY, merchant_order_no=params["platform_order_id"],
                amount=params["final_price"], currency="twd", methods=["wallet"],
                description=description, callbacks=callbacks, extra=extra,
                expires_at=expires, capture=True, confirm=False, origin=call.origin)
            if "result_url" in params:
                domain.callbacks.register(call.tenant, GATEWAY, order["id"],
                                          params["result_url"], CALLBACK_KINDS,
                                          metadata={"field": "result_url"})
    except JkoError:
        raise
    except CoreError as exc:
        if exc.code == "duplicate_order":  # a concurrent entry of the same order won
            raise JkoError(wire.VALIDATION, "platform_order_id is already used") from exc
        raise JkoError(wire.VALIDATION, exc.message, param=str(exc.param or "")) from exc
    return answered(ctx, order)


def reentry(ctx: JkoContext, order: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The same order again: its URL while unpaid and unchanged; 101 once paid."""
    if order["status"] in ("paid", "authorized"):
        raise JkoError(wire.ALREADY_PAID, params["platform_order_id"])
    given = {"currency": params["currency"], "total_price": params["total_price"],
             "final_price": params["final_price"], "unredeem": params["unredeem"]}
    kept = {"currency": "TWD", "total_price": order["extra"].get("total_price"),
            "final_price": order["amount"], "unredeem": order["extra"].get("unredeem")}
    if given != kept:
        raise JkoError(wire.VALIDATION, "platform_order_id is already used with other amounts",
                       param="final_price")
    if order["status"] != "created":
        raise JkoError(wire.VALIDATION, f"platform_order_id is already used by an order that "
                       f"is {render.status_word(order)}", param="platform_order_id")
    return answered(ctx, order)


def answered(ctx: JkoContext, order: dict[str, Any]) -> dict[str, Any]:
    """The entry's envelope for an order."""
    return wire.answer(render.entry_result(order, ctx.page_url(order),
                                           ctx.page_url(order, "/qr.svg")))
