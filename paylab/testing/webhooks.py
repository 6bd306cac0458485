"""A merchant-style webhook endpoint for tests: receives, verifies, collects.

`WebhookInbox` runs a loopback receiver (`WebhookSink`), registers it as a webhook
endpoint of one tenant through the Stripe API, and checks every delivery's
`Stripe-Signature` with the `stripe` SDK's own verifier, as a merchant's app must: a
verified event is kept and answered 200, anything else is kept aside and answered 400.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from paylab.testing.control import PaylabTimeout
from paylab.testing.sink import Received, WebhookSink

#: Where the inbox listens, on its own loopback port.
PATH = "/webhooks"


@dataclass(frozen=True)
class Rejected:
    """A delivery whose signature did not verify, and why."""

    delivery: Received
    reason: str


class WebhookInbox:
    """Verified Stripe events delivered to one tenant's endpoint, in arrival order."""

    def __init__(self, stripe_client: Any, *, enabled_events: tuple[str, ...] = ("*",)) -> None:
        self._client = stripe_client
        self._enabled = list(enabled_events)
        self._lock = threading.Lock()
        self._events: list[Any] = []
        self._rejected: list[Rejected] = []
        self.sink = WebhookSink()
        self.sink.handler = self._receive
        self.endpoint: Any = None
        self.secret = ""

    @property
    def url(self) -> str:
        """The receiver's URL, as registered with the simulator."""
        return f"{self.sink.url}{PATH}"

    @property
    def events(self) -> list[Any]:
        """Every verified event so far (`stripe.Event` objects)."""
        with self._lock:
            return list(self._events)

    @property
    def rejected(self) -> list[Rejected]:
        """Deliveries whose signature did not verify."""
        with self._lock:
            return list(self._rejected)

    def start(self) -> WebhookInbox:
        """Listen, then register the endpoint for the tenant (its secret stays here)."""
        self.sink.start()
        self.endpoint = self._client.v1.webhook_endpoints.create(
            params={"url": self.url, "enabled_events": self._enabled})
        self.secret = self.endpoint.secret
        return self

    def stop(self) -> None:
        """Remove the endpoint (best effort: the tenant is the test's own) and stop."""
        try:
            if self.endpoint is not None:
                self._client.v1.webhook_endpoints.delete(self.endpoint.id)
        except Exception:  # noqa: S110 - the simulator may already be gone
            pass
        self.sink.stop()

    def wait_for_event(self, type: str, *, timeout: float = 10.0,
                       count: int = 1) -> Any:
        """The first verified event of `type` (after `count - 1` others of it); a
        PaylabTimeout listing what did arrive if it does not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [e for e in self.events if e.type == type]
            if len(matching) >= count:
                return matching[count - 1]
            if time.monotonic() > deadline:
                raise PaylabTimeout(
                    f"no verified {type!r} webhook (#{count}) within {timeout:g} s; received "
                    f"{[e.type for e in self.events]}, rejected {len(self.rejected)}")
            time.sleep(0.02)

    async def _receive(self, request: web.Request) -> web.Response:
        import stripe

        body = await request.read()
        header = request.headers.get("Stripe-Signature", "")
        try:
            event = stripe.Webhook.construct_event(body.decode("utf-8"), header, self.secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            received = Received(time.time(), request.path, dict(request.headers), body, 400)
            with self._lock:
                self._rejected.append(Rejected(received, str(exc)))
            return web.Response(status=400, text="signature did not verify")
        with self._lock:
            self._events.append(event)
        return web.Response(text="ok")
