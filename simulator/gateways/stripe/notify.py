"""Stripe webhook deliveries: the event body and a fresh `Stripe-Signature` per attempt."""

from __future__ import annotations

import logging
import re

from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.stripe import versions
from paylab.simulator.gateways.stripe.render import Renderer
from paylab.simulator.gateways.stripe.wire import dumps
from paylab.simulator.webhooks.signing import stripe_signature_header

log = logging.getLogger("paylab.stripe")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
#: What a `bad_signature` scenario effect signs with instead of the endpoint's secret.
WRONG_SECRET = "whsec_paylab_scenario_wrong_secret"  # noqa: S105 - deliberately wrong


class StripeNotifier:
    """Renders events as Stripe posts them to webhook endpoints."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """Pretty-printed event JSON in the shape of the endpoint's pinned API version (the
        latest if none, or one Stripe does not know), signed with the endpoint's secret at
        `wall_time`: the signature covers exactly the bytes sent."""
        pinned = endpoint.get("api_version")
        payload = self.renderer.event(event, pinned)
        version = versions.served(pinned) if pinned else None
        if version is not None:
            try:
                payload = versions.reshape(payload, version,
                                           versions.related(self.renderer, None))
            except Exception:  # delivered in the latest shape rather than not at all
                log.exception("reshaping %s for API version %s failed", event["id"], version)
        body = dumps(payload)
        secret = WRONG_SECRET if bad_signature else endpoint["secret"]
        return body, {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": stripe_signature_header(secret, wall_time, body),
        }

    def forge(self, attack: str, event: Doc, endpoint: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A delivery of `event` with one attack a receiver must survive (security probes).

        replay: the bytes and header of the last real attempt; stale / future: correctly
        signed an hour in the past / future; tampered: the amount changed after signing;
        wrong_secret: signed with another key; v0_only: a valid signature under the `v0`
        scheme only (a downgrade); missing_signature: no header at all; genuine: no attack,
        correctly signed now (what a receiver must accept).
        """
        when = {"replay": signed_at or now, "stale": now - 3600, "future": now + 3600}
        body, headers = self.render(event, endpoint, when.get(attack, now),
                                    bad_signature=attack == "wrong_secret")
        if attack == "tampered":
            body = re.sub(rb'"amount(_total)?": [0-9]+', rb'"amount\1": 1', body, count=1)
        elif attack == "v0_only":
            headers["Stripe-Signature"] = headers["Stripe-Signature"].replace("v1=", "v0=")
        elif attack == "missing_signature":
            del headers["Stripe-Signature"]
        return body, headers
