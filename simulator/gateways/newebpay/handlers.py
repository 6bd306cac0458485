"""NewebPay's thin handlers: each reads the validated call and makes one service call (the
rules live in mpg.py and api.py, the words in render.py and wire.py)."""

from __future__ import annotations

from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.newebpay import api, mpg
from paylab.simulator.gateways.newebpay.pipeline import ApiAnswer, NewebPayContext


def mpg_gateway(ctx: NewebPayContext, call: Call) -> str:
    """POST /MPG/mpg_gateway: store the order; the answer redirects to its MPG page."""
    return mpg.create(ctx, call)


def query_trade_info(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """POST /API/QueryTradeInfo: one trade's status, with CheckCode."""
    return api.query(ctx, call)


def credit_card_close(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """POST /API/CreditCard/Close: capture or refund (or cancel a capture)."""
    return api.close(ctx, call)


def credit_card_cancel(ctx: NewebPayContext, call: Call) -> ApiAnswer:
    """POST /API/CreditCard/Cancel: void an authorisation."""
    return api.cancel(ctx, call)
