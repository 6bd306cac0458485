"""Stripe's SetupIntents: saving a card for later payments, with 3-D Secure when asked.

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext, paging

Result = dict[str, Any]
GATEWAY = "stripe"
KIND = "setup_intent"


def _intent(call: Call) -> str:
    """The SetupIntent id in the path."""
    return call.path["setup_intent"]


def create_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents"""
    doc = ctx.domain.setups.create(call.tenant, GATEWAY, call.params, origin=call.origin)
    return ctx.out(KIND, doc, call)


def list_setup_intents(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/setup_intents"""
    p = call.params
    page = ctx.domain.setups.page(call.tenant, customer=p.get("customer"),
                                  method=p.get("payment_method"), **paging(p))
    return ctx.listing(KIND, page, "/v1/setup_intents", call)


def retrieve_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/setup_intents/{intent}"""
    doc = ctx.domain.setups.get(call.tenant, _intent(call))
    return ctx.out(KIND, doc, call)


def update_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}"""
    doc = ctx.domain.setups.update(call.tenant, _intent(call), call.params)
    return ctx.out(KIND, doc, call)


def confirm_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}/confirm"""
    doc = ctx.domain.setups.confirm(call.tenant, _intent(call), call.params,
                                    origin=call.origin)
    return ctx.out(KIND, doc, call)


def cancel_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}/cancel"""
    doc = ctx.domain.setups.cancel(call.tenant, _intent(call),
                                   call.params.get("cancellation_reason"), origin=call.origin)
    return ctx.out(KIND, doc, call)
