"""Stripe handlers: parse -> one core call -> render. The pipeline does everything else."""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext, paging

Result = dict[str, Any]
GATEWAY = "stripe"


# -- PaymentIntents -------------------------------------------------------------------------
def create_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_intents"""
    doc = ctx.domain.payments.create(call.tenant, GATEWAY, call.params, origin=call.origin)
    return ctx.out("payment_intent", doc, call)


def retrieve_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_intents/{intent}"""
    doc = ctx.domain.payments.get(call.tenant, call.path["intent"], param="intent")
    return ctx.out("payment_intent", doc, call)


def update_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_intents/{intent}"""
    doc = ctx.domain.payments.update(call.tenant, call.path["intent"], call.params)
    return ctx.out("payment_intent", doc, call)


def confirm_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_intents/{intent}/confirm"""
    doc = ctx.domain.payments.confirm(call.tenant, call.path["intent"], call.params,
                                     origin=call.origin)
    return ctx.out("payment_intent", doc, call)


def capture_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_intents/{intent}/capture"""
    amount = call.params.get("amount_to_capture")
    doc = ctx.domain.payments.capture(call.tenant, call.path["intent"], amount,
                                     origin=call.origin)
    return ctx.out("payment_intent", doc, call)


def cancel_payment_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_intents/{intent}/cancel"""
    reason = call.params.get("cancellation_reason")
    doc = ctx.domain.payments.cancel(call.tenant, call.path["intent"], reason,
                                    origin=call.origin)
    return ctx.out("payment_intent", doc, call)


def list_payment_intents(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_intents"""
    page = ctx.domain.payments.page(call.tenant, customer=call.params.get("customer"),
                                    **paging(call.params))
    return ctx.listing("payment_intent", page, "/v1/payment_intents", call)


# -- PaymentMethods and charges -------------------------------------------------------------
def create_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods"""
    p = call.params
    doc = ctx.domain.methods.create_card(call.tenant, p["card"], at=("card",),
                                         billing_details=p.get("billing_details"),
                                         metadata=p.get("metadata"))
    return ctx.out("payment_method", doc, call)


def retrieve_payment_method(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_methods/{payment_method}"""
    doc = ctx.domain.methods.get(call.tenant, call.path["payment_method"])
    return ctx.out("payment_method", doc, call)


def retrieve_charge(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/charges/{charge}"""
    doc = ctx.domain.charges.get(call.tenant, call.path["charge"], param="charge")
    return ctx.out("charge", doc, call)


def list_charges(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/charges"""
    page = ctx.domain.charges.page(call.tenant, payment=call.params.get("payment_intent"),
                                   **paging(call.params))
    return ctx.listing("charge", page, "/v1/charges", call)


# -- Refunds --------------------------------------------------------------------------------
def create_refund(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/refunds"""
    doc = ctx.domain.refunds.create(call.tenant, words.core_params(call.params),
                                    origin=call.origin)
    return ctx.out("refund", doc, call)


def retrieve_refund(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/refunds/{refund}"""
    doc = ctx.domain.refunds.get(call.tenant, call.path["refund"])
    return ctx.out("refund", doc, call)


def list_refunds(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/refunds"""
    p = call.params
    page = ctx.domain.refunds.page(call.tenant, payment=p.get("payment_intent"),
                                   charge=p.get("charge"), **paging(p))
    return ctx.listing("refund", page, "/v1/refunds", call)


# -- Events ---------------------------------------------------------------------------------
def retrieve_event(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/events/{id}"""
    return ctx.renderer.event(ctx.domain.events.get(call.tenant, call.path["id"]))


def list_events(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/events"""
    p = call.params
    types = list(p.get("types") or ()) + ([p["type"]] if p.get("type") else [])
    kinds = words.type_filter(types) if types else None
    docs, more = ctx.domain.events.page(call.tenant, types=kinds, **paging(p))
    return ctx.renderer.listing([ctx.renderer.event(d) for d in docs], more, "/v1/events")


# -- Webhook endpoints ----------------------------------------------------------------------
def create_webhook_endpoint(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/webhook_endpoints"""
    p = call.params
    doc = ctx.domain.endpoints.create(
        call.tenant, GATEWAY, url=p["url"], enabled_events=words.event_kinds(p["enabled_events"]),
        description=p.get("description"), metadata=p.get("metadata"),
        api_version=p.get("api_version"), secret_prefix=words.SECRET_PREFIX,
    )
    return ctx.renderer.webhook_endpoint(doc, with_secret=True)


def retrieve_webhook_endpoint(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/webhook_endpoints/{webhook_endpoint}"""
    doc = ctx.domain.endpoints.get(call.tenant, call.path["webhook_endpoint"])
    return ctx.renderer.webhook_endpoint(doc)


def update_webhook_endpoint(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/webhook_endpoints/{webhook_endpoint}"""
    doc = ctx.domain.endpoints.update(call.tenant, call.path["webhook_endpoint"],
                                      words.endpoint_changes(call.params))
    return ctx.renderer.webhook_endpoint(doc)


def delete_webhook_endpoint(ctx: StripeContext, call: Call) -> Result:
    """DELETE /v1/webhook_endpoints/{webhook_endpoint}"""
    doc = ctx.domain.endpoints.delete(call.tenant, call.path["webhook_endpoint"])
    return {"id": doc["id"], "object": "webhook_endpoint", "deleted": True}


def list_webhook_endpoints(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/webhook_endpoints"""
    docs, more = ctx.domain.endpoints.page(call.tenant, **paging(call.params))
    items = [ctx.renderer.webhook_endpoint(d) for d in docs]
    return ctx.renderer.listing(items, more, "/v1/webhook_endpoints")


# -- Checkout Sessions ----------------------------------------------------------------------
def create_checkout_session(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/checkout/sessions (line items' Price ids resolved through the catalog)"""
    params = ctx.domain.catalog.resolve_line_items(call.tenant, words.core_params(call.params))
    doc = ctx.domain.sessions.create(call.tenant, GATEWAY, params)
    return ctx.out("checkout_session", doc, call)


def retrieve_checkout_session(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/checkout/sessions/{session}"""
    doc = ctx.domain.sessions.get(call.tenant, call.path["session"])
    return ctx.out("checkout_session", doc, call)


def expire_checkout_session(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/checkout/sessions/{session}/expire"""
    doc = ctx.domain.sessions.expire(call.tenant, call.path["session"], origin=call.origin)
    return ctx.out("checkout_session", doc, call)


def list_checkout_sessions(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/checkout/sessions"""
    page = ctx.domain.sessions.page(call.tenant, call.params.get("payment_intent"),
                                    **paging(call.params))
    return ctx.listing("checkout_session", page, "/v1/checkout/sessions", call)


def list_line_items(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/checkout/sessions/{session}/line_items"""
    doc = ctx.domain.sessions.get(call.tenant, call.path["session"])
    url = f"/v1/checkout/sessions/{doc['id']}/line_items"
    return ctx.renderer.listing(ctx.renderer.line_items(doc), False, url)
