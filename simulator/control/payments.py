"""Control API for pending payments: settle, expire or fail a payment waiting on a code
(ATM, convenience store, barcode) on any gateway, as ECPay's back-office "模擬付款" does, and
approve, decline, cancel or expire a wallet payment waiting for the shopper's approval."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.orders import KIND
from paylab.simulator.gateways.spec import Operation as Op

_C = "control/payments"
#: The wallet account a simulated approval pays from (adapters fill in their own details).
SIMULATED_ACCOUNT = {"id": "simulated", "funding": "balance", "simulated": True}


async def simulate(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/payments/{id}/simulate: `paid` (SimulatePaid=1 in the gateway's notice),
    `expired` or `failed`; for a wallet payment also `approved` (what `paid` means there: the
    shopper approves) and `canceled`. 404 for no such order, 409 when it is not pending."""
    order_id = request.match_info["id"]
    found = ctx.domain.orders.find_any(order_id)
    if found is None:
        raise ControlError(404, "not_found", f"No such payment: {order_id}", "id")
    tenant, order = found
    outcome, orders = params["outcome"], ctx.domain.orders
    wallet = order["methods"] == ["wallet"]
    try:
        if wallet and outcome in ("paid", "approved"):
            order = orders.approve(tenant, order_id, account=SIMULATED_ACCOUNT)
        elif outcome == "canceled" and wallet:
            order = orders.abandon(tenant, order_id)
        elif outcome in ("approved", "canceled"):
            raise ControlError(409, "not_a_wallet_payment",
                               f"{order_id} is not a wallet payment; {outcome} applies to "
                               "wallet payments only.", "outcome")
        elif outcome == "paid":
            order = orders.settle(tenant, order_id, simulated=True)
        elif outcome == "expired":
            order = orders.expire(tenant, order_id)
        else:
            order = orders.fail(tenant, order_id, "simulated_failure")
    except CoreError as exc:
        await ctx.domain.store.durable()  # a code found past its expiry did expire
        raise ControlError(409, exc.code, exc.message, "outcome") from exc
    await ctx.domain.store.durable()
    return {"id": order["id"], "object": KIND, "gateway": order["gateway"], "tenant": tenant,
            "merchant_order_no": order["merchant_order_no"], "status": order["status"],
            "method": order["method"], "amount": order["amount"],
            "simulated": order["simulated"]}


OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/payments/{id}/simulate", "SimulatePayment", simulate,
       "Settle, expire or fail a pending code payment (ATM, store code, barcode), or "
       "approve, decline, cancel or expire a pending wallet payment, on any gateway",
       request=_C, response=f"{_C}#/$defs/response", errors=(400, 404, 409),
       content_type="application/json"),
)
