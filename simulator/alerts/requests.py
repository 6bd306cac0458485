"""Gateway API calls and their failures, per second of the virtual clock, for alerts.

A gateway that is down answers 503 (or nothing) before any payment is attempted, so no
payment event records the failure: the payment KPIs do not move. The metrics recorder
(simulator.metrics, fed by the journal middleware) counts every call under a gateway's
prefix and those that got a server error or no answer, per tenant, gateway and virtual
second, in the KPI figures of the store (core.kpi_windows `CALLS`, `CALLS_FAILED`: every
process adds to the same rows, batched per event-loop tick with the latency figures);
`failure_rate` rules judge a gateway as a whole (method `*`) by that share.
"""

from __future__ import annotations

import logging
from typing import Any

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.kpi_windows import CALLS, CALLS_FAILED, LATENCY_UPSERT, call_counts
from paylab.simulator.core.store import Store

log = logging.getLogger("paylab.alerts")


def failed(status: int) -> bool:
    """A server error, or no answer at all (status 0)."""
    return status == 0 or status >= 500


def call_figures(status: int) -> tuple[str, ...]:
    """The KPI figures one call answered with `status` adds 1 to (0: no answer)."""
    return (CALLS, CALLS_FAILED) if failed(status) else (CALLS,)


class RequestOutcomes:
    """Read gateway calls and their failures over a window (and count one by hand)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def count(self, tenant: str | None, gateway: str, status: int) -> None:
        """One call answered with `status` (0: no answer), written now. The server counts
        its calls through the metrics recorder instead, batched per tick."""
        second = int(self.clock.now())
        try:
            self.store.write_many(LATENCY_UPSERT, [(tenant or "", gateway, second, figure, 1)
                                                   for figure in call_figures(status)])
        except StorageUnavailable as exc:  # never fail the call being counted
            log.warning("gateway call not counted for alerts: %s", exc)

    def window(self, tenant: str | None, seconds: float,
               gateway: str | None = None) -> list[dict[str, Any]]:
        """Per gateway: calls and failed calls in (now - seconds, now], of one tenant or of
        all (None)."""
        return call_counts(self.store, tenant, self.clock.now() - seconds, gateway)

    def prune(self) -> None:
        """Nothing to do: the KPI figures fold their old seconds themselves."""
