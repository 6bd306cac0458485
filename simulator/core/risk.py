"""Risk assessment: the interface fraud rules implement, and what a decision does.

The core asks an injected `RiskAssessor` before authorising; the scenario engine's fraud
rules are one implementation. No assessor (the default) means card behaviour alone decides,
so the published risk test cards keep their meaning either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from paylab.simulator.core.objects import Doc
from paylab.simulator.core.overrides import Client

ACTIONS = ("decline", "require_3ds", "review")


@dataclass(frozen=True)
class Decision:
    """A fraud rule fired: what to do, which rule, and the risk it reports."""

    action: str
    rule: str
    risk_score: int
    risk_level: str


@dataclass(frozen=True)
class Attempt:
    """What a fraud rule sees of one authorisation attempt."""

    tenant: str
    amount: int
    currency: str
    card_fingerprint: str
    card_bin: str
    card_country: str | None
    email: str | None
    client: Client
    at: float


class RiskAssessor(Protocol):
    """Judges an attempt; records it for velocity checks whatever the verdict."""

    def assess(self, attempt: Attempt) -> Decision | None:
        """The first fraud rule that fires, or None."""
        ...


def attempt_of(tenant: str, payment: Doc, method: Doc, client: Client, at: float) -> Attempt:
    """Build the assessor's view of a payment attempt."""
    card = method["card"]
    email = (method.get("billing_details") or {}).get("email") or payment.get("receipt_email")
    return Attempt(tenant, payment["amount"], payment["currency"], card["fingerprint"],
                   card["bin"], card.get("country"), email, client, at)
