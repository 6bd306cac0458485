"""Reviews: a payment a fraud rule let through but flagged for a human to look at."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.vocabulary import REVIEW_OPENED

KIND = "review"


class Reviews:
    """Open and fetch reviews."""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand

    def open(self, tenant: str, payment: Doc, charge: Doc, rule: str | None, *,
             origin: Origin = NOWHERE) -> Doc:
        """Open a review of `charge` and emit its event."""
        doc = {
            "id": self.rand.new_id("prv"),
            "payment": payment["id"],
            "charge": charge["id"],
            "reason": "rule",
            "opened_reason": "rule",
            "rule": rule,
            "open": True,
            "closed_reason": None,
            "created": int(self.clock.now()),
        }
        self.objects.insert(tenant, KIND, doc, parent=payment["id"])
        self.events.emit(tenant, payment["gateway"], REVIEW_OPENED, KIND, doc, origin=origin)
        return doc

    def get(self, tenant: str, review_id: str) -> Doc:
        """One review of this tenant."""
        return self.objects.get(tenant, KIND, review_id)
