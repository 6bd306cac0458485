"""ECPay's operations: parse (done by the pipeline) -> one core call -> render."""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.ecpay import checkmac, checkout, pages, render, wire
from paylab.simulator.gateways.ecpay.pipeline import EcpayContext
from paylab.simulator.gateways.ecpay.wire import EcpayError
from paylab.simulator.gateways.kit.pipeline import Call

#: QueryTradeInfo and QueryPaymentInfo accept a TimeStamp this close to now, either side
#: (ECPay's SDK sends now + 120 s, gateways.md 8).
TIMESTAMP_WINDOW = 180


def aio_checkout(ctx: EcpayContext, call: Call) -> str:
    """POST /Cashier/AioCheckOut/V5: a new order, answered with the cashier page."""
    order = checkout.create_order(ctx.domain, call.tenant, call.params, call.origin)
    return pages.cashier(order, ctx.cashier_url(order, "/choose"))


def query_trade_info(ctx: EcpayContext, call: Call) -> dict[str, str]:
    """POST /Cashier/QueryTradeInfo/V5: the trade's state, signed."""
    order = _queried(ctx, call)
    return checkmac.signed(render.trade_info(order), ctx.merchant(call.tenant))


def query_payment_info(ctx: EcpayContext, call: Call) -> dict[str, str]:
    """POST /Cashier/QueryPaymentInfo: the code issued for the trade, signed."""
    order = _queried(ctx, call)
    if order["code"] is None:
        raise EcpayError(wire.REFUSED, "No ATM, CVS or BARCODE code was issued for this trade.")
    return checkmac.signed(render.code_fields(order), ctx.merchant(call.tenant))


def do_action(ctx: EcpayContext, call: Call) -> dict[str, str]:
    """POST /CreditDetail/DoAction: close, refund, cancel the close, or abandon."""
    order = _order(ctx, call)
    if call.params["TradeNo"] != order["reference"]:
        raise EcpayError(wire.TRADE_NO, param="TradeNo")
    done = checkout.do_action(ctx.domain, call.tenant, order, call.params["Action"],
                              call.params["TotalAmount"], call.origin)
    return render.action_done(done)


def _order(ctx: EcpayContext, call: Call) -> dict[str, Any]:
    order = ctx.domain.orders.find_by_merchant_order(call.tenant, call.params["MerchantTradeNo"])
    if order is None:
        raise EcpayError(wire.NOT_FOUND, param="MerchantTradeNo")
    return order


def _queried(ctx: EcpayContext, call: Call) -> dict[str, Any]:
    if abs(call.params["TimeStamp"] - ctx.domain.clock.wall()) > TIMESTAMP_WINDOW:
        raise wire.parameter_error("TimeStamp", "is outside the 3-minute window")
    return _order(ctx, call)
