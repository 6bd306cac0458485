"""The wallets' server callbacks: JKOPay's result_url and PayPal's webhook.

Rules (as the form-post receivers in notify.py keep them):
- JKOPay: the `digest` header must sign the raw body with the store's secret key, and an
  `api-key` header, if sent, be the store's (both compared in constant time); PayPal:
  PayPal must say it sent the event (the shop asks /v1/notifications/verify-webhook-
  signature with the transmission headers and the body byte for byte). Anything else is
  refused (HTTP 400) and changes nothing;
- PayPal's CHECKOUT.ORDER.APPROVED captures an approved order whose shopper never came
  back (the same capture, same PayPal-Request-Id, as the return's);
- the callback must be about one of the shop's payments, of this store, for the payment's
  amount and currency; a mismatch is refused and logged, never fulfilled;
- what it reports is applied once (`settle`), shared with the browser's return: a replay,
  or a callback after the return fulfilled the order, is acknowledged and changes nothing;
- the answers the wallets wait for: HTTP 200 (JKOPay's, our reading; PayPal's 2xx).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from paylab.shop.wallets import jkopay, paypal
from paylab.shop.wallets.flows import Wallets
from paylab.shop.wallets.http import MALFORMED, Unavailable, loads
from paylab.shop.wallets.returns import capture_and_settle, jkopay_outcome
from paylab.shop.wallets.settle import cancel, fulfil, same_money

log = logging.getLogger("paylab.shop.wallets")
#: A receiver.
Received = Callable[[Wallets, web.Request], Awaitable[web.Response]]


def _refuse(gateway: str, reason: str, detail: str = "") -> web.Response:
    log.warning("%s callback refused: %s", gateway, detail or reason)
    return web.json_response({"error": reason}, status=400)


def routes(wallets: Wallets) -> list[web.RouteDef]:
    """POST /notify/jkopay and /notify/paypal."""

    def guarded(gateway: str, receive: Received) -> web.Handler:
        async def run(request: web.Request) -> web.Response:
            try:
                return await receive(wallets, request)
            except MALFORMED as exc:  # a verified body of a shape the API never sends
                return _refuse(gateway, "unreadable", f"{exc.__class__.__name__}: {exc}")
        return run

    return [web.post("/notify/jkopay", guarded("JKOPay", jkopay_receiver)),
            web.post("/notify/paypal", guarded("PayPal", paypal_receiver))]


async def jkopay_receiver(wallets: Wallets, request: web.Request) -> web.Response:
    """JKOPay's result_url callback `{"transaction": {...}}`."""
    body, settings = await request.read(), wallets.settings
    # JKOPay documents no api-key on its callback (the simulator sends none); one that is
    # sent must be the store's. The digest, keyed with the secret key, is what proves it.
    api_key = request.headers.get("api-key")
    if not jkopay.verify(settings.jkopay_secret_key, body, request.headers.get("digest")) \
            or (api_key is not None and not hmac.compare_digest(
                api_key.encode("utf-8", "replace"), settings.jkopay_api_key.encode())):
        return _refuse("JKOPay", "invalid digest")
    try:
        transaction = loads(body).get("transaction")
    except (ValueError, UnicodeDecodeError, AttributeError):
        transaction = None
    if not isinstance(transaction, dict):
        return _refuse("JKOPay", "no transaction")
    reference = str(transaction.get("platform_order_id", ""))
    payment = wallets.db.wallet_payment_by("jkopay", reference=reference)
    if payment is None:
        return _refuse("JKOPay", "unknown order", f"no JKOPay payment {reference!r}")
    if transaction.get("store_id", settings.jkopay_store_id) != settings.jkopay_store_id:
        return _refuse("JKOPay", "another store", f"store {transaction.get('store_id')!r}")
    try:
        if str(transaction.get("status", "")) == jkopay.NOT_PAID:
            outcome = cancel(wallets.db, payment, f"jkopay:{reference}:not-paid")
        else:
            outcome = jkopay_outcome(wallets, payment, transaction)
    except ValueError as exc:
        return _refuse("JKOPay", "amount mismatch", f"{reference}: {exc}")
    log.info("JKOPay callback for %s: %s", payment["order_id"], outcome)
    return web.json_response({"received": True})


