"""Orders, fulfilled once when a verified `payment_intent.succeeded` event arrives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Orders:
    """An in-memory order book (a real shop keeps this in its database)."""

    paid: dict[str, str] = field(default_factory=dict)  # order id -> PaymentIntent id
    shipped: list[str] = field(default_factory=list)

    def handle(self, event: Any) -> None:
        """Apply one verified Stripe event; duplicates are ignored."""
        if event.type != "payment_intent.succeeded":
            return
        intent = event.data.object
        order_id = intent.metadata["order_id"]
        if order_id in self.paid:
            return
        self.paid[order_id] = intent.id
        self.shipped.append(order_id)
