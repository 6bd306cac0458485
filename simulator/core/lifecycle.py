"""The payment lifecycle: Stripe's PaymentIntent statuses, the allowed transitions, and
which statuses each operation may start from (gateways.md 5.5)."""

from __future__ import annotations

from paylab.simulator.core.errors import InvalidState
from paylab.simulator.core.objects import Doc

#: Allowed status changes (gateways.md 5.5). Anything else is a bug in an operation.
TRANSITIONS: dict[str, frozenset[str]] = {
    "requires_payment_method": frozenset(
        {"requires_confirmation", "requires_action", "processing", "requires_capture",
         "succeeded", "requires_payment_method", "canceled"}
    ),
    "requires_confirmation": frozenset(
        {"requires_payment_method", "requires_action", "processing", "requires_capture",
         "succeeded", "canceled"}
    ),
    "requires_action": frozenset(
        {"requires_payment_method", "processing", "requires_capture", "succeeded", "canceled"}
    ),
    "processing": frozenset({"requires_payment_method", "requires_capture", "succeeded"}),
    "requires_capture": frozenset({"succeeded", "canceled"}),
    "succeeded": frozenset(),
    "canceled": frozenset(),
}

#: Which statuses each operation starts from.
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CAPTURABLE = ("requires_capture",)
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action")
AMOUNT_EDITABLE = CONFIRMABLE

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")

AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def check_transition(current: str, new: str) -> None:
    """Raise if the table does not allow `current -> new`."""
    if new not in TRANSITIONS[current]:
        raise InvalidState(
            "payment_intent_unexpected_state",
            f"A PaymentIntent cannot move from {current} to {new}.",
        )


_PAST = {"confirm": "confirmed", "capture": "captured", "cancel": "canceled",
         "authenticate": "authenticated"}


def unexpected(doc: Doc, verb: str, allowed: tuple[str, ...]) -> InvalidState:
    """The error for an operation tried from a status it may not start from."""
    return InvalidState(
        "payment_intent_unexpected_state",
        f"You cannot {verb} this PaymentIntent because it has a status of {doc['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {_PAST[verb]}: "
        f"{', '.join(allowed)}.",
        payment=doc,
    )
