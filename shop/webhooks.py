"""The shop's webhook receiver: verify, drop duplicates, apply each event at most once.

Rules a payment integration must keep, and the security suite probes:
- the signature must match the raw body (stripe.Webhook does this, in constant time);
- the timestamp must be recent: older or newer than 5 minutes is refused (a replay);
- a signature proves only who signed, so what an event says about a Checkout Session is
  read back from the gateway (Stripe's advice for fulfilment): an order is paid only when
  the gateway's own session is complete and paid, for the order's amount and currency;
  an event about a session the gateway does not have is forged, and refused;
- an event id already processed is acknowledged and ignored (gateways deliver twice);
- recording the event and applying it are one transaction, so a crash between them
  cannot turn the gateway's retry into an ignored "duplicate";
- order state only moves forward (pending -> paid | expired), so late or reordered
  events cannot undo a payment, and fulfilment happens once per order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import stripe
from aiohttp import web
from paylab.shop.db import ShopDB

log = logging.getLogger("paylab.shop.webhooks")

TOLERANCE = 300
#: The events whose Checkout Session is read back from the gateway before they count.
SESSION_EVENTS = ("checkout.session.completed", "checkout.session.expired")

#: The gateway's copy of a Checkout Session by id, None if it has none (Gateway method).
SessionLookup = Callable[[str], Awaitable[dict[str, Any] | None]]


def signed_at(header: str) -> int:
    """The timestamp stripe-python checks the signature against: the value of the first
    item whose key is exactly `t`, read with int() (so `t=+123` is 123), as in
    WebhookSignature._get_timestamp_and_signatures. A later `t=` must not stand in for it."""
    items = [item.split("=", 2) for item in header.split(",")]
    return int(next(parts[1] for parts in items if parts[0] == "t"))


def verify(body: bytes, header: str | None, secret: str, now: float) -> dict[str, Any]:
    """The event, if `header` signs `body` with `secret` at a recent time; else raises."""
    if not header:
        raise stripe.SignatureVerificationError("missing Stripe-Signature", header, body)
    event = stripe.Webhook.construct_event(body.decode("utf-8"), header, secret,
                                           tolerance=TOLERANCE)
    # stripe-python refuses only old timestamps; a future one would keep a signature fresh
    if abs(now - signed_at(header)) > TOLERANCE:
        raise stripe.SignatureVerificationError("timestamp outside the tolerance", header,
                                                body)
    return event.to_dict()


def apply(db: ShopDB, event: dict[str, Any], session: dict[str, Any] | None) -> str:
    """Move the order the event is about; returns what happened (for the log).

    `session` is the gateway's own copy of the event's Checkout Session (None for other
    events): only it, never the event body, decides. Runs inside `db.recording`."""
    kind = event["type"]
    if session is not None:
        order = db.order(session.get("client_reference_id") or "")
        if order is None or order["checkout_session"] != session["id"]:
            return "ignored: not one of our orders"
        if kind == "checkout.session.completed":
            if (session["status"], session["payment_status"]) != ("complete", "paid"):
                return (f"ignored: the gateway says the session is {session['status']}, "
                        f"{session['payment_status']}")
            if (session["amount_total"], session["currency"]) != (order["amount"],
                                                                  order["currency"]):
                return "ignored: amount does not match the order"
            email = (session.get("customer_details") or {}).get("email")
            if db.mark_paid(order["id"], session.get("payment_intent"), email, event["id"]):
                db.empty_cart(order["cart"])
                return f"order {order['id']} paid and fulfilled"
            return f"order {order['id']} was already {order['status']}"
        if kind == "checkout.session.expired":
            if session["status"] != "expired":
                return f"ignored: the gateway says the session is {session['status']}"
            return f"order {order['id']} expired" if db.mark(order["id"], "expired") \
                else "ignored: order no longer pending"
    if kind == "payment_intent.payment_failed":  # only a message on a payable order
        obj = event["data"]["object"]
        order_id = (obj.get("metadata") or {}).get("order_id", "")
        error = obj.get("last_payment_error") or {}
        db.note_failure(order_id, error.get("message", "The payment failed."))
        return f"payment failure noted on {order_id or 'no order'}"
    return "ignored: not handled"


def receiver(db: ShopDB, secret_of: Callable[[], Awaitable[str]],
             session_of: SessionLookup) -> web.Handler:
    """POST /webhooks/stripe

    400: not signed by the gateway's secret, or about a session the gateway never created
    (no retry will change that). 503: the gateway could not be asked about the session;
    nothing is recorded, so its retry is handled in full. 200: applied, ignored or a
    duplicate."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify(body, request.headers.get("Stripe-Signature"), await secret_of(),
                           time.time())
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            log.warning("webhook refused: %s", exc)
            return web.json_response({"error": "invalid signature"}, status=400)
        if db.seen(event["id"]):  # spares the gateway a lookup; `recording` checks again
            return web.json_response({"received": True, "duplicate": True})
        session = None
        if event["type"] in SESSION_EVENTS:
            try:
                session = await session_of(event["data"]["object"]["id"])
            except stripe.StripeError as exc:
                log.warning("webhook %s: could not read its session back (%s); the "
                            "gateway will retry", event["id"], exc)
                return web.json_response({"error": "gateway unavailable"}, status=503)
            if session is None:
                log.warning("webhook %s refused: the gateway has no such session",
                            event["id"])
                return web.json_response({"error": "unknown checkout session"}, status=400)
        with db.recording(event["id"], event["type"]) as first_time:
            if not first_time:  # a copy that arrived while this one was being looked up
                return web.json_response({"received": True, "duplicate": True})
            outcome = apply(db, event, session)
        log.info("webhook %s %s: %s", event["id"], event["type"], outcome)
        return web.json_response({"received": True})

    return handle
