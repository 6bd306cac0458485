"""Stripe's Balance and BalanceTransactions (each with its fee and net).

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.resources.scaffold import NotBuilt

Result = dict[str, Any]
GATEWAY = "stripe"


def retrieve_balance(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance"""
    raise NotBuilt("RetrieveBalance")


def list_balance_transactions(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance_transactions"""
    raise NotBuilt("ListBalanceTransactions")


def retrieve_balance_transaction(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/balance_transactions/{transaction}"""
    raise NotBuilt("RetrieveBalanceTransaction")
