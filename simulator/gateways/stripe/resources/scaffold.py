"""A resource whose handler is still being built answers a clear error, never a 500."""

from __future__ import annotations

from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.vocabulary import NOT_EMULATED


class NotBuilt(InvalidRequest):
    """The operation is routed but its handler is not written yet."""

    def __init__(self, operation: str) -> None:
        super().__init__(NOT_EMULATED, f"{operation} is not emulated yet.")
