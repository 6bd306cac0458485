"""Payment methods: raw cards and published test tokens become stored payment methods."""

from __future__ import annotations

import datetime as dt
from typing import Any

from paylab.simulator.core import cards
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import CardDeclined, NotFound
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.vocabulary import NOT_FOUND

KIND = "payment_method"


class Methods:
    """Create card payment methods and resolve references to them."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand

    def today(self) -> dt.date:
        """The virtual clock's date, for expiry checks."""
        return dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC).date()

    def create_card(
        self,
        tenant: str,
        card: dict[str, Any],
        *,
        at: tuple[str, ...] = ("card",),
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Doc:
        """Validate raw card fields (number, exp_month, exp_year, cvc) and store the method.

        `at` is where the card sits in the request, so errors name the full parameter path.
        """
        try:
            validated = cards.validate_card(
                str(card.get("number", "")), card.get("exp_month"), card.get("exp_year"),
                card.get("cvc"), today=self.today(),
            )
        except CardDeclined as exc:
            exc.param = (*at, exc.param)
            raise
        return self._store(tenant, validated, billing_details, metadata)

    def resolve(self, tenant: str, reference: str, *, param: str = "payment_method") -> Doc:
        """A stored method of this tenant, or a fresh one for a `pm_card_*` test token."""
        if reference in cards.catalog().by_token:
            return self._store(tenant, cards.card_for_token(reference, today=self.today()))
        doc = self.objects.find(tenant, KIND, reference)
        if doc is None:
            raise NotFound(NOT_FOUND, f"No such payment method: '{reference}'", param=param,
                           object="payment_method", id=reference, by="reference")
        return doc

    def get(self, tenant: str, method_id: str) -> Doc:
        """One stored method."""
        return self.objects.get(tenant, KIND, method_id)

    def _store(
        self,
        tenant: str,
        card: cards.Card,
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Doc:
        details = billing_details or {}
        doc = {
            "id": self.rand.new_id("pm"),
            "type": "card",
            "card": card.as_doc(),
            "billing_details": {
                "name": details.get("name"),
                "email": details.get("email"),
                "phone": details.get("phone"),
                "address": details.get("address"),
            },
            "metadata": dict(metadata or {}),
            "created": int(self.clock.now()),
        }
        return self.objects.insert(tenant, KIND, doc)
