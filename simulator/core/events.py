"""Domain events: every state change appends one, in the same transaction as the change.

An event stores a snapshot of the object as the core knows it; adapters render it into
their gateway's event shape, so a retrieved event and its webhook body are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand

EVENT_KIND = "event"

class Events:
    """Append events and hand each to the listeners (the outbox)."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand
        self._listeners: list[Callable[[str, Doc], None]] = []

    def subscribe(self, listener: Callable[[str, Doc], None]) -> None:
        """`listener(tenant, event)` runs inside the emitting transaction."""
        self._listeners.append(listener)

    def emit(
        self,
        tenant: str,
        gateway: str,
        event_type: str,
        kind: str,
        snapshot: Doc,
        previous: Doc | None = None,
        *,
        origin: Origin = NOWHERE,
    ) -> Doc:
        """Append an event for `snapshot` (an object of `kind`) and notify listeners."""
        event = {
            "id": self.rand.new_id("evt"),
            "type": event_type,
            "created": int(self.clock.now()),
            "gateway": gateway,
            "object_kind": kind,
            "object": snapshot,
            "previous_attributes": previous,
            "request": origin.as_event_request(),
        }
        self.objects.insert(tenant, EVENT_KIND, event, tag=event_type)
        for listener in self._listeners:
            listener(tenant, event)
        return event

    def get(self, tenant: str, event_id: str) -> Doc:
        """One event of this tenant."""
        return self.objects.get(tenant, EVENT_KIND, event_id)

    def page(self, tenant: str, *, types: list[str] | None = None, **paging: Any) -> tuple:
        """A page of events, newest first; only those of the event kinds `types` if given
        (an empty list matches nothing)."""
        if types is not None and not types:
            return [], False
        return self.objects.page(tenant, EVENT_KIND, tags=types, **paging)


def event_matches(enabled: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `enabled` wants `event_type`."""
    return "*" in enabled or event_type in enabled
