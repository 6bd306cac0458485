"""Callback targets: a per-payment URL the merchant named in its request.

Some gateways notify no registered endpoint: the merchant's request carries the URL (a
result URL, a URL for an issued payment code) and the gateway posts there about that one
payment only. A callback binds such a URL to one subject (the payment's or order's id)
and the event kinds it wants; the outbox delivers the subject's matching events to it
beside the tenant's registered endpoints, through the same durable rows.
"""

from __future__ import annotations

import urllib.parse

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.endpoints import check_target
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.events import event_matches
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.self_address import SelfAddress
from paylab.simulator.core.vocabulary import INVALID_URL, MISSING_PARAMETER

KIND = "callback"
PREFIX = "cb"


class Callbacks:
    """Register callback targets and find those an event should reach."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand,
                 self_address: SelfAddress | None = None) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand
        #: Where this simulator listens; URLs reaching its control API are refused.
        self.self_address = self_address

    def register(self, tenant: str, gateway: str, subject_id: str, url: str,
                 kinds: list[str] | tuple[str, ...], *,
                 metadata: dict[str, str] | None = None) -> Doc:
        """Deliver `subject_id`'s events of `kinds` (opaque kind strings, `*` for all) to
        `url`. `metadata` is the adapter's own note (which of its URLs this is), kept on
        the target its notifier renders against. InvalidRequest on a refused URL."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidRequest(INVALID_URL, f"Invalid callback URL {url!r}: it must be an "
                                 "absolute http or https URL.", param="url")
        check_target(self.self_address, url)
        if not kinds:
            raise InvalidRequest(MISSING_PARAMETER, "A callback needs at least one event "
                                 "kind (or '*').", param="kinds", names=("kinds",))
        doc = {
            "id": self.rand.new_id(PREFIX),
            "object": KIND,
            "gateway": gateway,
            "tenant": tenant,
            "subject_id": subject_id,
            "url": url,
            "kinds": list(kinds),
            "metadata": dict(metadata or {}),
            "created": int(self.clock.now()),
        }
        return self.objects.insert(tenant, KIND, doc, parent=subject_id, tag=gateway)

    def get(self, tenant: str, callback_id: str) -> Doc | None:
        """One callback target of this tenant, or None."""
        return self.objects.find(tenant, KIND, callback_id)

    def for_subject(self, tenant: str, subject_id: str) -> list[Doc]:
        """Every callback bound to `subject_id`, oldest first."""
        return self.objects.children(tenant, KIND, subject_id)

    def matching(self, tenant: str, event: Doc) -> list[Doc]:
        """The callbacks an event reaches: bound to its object, on its gateway, wanting
        its kind. Events without an object id reach none."""
        subject = (event.get("object") or {}).get("id")
        if not isinstance(subject, str):
            return []
        return [cb for cb in self.for_subject(tenant, subject)
                if cb["gateway"] == event["gateway"] and event_matches(cb["kinds"], event["type"])]


def is_callback_id(target_id: str) -> bool:
    """Whether a delivery's target id names a callback (else a registered endpoint)."""
    return target_id.startswith(PREFIX + "_")
