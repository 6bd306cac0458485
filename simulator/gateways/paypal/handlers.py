"""PayPal's operations: parse (done by the pipeline) -> one checkout step -> render.

Each handler returns (HTTP status, resource); `Prefer: return=minimal` trims an order to
its id, status and links (the simulator answers the full representation otherwise).
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.paypal import checkout, state, webhooks
from paylab.simulator.gateways.paypal.pipeline import PaypalContext

Result = tuple[int, Any]


def _minimal(call: Call) -> bool:
    return "return=minimal" in call.params.get("prefer", "").replace(" ", "")


def _order(ctx: PaypalContext, call: Call, status: int) -> Result:
    doc = state.load(ctx.domain, call.tenant, call.path["id"])
    core = state.core_order(ctx.domain, call.tenant, doc)
    return status, ctx.renderer.order(doc, core, minimal=_minimal(call))


def create_order(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/checkout/orders."""
    doc = checkout.create(ctx.domain, call.tenant, call.params["body"], call.origin)
    core = state.core_order(ctx.domain, call.tenant, doc)
    return 201, ctx.renderer.order(doc, core, minimal=_minimal(call))


def get_order(ctx: PaypalContext, call: Call) -> Result:
    """GET /v2/checkout/orders/{id}."""
    return _order(ctx, call, 200)


def capture_order(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/checkout/orders/{id}/capture."""
    doc = state.load(ctx.domain, call.tenant, call.path["id"])
    checkout.complete(ctx.domain, call.tenant, doc, "CAPTURE", call.origin)
    return _order(ctx, call, 201)


def authorize_order(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/checkout/orders/{id}/authorize."""
    doc = state.load(ctx.domain, call.tenant, call.path["id"])
    checkout.complete(ctx.domain, call.tenant, doc, "AUTHORIZE", call.origin)
    return _order(ctx, call, 201)


def get_authorization(ctx: PaypalContext, call: Call) -> Result:
    """GET /v2/payments/authorizations/{authorization_id}."""
    doc = _by(ctx, call, "authorization")
    return 200, ctx.renderer.authorization(doc, state.core_order(ctx.domain, call.tenant, doc))


def capture_authorization(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/payments/authorizations/{authorization_id}/capture."""
    doc = _by(ctx, call, "authorization")
    capture = checkout.capture_authorization(ctx.domain, call.tenant, doc, call.params["body"],
                                             call.origin)
    doc = state.load(ctx.domain, call.tenant, doc["id"])
    core = state.core_order(ctx.domain, call.tenant, doc)
    return 201, _trim(ctx.renderer.capture(doc, capture, core), call)


def void_authorization(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/payments/authorizations/{authorization_id}/void: 204, or the voided
    authorization with `Prefer: return=representation`."""
    doc = _by(ctx, call, "authorization")
    checkout.void_authorization(ctx.domain, call.tenant, doc, call.origin)
    if "return=representation" in call.params.get("prefer", "").replace(" ", ""):
        doc = state.load(ctx.domain, call.tenant, doc["id"])
        return 200, ctx.renderer.authorization(doc, state.core_order(ctx.domain, call.tenant,
                                                                     doc))
    return 204, None


def get_capture(ctx: PaypalContext, call: Call) -> Result:
    """GET /v2/payments/captures/{capture_id}."""
    doc = _by(ctx, call, "capture")
    capture = state.capture_of(doc, call.path["id"])
    return 200, ctx.renderer.capture(doc, capture,
                                     state.core_order(ctx.domain, call.tenant, doc))


def refund_capture(ctx: PaypalContext, call: Call) -> Result:
    """POST /v2/payments/captures/{capture_id}/refund."""
    doc = _by(ctx, call, "capture")
    capture = state.capture_of(doc, call.path["id"])
    made = checkout.refund(ctx.domain, call.tenant, doc, capture, call.params["body"],
                           call.origin)
    doc = state.load(ctx.domain, call.tenant, doc["id"])
    core = state.core_order(ctx.domain, call.tenant, doc)
    return 201, _trim(ctx.renderer.refund(doc, made, core), call)


def get_refund(ctx: PaypalContext, call: Call) -> Result:
    """GET /v2/payments/refunds/{refund_id}."""
    doc = _by(ctx, call, "refund")
    refund = next(r for r in doc["refunds"] if r["id"] == call.path["id"])
    return 200, ctx.renderer.refund(doc, refund, state.core_order(ctx.domain, call.tenant, doc))


def create_webhook(ctx: PaypalContext, call: Call) -> Result:
    """POST /v1/notifications/webhooks."""
    return 201, webhooks.create(ctx, call.tenant, call.params["body"])


def list_webhooks(ctx: PaypalContext, call: Call) -> Result:
    """GET /v1/notifications/webhooks."""
    return 200, {"webhooks": webhooks.listing(ctx, call.tenant)}


def get_webhook(ctx: PaypalContext, call: Call) -> Result:
    """GET /v1/notifications/webhooks/{webhook_id}."""
    return 200, webhooks.shown(ctx, webhooks.load(ctx, call.tenant, call.path["id"]))


def delete_webhook(ctx: PaypalContext, call: Call) -> Result:
    """DELETE /v1/notifications/webhooks/{webhook_id}: 204."""
    webhooks.delete(ctx, call.tenant, call.path["id"])
    return 204, None


def verify_signature(ctx: PaypalContext, call: Call) -> Result:
    """POST /v1/notifications/verify-webhook-signature."""
    return 200, {"verification_status": webhooks.verify(ctx, call.tenant, call.params["body"])}


def _by(ctx: PaypalContext, call: Call, kind: str) -> dict[str, Any]:
    return state.by_ref(ctx.domain, call.tenant, call.path["id"], kind, f"{kind}_id")


def _trim(resource: dict[str, Any], call: Call) -> dict[str, Any]:
    if _minimal(call):
        return {k: resource[k] for k in ("id", "status", "links")}
    return resource
