"""PayPal webhook deliveries: the event envelope (`WH-...` id, event_version,
resource_type, resource, summary, links, create_time) and PayPal's transmission headers
(PAYPAL-TRANSMISSION-ID, -TIME, -SIG, PAYPAL-CERT-URL, PAYPAL-AUTH-ALGO), signed afresh
for every attempt. The resource is read from PayPal's order document when the delivery is
made, with the status the core's event snapshot gives it."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.paypal import state, webhooks, wire
from paylab.simulator.gateways.paypal.render import Renderer

#: PayPal retries a delivery that did not get a 2xx up to 25 times over 3 days; the first
#: retries come quickly (our reading of the spacing).
RETRY_SCHEDULE = (60.0, 300.0, 900.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0)
USER_AGENT = "PayPal/AUHR-214.0-58263387"
#: What a `bad_signature` scenario effect signs with.
WRONG_SECRET = "paylab-paypal-wrong-webhook-secret"  # noqa: S105 - deliberately wrong
CERT_PATH = "/v1/notifications/certs/CERT-paylab-hmac-sha256"
SUMMARIES = {
    "CHECKOUT.ORDER.APPROVED": "An order has been approved by buyer",
    "PAYMENT.AUTHORIZATION.CREATED": "Payment authorization is created",
    "PAYMENT.AUTHORIZATION.VOIDED": "Payment authorization is voided",
    "PAYMENT.CAPTURE.COMPLETED": "Payment completed for {amount}",
    "PAYMENT.CAPTURE.DENIED": "Payment denied for {amount}",
    "PAYMENT.CAPTURE.REFUNDED": "A {amount} sale payment was refunded",
}


def event_id(core_event_id: str) -> str:
    """A stable `WH-` id for a core event (the same on every retry)."""
    digest = hashlib.sha512(core_event_id.encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    chars = "".join(alphabet[b % 36] for b in digest[:34])
    return f"WH-{chars[:17]}-{chars[17:]}"


class PaypalNotifier:
    """Renders core order events as PayPal delivers them to registered webhooks."""

    retry_schedule = RETRY_SCHEDULE

    def __init__(self, domain: Domain, public_url: str) -> None:
        self.domain = domain
        self.renderer = Renderer(public_url.rstrip("/") + "/paypal")

    def accepts(self, status_code: int, body: str) -> bool:
        """Any 2xx counts as received."""
        return 200 <= status_code < 300

    def envelope(self, event: Doc) -> dict[str, Any]:
        """PayPal's event for a core event."""
        name = webhooks.TYPE_OF.get(event["type"], event["type"])
        snapshot = event["object"]
        found = self.domain.objects.find_any(state.ORDER_KIND, snapshot["merchant_order_no"])
        if found is None:
            raise LookupError(f"no PayPal order {snapshot['merchant_order_no']}")
        doc = found[1]
        resource_type, resource = self.resource(name, doc, snapshot, event)
        amount = resource.get("amount") or {}
        summary = SUMMARIES.get(name, name).format(
            amount=f"{amount.get('currency_code', '')} {amount.get('value', '')}".strip())
        wh = event_id(event["id"])
        created = wire.timestamp(event["created"])
        return {"id": wh, "event_version": "1.0", "create_time": created,
                "resource_type": resource_type,
                "resource_version": "2.0", "event_type": name, "summary": summary,
                "resource": resource,
                "links": [self.renderer.link(f"/v1/notifications/webhooks-events/{wh}", "self"),
                          self.renderer.link(f"/v1/notifications/webhooks-events/{wh}/resend",
                                             "resend", "POST")]}

    def resource(self, name: str, doc: Doc, snapshot: Doc, event: Doc
                 ) -> tuple[str, dict[str, Any]]:
        """(resource_type, resource) of the event, as of the event's snapshot."""
        if name == "CHECKOUT.ORDER.APPROVED":
            return "checkout-order", self.renderer.order(doc, snapshot)
        if name.startswith("PAYMENT.AUTHORIZATION.") and doc["authorization"] is not None:
            return "authorization", self.renderer.authorization(doc, snapshot)
        if name == "PAYMENT.CAPTURE.REFUNDED":
            reference = (snapshot["refunds"] or [{}])[-1].get("reference")
            refund = next((r for r in doc["refunds"] if r["id"] == reference), None)
            if refund is not None:
                return "refund", self.renderer.refund(doc, refund, snapshot)
        capture = doc["captures"][-1] if doc["captures"] else {
            "id": doc["id"], "amount": snapshot["amount"], "created": event["created"],
            "declined": True, "final": True}
        return "capture", self.renderer.capture(doc, capture, snapshot)

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The event's JSON with PayPal's transmission headers."""
        body = webhooks.event_bytes(self.envelope(event))
        return body, self.headers(body, endpoint, wall_time, bad_signature=bad_signature)

    def headers(self, body: bytes, endpoint: Doc, wall_time: int, *,
                bad_signature: bool = False, transmission_id: str | None = None
                ) -> dict[str, str]:
        """PAYPAL-TRANSMISSION-* headers for `body` sent to `endpoint` at `wall_time`."""
        transmission_id = transmission_id or str(uuid.uuid4())
        when = dt.datetime.fromtimestamp(wall_time, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        webhook_id = endpoint.get("metadata", {}).get("webhook_id", "")
        secret = WRONG_SECRET if bad_signature else endpoint["secret"]
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                "PAYPAL-TRANSMISSION-ID": transmission_id,
                "PAYPAL-TRANSMISSION-TIME": when,
                "PAYPAL-TRANSMISSION-SIG": webhooks.signature(secret, transmission_id, when,
                                                              webhook_id, body),
                "PAYPAL-CERT-URL": self.renderer.base + CERT_PATH,
                "PAYPAL-AUTH-ALGO": webhooks.AUTH_ALGO}

    def forge(self, attack: str, event: Doc, endpoint: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A delivery with one attack applied (security probes): replay, stale, future,
        tampered (amount changed after signing), wrong_secret, missing_signature, genuine.
        LookupError for v0_only (PayPal's signatures have no versions)."""
        if attack == "v0_only":
            raise LookupError("PayPal signatures carry no version: a v0_only probe does not "
                              "apply to them")
        when = {"replay": signed_at or now, "stale": now - 3600, "future": now + 3600}
        body, headers = self.render(event, endpoint, when.get(attack, now),
                                    bad_signature=attack == "wrong_secret")
        if attack == "tampered":
            body = body.replace(b'"value":"', b'"value":"1', 1)
        elif attack == "missing_signature":
            del headers["PAYPAL-TRANSMISSION-SIG"]
        return body, headers