async def paypal_receiver(wallets: Wallets, request: web.Request) -> web.Response:
    """A PayPal webhook event: verified by PayPal, then PAYMENT.CAPTURE.COMPLETED fulfils
    (unless the return did) and PAYMENT.CAPTURE.DENIED is noted on the order."""
    body = await request.read()
    event = paypal.event_of(body)
    if event is None:
        return _refuse("PayPal", "not an event")
    try:
        webhook = await wallets.paypal.webhook_id(wallets.webhook_url)
        genuine = await wallets.paypal.verify(request.headers, body, webhook)
    except Unavailable as exc:  # nothing recorded: PayPal's retry is handled in full
        log.warning("PayPal webhook could not be verified yet: %s", exc)
        return web.json_response({"error": "verification unavailable"}, status=503)
    if not genuine:
        return _refuse("PayPal", "invalid signature", f"event {event.get('id')!r}")
    try:
        outcome = await paypal_event(wallets, event)
    except Unavailable as exc:  # the capture an approval calls for: PayPal will retry
        log.warning("PayPal webhook %s: capture unavailable: %s", event.get("id"), exc)
        return web.json_response({"error": "capture unavailable"}, status=503)
    if outcome.startswith("refused"):
        return _refuse("PayPal", "amount mismatch", outcome)
    log.info("PayPal webhook %s %s: %s", event.get("id"), event.get("event_type"), outcome)
    return web.json_response({"received": True})


async def paypal_event(wallets: Wallets, event: dict[str, Any]) -> str:
    """Apply one verified event; returns what happened (`refused…` on a mismatch).
    CHECKOUT.ORDER.APPROVED captures an order the shopper approved but whose return never
    came (the browser closed): the same capture as the return's."""
    kind, capture = event.get("event_type"), event.get("resource")
    if kind not in paypal.EVENTS or not isinstance(capture, dict):
        return f"ignored: {kind}"
    if kind == "CHECKOUT.ORDER.APPROVED":
        return await paypal_approved(wallets, str(capture.get("id", "")))
    related = ((capture.get("supplementary_data") or {}).get("related_ids") or {})
    payment = wallets.db.wallet_payment_by("paypal", transaction_id=str(
        related.get("order_id", "")))
    if payment is None:  # another app's order, or another shop's on a shared app
        return "ignored: not one of our orders"
    if kind == "PAYMENT.CAPTURE.DENIED":
        wallets.db.note_failure(payment["order_id"], "PayPal denied the payment.")
        return f"denial noted on {payment['order_id']}"
    amount = capture.get("amount") or {}
    if capture.get("status") != "COMPLETED":
        return f"capture {capture.get('id')} is {capture.get('status')}"
    if not same_money(payment, amount.get("value"), amount.get("currency_code")):
        return f"refused: capture {capture.get('id')} of {amount!r} is not the order's"
    return fulfil(wallets.db, payment, f"paypal:capture:{capture.get('id')}",
                  str(capture.get("id")))


async def paypal_approved(wallets: Wallets, paypal_order: str) -> str:
    """Capture an approved order of the shop's that is still waiting; raises Unavailable."""
    payment = wallets.db.wallet_payment_by("paypal", transaction_id=paypal_order)
    if payment is None:
        return "ignored: not one of our orders"
    async with wallets.one_at_a_time(payment["order_id"]):
        order = wallets.db.order(payment["order_id"]) or {}
        if order.get("status") != "pending":
            return f"order {payment['order_id']} is {order.get('status')} already"
        refusal, outcome = await capture_and_settle(wallets, payment)
    return f"not captured: {refusal}" if refusal is not None else outcome

