"""Gateway-neutral domain errors: a kind, a machine code, a human message, and context.

They carry no HTTP status and no vendor body; each adapter's `wire.py` renders them.
"""

from __future__ import annotations

from typing import Any


class CoreError(Exception):
    """Base of every error the core raises on purpose.

    `kind` is the coarse category an adapter maps to a status and error type;
    `code` is the fine-grained neutral code (`not_found`, `declined`, ... in
    core/vocabulary.py); `context` carries what an adapter needs to word the message.
    `param` names the offending input, as a name or a path of names (adapters format it).
    """

    kind = "invalid_request"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        param: str | tuple[str | int, ...] | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.context = context

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, param={self.param!r})"


class InvalidRequest(CoreError):
    """The request is malformed or violates a rule that does not depend on state."""

    kind = "invalid_request"


class NotFound(CoreError):
    """The object does not exist for this tenant (other tenants' objects included)."""

    kind = "not_found"


class InvalidState(CoreError):
    """The operation is not allowed in the object's current status."""

    kind = "invalid_state"


class CardDeclined(CoreError):
    """The card was declined; `context` holds decline_code, payment and charge ids."""

    kind = "declined"


class IdempotencyMismatch(CoreError):
    """An idempotency key was reused with different parameters or on another endpoint."""

    kind = "idempotency_mismatch"


class IdempotencyInFlight(CoreError):
    """Another request with the same idempotency key is still executing."""

    kind = "idempotency_in_flight"


class Unauthenticated(CoreError):
    """No credential, or one the simulator does not accept."""

    kind = "unauthenticated"


class StorageUnavailable(CoreError):
    """The durable store refused a write (disk full, read-only, locked)."""

    kind = "storage_unavailable"
