"""Refunds: full or partial, on a captured charge, never beyond what was captured."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import money
from paylab.simulator.core.charges import Charges
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.payments import KIND as PAYMENT_KIND
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.vocabulary import (
    ALREADY_REFUNDED,
    AMOUNT_TOO_LARGE,
    CHARGE_REFUNDED,
    CONFLICTING_PARAMETERS,
    MISSING_PARAMETER,
    NOT_REFUNDABLE,
    REFUND_CREATED,
)

KIND = "refund"
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class Refunds:
    """Create, fetch and list refunds."""

    def __init__(
        self, objects: Objects, events: Events, charges: Charges, clock: Clock, rand: Rand
    ) -> None:
        self.objects = objects
        self.events = events
        self.charges = charges
        self.clock = clock
        self.rand = rand

    def get(self, tenant: str, refund_id: str) -> Doc:
        """One refund of this tenant."""
        return self.objects.get(tenant, KIND, refund_id)

    def page(
        self, tenant: str, *, payment: str | None = None, charge: str | None = None,
        **paging: Any,
    ) -> tuple[list[Doc], bool]:
        """A page of refunds, newest first, optionally of one payment or charge."""
        return self.objects.page(
            tenant, KIND, parent=payment, tags=[charge] if charge else None, **paging
        )

    def create(self, tenant: str, params: dict[str, Any], *, origin: Origin = NOWHERE) -> Doc:
        """Refund `amount` (default: all that remains) of a payment's captured charge."""
        with self.objects.store.atomic():
            charge = self._charge_for(tenant, params)
            payment = self.objects.get(tenant, PAYMENT_KIND, charge["payment"])
            refunded = charge["amount_refunded"] - charge.get("amount_released", 0)
            remaining = charge["amount_captured"] - refunded
            if remaining <= 0:
                raise InvalidRequest(
                    ALREADY_REFUNDED, f"Charge {charge['id']} has already been refunded.",
                    param="charge" if params.get("charge") else "payment", charge_id=charge["id"],
                )
            amount = params.get("amount", remaining)
            if amount > remaining:
                currency = charge["currency"]
                raise InvalidRequest(
                    AMOUNT_TOO_LARGE,
                    f"Refund amount ({money.format_amount(amount, currency)}) is greater than "
                    f"unrefunded amount on charge ({money.format_amount(remaining, currency)})",
                    param="amount", amount=amount, limit=remaining, currency=currency,
                    of="unrefunded",
                )
            refund = {
                "id": self.rand.new_id("re"),
                "amount": amount,
                "currency": charge["currency"],
                "charge": charge["id"],
                "payment": payment["id"],
                "created": int(self.clock.now()),
                "reason": params.get("reason"),
                "metadata": dict(params.get("metadata") or {}),
                "status": "succeeded",
            }
            self.objects.insert(tenant, KIND, refund, parent=payment["id"], tag=charge["id"])
            previous = {"amount_refunded": charge["amount_refunded"],
                        "refunded": charge["refunded"]}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self.charges.save(tenant, charge)
            gateway = payment["gateway"]
            self.events.emit(tenant, gateway, REFUND_CREATED, KIND, refund, origin=origin)
            self.events.emit(tenant, gateway, CHARGE_REFUNDED, "charge", charge, previous,
                             origin=origin)
        return refund

    def _charge_for(self, tenant: str, params: dict[str, Any]) -> Doc:
        if params.get("charge") and params.get("payment"):
            raise InvalidRequest(
                CONFLICTING_PARAMETERS, "Give only one of charge and payment.",
                param="payment", names=("charge", "payment"),
            )
        if params.get("charge"):
            charge = self.charges.get(tenant, params["charge"], param="charge")
        elif params.get("payment"):
            payment = self.objects.get(tenant, PAYMENT_KIND, params["payment"], param="payment")
            if not payment.get("latest_charge"):
                raise _no_charge(payment["id"])
            charge = self.charges.get(tenant, payment["latest_charge"])
        else:
            raise InvalidRequest(
                MISSING_PARAMETER, "Give a payment or a charge to refund.", param="payment",
                names=("payment", "charge"),
            )
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise _no_charge(charge["payment"])
        return charge


def _no_charge(payment_id: str) -> InvalidRequest:
    return InvalidRequest(
        NOT_REFUNDABLE, f"Payment {payment_id} has no captured charge to refund.",
        param="payment", id=payment_id,
    )
