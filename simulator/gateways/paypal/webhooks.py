"""Webhooks registered per app (`/v1/notifications/webhooks`: create, list, show, delete)
and the offline check a merchant makes of a delivery
(`/v1/notifications/verify-webhook-signature`).

A PayPal webhook is a core webhook endpoint (so the outbox delivers to it durably, with
retries and chaos) subscribed to the core event kinds its PayPal event types come from,
plus PayPal's own id and names. PayPal signs with an RSA key whose certificate it serves;
the simulator signs `transmission_id|transmission_time|webhook_id|crc32(body)` with
HMAC-SHA256 under a per-webhook secret instead, and only the verify call can check it
(the certificate path is not emulated: see the README).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from typing import Any

import orjson
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.paypal import state, wire
from paylab.simulator.gateways.paypal.pipeline import PaypalContext
from paylab.simulator.gateways.paypal.wire import PaypalError

KIND = "paypal_webhook"
ENDPOINT_KIND = "webhook_endpoint"
#: PayPal allows ten webhooks per app.
LIMIT = 10
#: PayPal event type -> the core event kinds it is rendered from, and its description.
EVENT_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "CHECKOUT.ORDER.APPROVED": (("order.approved",), "An order has been approved by buyer."),
    "PAYMENT.AUTHORIZATION.CREATED": (("order.authorized",), "A payment authorization is "
                                      "created, approved, executed, or a future payment "
                                      "authorization is created."),
    "PAYMENT.AUTHORIZATION.VOIDED": (("order.voided",), "A payment authorization is voided."),
    "PAYMENT.CAPTURE.COMPLETED": (("order.paid", "order.captured"), "A payment capture "
                                  "completes."),
    "PAYMENT.CAPTURE.DENIED": (("order.failed",), "A payment capture is denied."),
    "PAYMENT.CAPTURE.REFUNDED": (("order.refunded",), "A merchant refunds a payment capture."),
}
#: PayPal event types a webhook may subscribe to that the simulator never sends (kept, so
#: an integration subscribing to them registers as on PayPal; see the README).
NEVER_SENT = frozenset({"CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.SAVED",
                        "CHECKOUT.ORDER.VOIDED", "CHECKOUT.PAYMENT-APPROVAL.REVERSED",
                        "PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.REVERSED",
                        "PAYMENT.CAPTURE.DECLINED"})
#: core event kind -> PayPal event type.
TYPE_OF = {kind: name for name, (kinds, _) in EVENT_TYPES.items() for kind in kinds}
#: What the deliveries say they were signed with (PayPal's name; see the module notes).
AUTH_ALGO = "SHA256withRSA"


def _names(ctx: PaypalContext, body: dict[str, Any]) -> list[str]:
    names = [t["name"] for t in body["event_types"]]
    if "*" in names:
        return ["*"]
    for i, name in enumerate(names):
        if name not in EVENT_TYPES and name not in NEVER_SENT:
            raise PaypalError("INVALID_PARAMETER_VALUE", field=f"/event_types/{i}/name",
                              value=name, description=f"{name} is not a PayPal event type.")
    return list(dict.fromkeys(names))


def create(ctx: PaypalContext, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
    """Subscribe `url` to `event_types` (`*`: every type the simulator sends)."""
    names = _names(ctx, body)
    domain = ctx.domain
    existing = [doc for _, doc in domain.objects.all_of(KIND, tenant)]
    if any(doc["url"] == body["url"] for doc in existing):
        raise PaypalError("WEBHOOK_URL_ALREADY_EXISTS", field="/url", value=body["url"])
    if len(existing) >= LIMIT:
        raise PaypalError("WEBHOOK_NUMBER_LIMIT_EXCEEDED")
    webhook_id = state.new_id(domain)
    kinds = sorted({k for name in (EVENT_TYPES if names == ["*"] else names)
                    for k in EVENT_TYPES.get(name, ((), ""))[0]})
    with domain.store.atomic():
        try:
            endpoint = domain.endpoints.create(tenant, wire.GATEWAY, url=body["url"],
                                               enabled_events=["*"],
                                               metadata={"webhook_id": webhook_id})
        except CoreError as exc:  # the core refused the URL (it reaches this simulator)
            raise PaypalError("INVALID_PARAMETER_VALUE", field="/url", value=body["url"],
                              description=exc.message) from exc
        # PayPal's event types are the core's order kinds, which the core's endpoint
        # vocabulary (payment kinds) does not list: subscribe to them directly
        endpoint["enabled_events"] = kinds
        domain.objects.update(tenant, ENDPOINT_KIND, endpoint)
        domain.endpoints.forget()
        doc = {"id": webhook_id, "endpoint": endpoint["id"], "url": body["url"],
               "event_types": names, "created": int(domain.clock.now())}
        domain.objects.insert(tenant, KIND, doc)
    return shown(ctx, doc)


def load(ctx: PaypalContext, tenant: str, webhook_id: str, field: str = "webhook_id") -> Doc:
    """One of this app's webhooks, or 404 INVALID_RESOURCE_ID."""
    doc = ctx.domain.objects.find(tenant, KIND, webhook_id)
    if doc is None:
        raise PaypalError("INVALID_RESOURCE_ID", field=field, value=webhook_id,
                          location="path" if field == "webhook_id" else "body")
    return doc


