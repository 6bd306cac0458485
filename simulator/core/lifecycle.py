"""The payment lifecycle: neutral statuses, the allowed transitions, and which statuses
each operation may start from (gateways.md 5.5)."""

from __future__ import annotations

from paylab.simulator.core.errors import InvalidState
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.vocabulary import (
    AUTHORIZED,
    CANCELED,
    INVALID_STATE,
    NEEDS_ACTION,
    NEEDS_CONFIRMATION,
    NEEDS_METHOD,
    PAYMENT,
    PENDING,
    SUCCEEDED,
)

#: Allowed status changes (gateways.md 5.5). Anything else is a bug in an operation.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEEDS_METHOD: frozenset(
        {NEEDS_CONFIRMATION, NEEDS_ACTION, PENDING, AUTHORIZED, SUCCEEDED, NEEDS_METHOD,
         CANCELED}
    ),
    NEEDS_CONFIRMATION: frozenset(
        {NEEDS_METHOD, NEEDS_ACTION, PENDING, AUTHORIZED, SUCCEEDED, CANCELED}
    ),
    NEEDS_ACTION: frozenset({NEEDS_METHOD, PENDING, AUTHORIZED, SUCCEEDED, CANCELED}),
    PENDING: frozenset({NEEDS_METHOD, AUTHORIZED, SUCCEEDED}),
    AUTHORIZED: frozenset({SUCCEEDED, CANCELED}),
    SUCCEEDED: frozenset(),
    CANCELED: frozenset(),
}

#: Which statuses each operation starts from.
CONFIRMABLE = (NEEDS_METHOD, NEEDS_CONFIRMATION, NEEDS_ACTION)
CAPTURABLE = (AUTHORIZED,)
CANCELABLE = (NEEDS_METHOD, AUTHORIZED, NEEDS_CONFIRMATION, NEEDS_ACTION)
AMOUNT_EDITABLE = CONFIRMABLE

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def check_transition(current: str, new: str) -> None:
    """Raise if the table does not allow `current -> new`."""
    if new not in TRANSITIONS[current]:
        raise InvalidState(
            INVALID_STATE, f"A payment cannot move from {current} to {new}.",
            object=PAYMENT, status=current, target=new,
        )


def unexpected(doc: Doc, verb: str, allowed: tuple[str, ...]) -> InvalidState:
    """The error for an operation tried from a status it may not start from."""
    return InvalidState(
        INVALID_STATE,
        f"Cannot {verb} payment {doc['id']} in status {doc['status']} "
        f"(allowed: {', '.join(allowed)}).",
        payment=doc, object=PAYMENT, id=doc["id"], status=doc["status"], verb=verb,
        allowed=allowed,
    )
