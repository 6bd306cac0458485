"""Stripe webhook deliveries: the event body and a fresh `Stripe-Signature` per attempt."""

from __future__ import annotations

import orjson

from simulator.core.objects import Doc
from simulator.gateways.stripe.render import Renderer
from simulator.webhooks.signing import stripe_signature_header

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
#: What a `bad_signature` scenario effect signs with instead of the endpoint's secret.
WRONG_SECRET = "whsec_paylab_scenario_wrong_secret"  # noqa: S105 - deliberately wrong


class StripeNotifier:
    """Renders events as Stripe posts them to webhook endpoints."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """Pretty-printed event JSON, signed with the endpoint's secret at `wall_time`."""
        payload = self.renderer.event(event, endpoint.get("api_version"))
        body = orjson.dumps(payload, option=orjson.OPT_INDENT_2)
        secret = WRONG_SECRET if bad_signature else endpoint["secret"]
        return body, {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": stripe_signature_header(secret, wall_time, body),
        }
