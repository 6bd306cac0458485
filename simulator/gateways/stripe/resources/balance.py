"""Stripe's Balance and BalanceTransactions (each with its fee and net).

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.errors import NotFound
from paylab.simulator.core.vocabulary import NOT_FOUND
from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext, check_expand, paging
from paylab.simulator.gateways.stripe.shapes import balance as shape

Result = dict[str, Any]
GATEWAY = "stripe"


def retrieve_balance(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance"""
    check_expand("balance", call.expand)
    return shape.balance(ctx.domain.balance.totals(call.tenant, GATEWAY))


def list_balance_transactions(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance_transactions"""
    page = ctx.domain.balance.page(call.tenant, **_filters(call.params), **paging(call.params))
    return ctx.listing("balance_transaction", page, "/v1/balance_transactions", call)


def retrieve_balance_transaction(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance_transactions/{transaction}"""
    doc = ctx.domain.balance.get(call.tenant, call.path["transaction"], param="transaction")
    return ctx.out("balance_transaction", doc, call)


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    """The list filters in the core's terms; no payouts are emulated, so every payout id
    is one Stripe does not know."""
    if params.get("payout"):
        raise NotFound(NOT_FOUND, f"No such payout: '{params['payout']}'", param="payout",
                       object="payout", id=params["payout"])
    stripe_type = params.get("type")
    return {
        # a type the simulator never writes (payout, topup, ...) matches no entry
        "entry_type": shape.CORE_TYPE.get(stripe_type, f"-{stripe_type}")
        if stripe_type else None,
        "source": params.get("source"),
        "currency": params.get("currency"),
    }
