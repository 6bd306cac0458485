"""Stripe's Customers and the saving of PaymentMethods to them (attach, detach, list).

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext, paging
from paylab.simulator.gateways.stripe.shapes.customers import deleted

Result = dict[str, Any]
GATEWAY = "stripe"


def core_params(params: dict[str, Any]) -> dict[str, Any]:
    """A customer request in the core's terms: `invoice_settings[default_payment_method]`
    is the customer's default method; an empty string clears a field."""
    out = {k: value for k, value in params.items() if k not in ("invoice_settings", "expand")}
    settings = params.get("invoice_settings") or {}
    if "default_payment_method" in settings:
        out["default_method"] = settings["default_payment_method"]
    return out


def method_filter(params: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod list's filters and paging in the core's terms."""
    return {"kind": params.get("type"), **paging(params)}


def create_customer(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/customers"""
    doc = ctx.domain.customers.create(call.tenant, GATEWAY, core_params(call.params),
                                      methods=ctx.domain.methods, origin=call.origin)
    return ctx.out("customer", doc, call)


def list_customers(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers"""
    page = ctx.domain.customers.page(call.tenant, email=call.params.get("email"),
                                     **paging(call.params))
    return ctx.listing("customer", page, "/v1/customers", call)


def retrieve_customer(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/{customer} (a deleted customer answers its stub)"""
    doc = ctx.domain.customers.retrieve(call.tenant, call.path["customer"])
    return deleted(doc) if doc.get("deleted") else ctx.out("customer", doc, call)


def update_customer(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/customers/{customer}"""
    doc = ctx.domain.customers.update(call.tenant, call.path["customer"],
                                      core_params(call.params), origin=call.origin)
    return ctx.out("customer", doc, call)


def delete_customer(ctx: StripeContext, call: Call) -> Result:
    """DELETE /v1/customers/{customer}"""
    return deleted(ctx.domain.customers.delete(call.tenant, call.path["customer"],
                                               origin=call.origin))


def list_customer_payment_methods(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/{customer}/payment_methods"""
    customer = call.path["customer"]
    page = ctx.domain.methods.saved(call.tenant, customer, **method_filter(call.params))
    return ctx.listing("payment_method", page, f"/v1/customers/{customer}/payment_methods",
                       call)


def list_payment_methods(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_methods (a customer's, or every one of the account's)"""
    page = ctx.domain.methods.listing(call.tenant, call.params.get("customer"),
                                      **method_filter(call.params))
    return ctx.listing("payment_method", page, "/v1/payment_methods", call)


def update_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}"""
    doc = ctx.domain.methods.update(call.tenant, call.path["payment_method"], call.params,
                                    GATEWAY, origin=call.origin)
    return ctx.out("payment_method", doc, call)


def attach_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}/attach"""
    doc = ctx.domain.methods.attach(call.tenant, call.path["payment_method"],
                                    call.params["customer"], origin=call.origin)
    return ctx.out("payment_method", doc, call)


def detach_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}/detach"""
    doc = ctx.domain.methods.detach(call.tenant, call.path["payment_method"], GATEWAY,
                                    origin=call.origin)
    return ctx.out("payment_method", doc, call)
