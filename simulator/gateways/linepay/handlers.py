"""LINE Pay's operations: parse (done by the pipeline) -> one step -> render."""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.linepay import payments, render
from paylab.simulator.gateways.linepay.pipeline import LinePayContext
from paylab.simulator.gateways.linepay.wire import LinePayError


def request(ctx: LinePayContext, call: Call) -> dict[str, Any]:
    """POST /v3/payments/request: reserve a payment; where the shopper approves it."""
    order = payments.request(ctx.domain, call.tenant, call.params, call.origin)
    return render.request_info(order, ctx.page_url(order))


def confirm(ctx: LinePayContext, call: Call) -> dict[str, Any]:
    """POST /v3/payments/{transactionId}/confirm."""
    order = payments.confirm(ctx.domain, call.tenant, _id(call), call.params, call.origin)
    return render.confirm_info(order)


def capture(ctx: LinePayContext, call: Call) -> dict[str, Any]:
    """POST /v3/payments/authorizations/{transactionId}/capture."""
    order = payments.capture(ctx.domain, call.tenant, _id(call), call.params, call.origin)
    return render.capture_info(order)


def void(ctx: LinePayContext, call: Call) -> None:
    """POST /v3/payments/authorizations/{transactionId}/void (LINE Pay answers no info)."""
    order = payments.authorized(ctx.domain, call.tenant, _id(call))
    ctx.domain.orders.void(call.tenant, order["id"], origin=call.origin)


def refund(ctx: LinePayContext, call: Call) -> dict[str, Any]:
    """POST /v3/payments/{transactionId}/refund."""
    return payments.refund(ctx.domain, call.tenant, _id(call), call.params, call.origin)


def details(ctx: LinePayContext, call: Call) -> list[dict[str, Any]]:
    """GET /v3/payments?transactionId=...&orderId=...&fields=..."""
    return payments.details(ctx.domain, call.tenant, call.params)


def check(ctx: LinePayContext, call: Call) -> tuple[str, str]:
    """GET /v3/payments/requests/{transactionId}/check."""
    return payments.check(ctx.domain, call.tenant, _id(call))


def preapproved(ctx: LinePayContext, call: Call) -> None:
    """The preapproved (regKey) APIs: not emulated, refused in LINE Pay's shape."""
    raise LinePayError("1154", "preapproved (regKey) payments are not emulated by paylab",
                       param="regKey")


def _id(call: Call) -> str:
    return str(payments.transactions.parse_id(call.path["transactionId"]))
