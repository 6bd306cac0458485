"""Per-request inputs from outside the core that change what an operation does.

The scenario engine decides, per request, whether a payment attempt should be forced to
decline, ask for 3-D Secure or go through `processing`; adapters set these context
variables for the duration of the request and the core reads them. Nothing here knows
about HTTP or scenarios.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from simulator.core.cards import Behaviour

#: A behaviour that replaces the card's own for payment attempts in this request.
outcome_override: contextvars.ContextVar[Behaviour | None] = contextvars.ContextVar(
    "outcome_override", default=None
)


@dataclass(frozen=True)
class Client:
    """Who is paying, as far as the gateway can tell (for fraud rules)."""

    ip: str | None = None
    country: str | None = None
    device: str | None = None


#: The client behind the current request.
current_client: contextvars.ContextVar[Client] = contextvars.ContextVar(
    "current_client", default=Client()  # noqa: B039 - frozen, so never mutated
)
