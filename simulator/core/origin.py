"""Where a core operation was asked from: the request, its idempotency key and the client.

Adapters build one per request and pass it into the core as an argument, so nothing the
core records (an event's request, a fraud rule's facts) depends on ambient state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.overrides import Client


@dataclass(frozen=True)
class Origin:
    """The request behind an operation; `override` is a scenario's forced outcome."""

    request_id: str | None = None
    idempotency_key: str | None = None
    client: Client = field(default_factory=Client)
    override: Behaviour | None = None

    def as_event_request(self) -> dict[str, str | None]:
        """The `request` an event records."""
        return {"id": self.request_id, "idempotency_key": self.idempotency_key}


#: Operations not caused by an API request (timers, the control API, the cashier's clock).
NOWHERE = Origin()
