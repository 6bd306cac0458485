"""The shop's webhook receiver: verify, drop duplicates, apply each event at most once.

Rules a payment integration must keep, and the security suite probes:
- the signature must match the raw body (stripe.Webhook does this, in constant time);
- the timestamp must be recent: older or newer than 5 minutes is refused (a replay);
- an event id already processed is acknowledged and ignored (gateways deliver twice);
- order state only moves forward (pending -> paid | expired), so late or reordered
  events cannot undo a payment, and fulfilment happens once per order.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import stripe
from aiohttp import web

from shop.db import ShopDB

log = logging.getLogger("shop.webhooks")

TOLERANCE = 300


def verify(body: bytes, header: str | None, secret: str, now: float) -> dict[str, Any]:
    """The event, if `header` signs `body` with `secret` at a recent time; else raises."""
    if not header:
        raise stripe.SignatureVerificationError("missing Stripe-Signature", header, body)
    event = stripe.Webhook.construct_event(body.decode("utf-8"), header, secret,
                                           tolerance=TOLERANCE)
    stamps = [int(v) for k, _, v in (p.partition("=") for p in header.split(","))
              if k.strip() == "t" and v.isdigit()]
    if not stamps or stamps[0] > now + TOLERANCE:  # stripe-python only refuses old ones
        raise stripe.SignatureVerificationError("timestamp in the future", header, body)
    return event.to_dict()


def apply(db: ShopDB, event: dict[str, Any]) -> str:
    """Move the order the event is about; returns what happened (for the log)."""
    obj = event["data"]["object"]
    kind = event["type"]
    if kind.startswith("checkout.session."):
        order = db.order(obj.get("client_reference_id") or "")
        if order is None or order["checkout_session"] != obj["id"]:
            return "ignored: not one of our orders"
        if kind == "checkout.session.completed":
            if obj["payment_status"] != "paid":
                return "ignored: completed but not paid"
            if (obj["amount_total"], obj["currency"]) != (order["amount"], order["currency"]):
                return "ignored: amount does not match the order"
            email = (obj.get("customer_details") or {}).get("email")
            if db.mark_paid(order["id"], obj.get("payment_intent"), email, event["id"]):
                db.empty_cart(order["cart"])
                return f"order {order['id']} paid and fulfilled"
            return f"order {order['id']} was already {order['status']}"
        if kind == "checkout.session.expired":
            return f"order {order['id']} expired" if db.mark(order["id"], "expired") \
                else "ignored: order no longer pending"
    if kind == "payment_intent.payment_failed":
        order_id = (obj.get("metadata") or {}).get("order_id", "")
        error = obj.get("last_payment_error") or {}
        db.note_failure(order_id, error.get("message", "The payment failed."))
        return f"payment failure noted on {order_id or 'no order'}"
    return "ignored: not handled"


def receiver(db: ShopDB, secret_of: Any) -> web.Handler:
    """POST /webhooks/stripe"""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify(body, request.headers.get("Stripe-Signature"), await secret_of(),
                           time.time())
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            log.warning("webhook refused: %s", exc)
            return web.json_response({"error": "invalid signature"}, status=400)
        if not db.first_time(event["id"], event["type"]):
            return web.json_response({"received": True, "duplicate": True})
        try:
            outcome = apply(db, event)
        except Exception:
            db.forget_event(event["id"])  # answer 500: the retry must not look like a duplicate
            raise
        log.info("webhook %s %s: %s", event["id"], event["type"], outcome)
        return web.json_response({"received": True})

    return handle
