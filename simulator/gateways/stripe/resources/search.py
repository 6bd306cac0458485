"""Stripe's Search API (`/v1/.../search?query=...`) for PaymentIntents, Charges and Customers.

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.resources.scaffold import NotBuilt

Result = dict[str, Any]
GATEWAY = "stripe"


def search_payment_intents(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_intents/search"""
    raise NotBuilt("SearchPaymentIntents")


def search_charges(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/charges/search"""
    raise NotBuilt("SearchCharges")


def search_customers(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/search"""
    raise NotBuilt("SearchCustomers")
