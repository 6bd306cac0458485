"""Stripe's Products and (one-time) Prices.

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.resources.scaffold import NotBuilt

Result = dict[str, Any]
GATEWAY = "stripe"


def create_product(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/products"""
    raise NotBuilt("CreateProduct")


def list_products(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/products"""
    raise NotBuilt("ListProducts")


def retrieve_product(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/products/{product}"""
    raise NotBuilt("RetrieveProduct")


def update_product(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/products/{product}"""
    raise NotBuilt("UpdateProduct")


def delete_product(ctx: StripeContext, call: Call) -> Result:
    """DELETE /v1/products/{product}"""
    raise NotBuilt("DeleteProduct")


def create_price(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/prices"""
    raise NotBuilt("CreatePrice")


def list_prices(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/prices"""
    raise NotBuilt("ListPrices")


def retrieve_price(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/prices/{price}"""
    raise NotBuilt("RetrievePrice")


def update_price(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/prices/{price}"""
    raise NotBuilt("UpdatePrice")
