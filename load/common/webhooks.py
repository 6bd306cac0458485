"""A webhook receiver inside the Locust process, and custom timings in Locust's stats.

Each receiving user registers an endpoint whose URL carries its own token; the receiver
checks the signature with that endpoint's secret (the official `stripe` verifier) and
wakes the user waiting for the event's object. An event that arrives before its user asks
for it is kept for it (a webhook can beat the API's own answer).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from gevent.event import AsyncResult
from paylab.load.common.loopback import LoopbackServer
from stripe import SignatureVerificationError, WebhookSignature

log = logging.getLogger("paylab.load.webhooks")


#: Events kept per endpoint for a user who has not asked for them yet.
KEEP_ARRIVED = 256


@dataclass
class Mailbox:
    """One user's endpoint: its secret, who waits for which object's event, and events
    that came before anyone asked (a webhook can beat the API's own answer)."""

    secret: str
    waiting: dict[str, AsyncResult] = field(default_factory=dict)
    arrived: dict[str, dict[str, Any]] = field(default_factory=dict)


class Receiver(LoopbackServer):
    """Hands verified events to waiting users; they append `/hook/<token>` to its `url`."""

    def __init__(self) -> None:
        self.boxes: dict[str, Mailbox] = {}
        super().__init__(log)

    def open(self, token: str, secret: str) -> None:
        """Accept deliveries at `/hook/<token>`, signed with `secret`."""
        self.boxes[token] = Mailbox(secret)

    def expect(self, token: str, object_id: str) -> AsyncResult:
        """A result that gets the event for `object_id` at `token` (at once if it came)."""
        box, waiting = self.boxes[token], AsyncResult()
        early = box.arrived.pop(object_id, None)
        if early is not None:
            waiting.set(early)
        else:
            box.waiting[object_id] = waiting
        return waiting

    def forget(self, token: str, object_id: str) -> None:
        """Stop waiting for `object_id` (the user gave up)."""
        self.boxes[token].waiting.pop(object_id, None)

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        token = environ.get("PATH_INFO", "").rsplit("/", 1)[-1]
        box = self.boxes.get(token)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        if box is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such endpoint"]
        try:
            WebhookSignature.verify_header(payload.decode("utf-8"),
                                           environ.get("HTTP_STRIPE_SIGNATURE", ""),
                                           box.secret, tolerance=300)
        except (SignatureVerificationError, UnicodeDecodeError):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        event = json.loads(payload)
        object_id = event["data"]["object"].get("id", "")
        waiting = box.waiting.pop(object_id, None)
        if waiting is not None:
            waiting.set(event)
        else:
            box.arrived[object_id] = event
            if len(box.arrived) > KEEP_ARRIVED:  # nobody will ask for the oldest
                box.arrived.pop(next(iter(box.arrived)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