def listing(ctx: PaypalContext, tenant: str) -> list[dict[str, Any]]:
    """This app's webhooks, oldest first."""
    docs = sorted((doc for _, doc in ctx.domain.objects.all_of(KIND, tenant)),
                  key=lambda d: (d["created"], d["id"]))
    return [shown(ctx, doc) for doc in docs]


def delete(ctx: PaypalContext, tenant: str, webhook_id: str) -> None:
    """Remove the webhook and its core endpoint (pending deliveries are abandoned)."""
    doc = load(ctx, tenant, webhook_id)
    with ctx.domain.store.atomic():
        ctx.domain.endpoints.delete(tenant, doc["endpoint"])
        ctx.domain.objects.delete(tenant, KIND, webhook_id)


def shown(ctx: PaypalContext, doc: Doc) -> dict[str, Any]:
    """A webhook as PayPal shows it."""
    names = list(EVENT_TYPES) if doc["event_types"] == ["*"] else doc["event_types"]
    path = f"/v1/notifications/webhooks/{doc['id']}"
    types = [{"name": "*", "description": "ALL", "status": "ENABLED"}] \
        if doc["event_types"] == ["*"] else [
            {"name": n, "description": EVENT_TYPES.get(n, ((), n))[1], "status": "ENABLED"}
            for n in names]
    return {"id": doc["id"], "url": doc["url"], "event_types": types,
            "links": [ctx.renderer.link(path, "self"),
                      ctx.renderer.link(path, "update", "PATCH"),
                      ctx.renderer.link(path, "delete", "DELETE")]}


# -- signatures -------------------------------------------------------------------------
def signed_text(transmission_id: str, transmission_time: str, webhook_id: str,
                body: bytes) -> bytes:
    """What is signed: PayPal's `id|time|webhook_id|crc32` string."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def signature(secret: str, transmission_id: str, transmission_time: str, webhook_id: str,
              body: bytes) -> str:
    """The simulator's transmission signature (base64 HMAC-SHA256)."""
    mac = hmac.new(secret.encode(), signed_text(transmission_id, transmission_time,
                                                webhook_id, body), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def event_bytes(event: Any) -> bytes:
    """The bytes a delivery carries for an event: compact JSON in the event's own key
    order (what the verify call re-serialises the event it is given to)."""
    return orjson.dumps(event)


def verify(ctx: PaypalContext, tenant: str, body: dict[str, Any]) -> str:
    """SUCCESS when the headers a delivery came with sign `webhook_event` for this app's
    `webhook_id`; FAILURE otherwise (a changed body, another webhook, a forged signature)."""
    doc = load(ctx, tenant, body["webhook_id"], field="/webhook_id")
    endpoint = ctx.domain.objects.find(tenant, ENDPOINT_KIND, doc["endpoint"])
    if endpoint is None:
        return "FAILURE"
    expected = signature(endpoint["secret"], body["transmission_id"],
                         body["transmission_time"], doc["id"],
                         event_bytes(body["webhook_event"]))
    given = body["transmission_sig"].encode("utf-8", "surrogateescape")
    return "SUCCESS" if hmac.compare_digest(expected.encode(), given) else "FAILURE"
