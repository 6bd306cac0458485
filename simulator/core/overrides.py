"""Per-request inputs from outside the core that change what an operation does.

The scenario engine decides, per request, whether a payment attempt should be forced to
decline, ask for 3-D Secure or go through `processing`; adapters set these context
variables for the duration of the request and the core reads them. Nothing here knows
about HTTP or scenarios.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from paylab.simulator.core.cards import Behaviour

#: A behaviour that replaces the card's own for payment attempts in this request.
outcome_override: contextvars.ContextVar[Behaviour | None] = contextvars.ContextVar(
    "outcome_override", default=None
)


@dataclass(frozen=True)
class Client:
    """Who is paying and through what, as far as the gateway can tell (for fraud rules)."""

    ip: str | None = None
    country: str | None = None
    device: str | None = None
    #: The gateway the request came in through ("stripe", "ecpay", ...).
    gateway: str | None = None
    #: The test run that tagged the request, if any.
    run: str | None = None
    #: The card number as this request sent it; None when it names a saved method.
    card: str | None = None


#: The client behind the current request.
current_client: contextvars.ContextVar[Client] = contextvars.ContextVar(
    "current_client", default=Client()  # noqa: B039 - frozen, so never mutated
)
