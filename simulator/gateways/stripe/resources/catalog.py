"""Stripe's Products and (one-time) Prices.

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext, paging
from paylab.simulator.gateways.stripe.shapes.catalog import deleted_product

Result = dict[str, Any]
GATEWAY = "stripe"


def create_product(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/products"""
    doc = ctx.domain.catalog.create_product(call.tenant, GATEWAY, call.params,
                                            origin=call.origin)
    return ctx.out("product", doc, call)


def list_products(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/products"""
    p = call.params
    page = ctx.domain.catalog.products(call.tenant, active=p.get("active"), ids=p.get("ids"),
                                       shippable=p.get("shippable"), url=p.get("url"),
                                       **paging(p))
    return ctx.listing("product", page, "/v1/products", call)


def retrieve_product(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/products/{product}"""
    doc = ctx.domain.catalog.product(call.tenant, call.path["product"], param="id")
    return ctx.out("product", doc, call)


def update_product(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/products/{product}"""
    doc = ctx.domain.catalog.update_product(call.tenant, call.path["product"], call.params,
                                            origin=call.origin)
    return ctx.out("product", doc, call)


def delete_product(ctx: StripeContext, call: Call) -> Result:
    """DELETE /v1/products/{product}"""
    doc = ctx.domain.catalog.delete_product(call.tenant, call.path["product"],
                                            origin=call.origin)
    return deleted_product(doc)


def create_price(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/prices"""
    doc = ctx.domain.catalog.create_price(call.tenant, GATEWAY, call.params, origin=call.origin)
    return ctx.out("price", doc, call)


def list_prices(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/prices"""
    p = call.params
    page = ctx.domain.catalog.prices(call.tenant, active=p.get("active"),
                                     currency=p.get("currency"), product=p.get("product"),
                                     price_type=p.get("type"), lookup_keys=p.get("lookup_keys"),
                                     **paging(p))
    return ctx.listing("price", page, "/v1/prices", call)


def retrieve_price(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/prices/{price}"""
    doc = ctx.domain.catalog.price(call.tenant, call.path["price"])
    return ctx.out("price", doc, call)


def update_price(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/prices/{price}"""
    doc = ctx.domain.catalog.update_price(call.tenant, call.path["price"], call.params,
                                          origin=call.origin)
    return ctx.out("price", doc, call)
