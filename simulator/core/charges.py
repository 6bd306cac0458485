"""Charges: one per authorisation attempt on a payment, successful or failed."""

from __future__ import annotations

from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.rand import Rand

KIND = "charge"

class Charges:
    """Create and update charge documents under their payment."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand

    def get(self, tenant: str, charge_id: str, *, param: str = "id") -> Doc:
        """One charge of this tenant."""
        return self.objects.get(tenant, KIND, charge_id, param=param)

    def save(self, tenant: str, charge: Doc) -> Doc:
        """Persist a changed charge."""
        return self.objects.update(tenant, KIND, charge)

    def create(
        self,
        tenant: str,
        payment: Doc,
        method: Doc,
        behaviour: Behaviour,
        *,
        approved: bool,
        authenticated: bool = False,
    ) -> Doc:
        """Record an authorisation attempt and its outcome."""
        blocked = behaviour.outcome == "block"
        capture_now = approved and payment["capture_method"] == "automatic"
        if approved and behaviour.review:
            outcome_type, network, reason = "manual_review", "approved_by_network", "rule"
        elif approved:
            outcome_type, network, reason = "authorized", "approved_by_network", None
        elif blocked:
            outcome_type, network = "blocked", "not_sent_to_network"
            reason = "rule" if behaviour.rule else "highest_risk_level"
        else:
            outcome_type, network, reason = "issuer_declined", "declined_by_network", (
                behaviour.decline_code
            )
        charge = {
            "id": self.rand.new_id("ch"),
            "amount": payment["amount"],
            "amount_captured": payment["amount"] if capture_now else 0,
            "amount_refunded": 0,
            "amount_released": 0,
            "captured": capture_now,
            "currency": payment["currency"],
            "created": int(self.clock.now()),
            "description": payment.get("description"),
            "metadata": dict(payment.get("metadata") or {}),
            "paid": approved,
            "refunded": False,
            "status": "succeeded" if approved else "failed",
            "failure_code": None if approved else behaviour.code,
            "failure_message": None if approved else behaviour.message,
            "decline_code": None if approved else ("fraudulent" if blocked
                                                   else behaviour.decline_code),
            "payment": payment["id"],
            "customer": payment.get("customer"),
            "payment_method": method["id"],
            "card": {k: v for k, v in method["card"].items() if k != "behaviour"},
            "three_d_secure": {"authenticated": True, "result": "authenticated"}
            if authenticated else None,
            "billing_details": method.get("billing_details"),
            "receipt_email": payment.get("receipt_email"),
            "outcome": {
                "type": outcome_type,
                "network_status": network,
                "reason": reason,
                "risk_level": behaviour.risk_level,
                "risk_score": behaviour.risk_score,
                "rule": {"id": behaviour.rule, "action": "review" if behaviour.review else "block"}
                if behaviour.rule else None,
            },
        }
        return self.objects.insert(tenant, KIND, charge, parent=payment["id"])

    def page(self, tenant: str, *, payment: str | None = None, **paging: object) -> tuple:
        """A page of charges, newest first, optionally of one payment."""
        return self.objects.page(tenant, KIND, parent=payment, **paging)
