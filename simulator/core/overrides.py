"""Who is behind a request, as far as a gateway can tell: what fraud rules read.

Adapters build a `Client` per request and pass it into the core inside an `Origin`
(core.origin), with a scenario's forced outcome, as arguments. Nothing here knows about
HTTP or scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass


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

