"""Gateway API calls and their failures, per second of the virtual clock, for alerts.

A gateway that is down answers 503 (or nothing) before any payment is attempted, so no
payment event records the failure: the payment KPIs do not move. This middleware counts
every call under a gateway's prefix and those that got a server error or no answer, per
tenant, gateway and virtual second, in the store (every process adds to the same rows);
`failure_rate` rules judge a gateway as a whole (method `*`) by that share.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store
from paylab.simulator.middlewares import NO_ANSWER

log = logging.getLogger("paylab.alerts")

_UPSERT = ("INSERT INTO alert_requests (tenant, gateway, second, requests, errors) "
           "VALUES (?, ?, ?, 1, ?) ON CONFLICT (tenant, gateway, second) DO UPDATE SET "
           "requests = requests + 1, errors = errors + excluded.errors")
#: Rows older than the longest window a `failure_rate` rule may judge are pruned.
KEPT_SECONDS = 3600


def failed(status: int) -> bool:
    """A server error, or no answer at all (status 0)."""
    return status == 0 or status >= 500


class RequestOutcomes:
    """Count gateway calls and their failures; read them over a window."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def count(self, tenant: str | None, gateway: str, status: int) -> None:
        """One call answered with `status` (0: no answer)."""
        second = int(self.clock.now())
        try:
            self.store.write(_UPSERT, (tenant or "", gateway, second, int(failed(status))))
        except StorageUnavailable as exc:  # never fail the call being counted
            log.warning("gateway call not counted for alerts: %s", exc)

    def window(self, tenant: str | None, seconds: float,
               gateway: str | None = None) -> list[dict[str, Any]]:
        """Per gateway: calls and failed calls in (now - seconds, now], of one tenant or of
        all (None)."""
        where, args = ["second > ?"], [self.clock.now() - seconds]
        if tenant is not None:
            where.append("tenant = ?")
            args.append(tenant)
        if gateway is not None:
            where.append("gateway = ?")
            args.append(gateway)
        rows = self.store.all(
            "SELECT gateway, SUM(requests), SUM(errors) FROM alert_requests "  # noqa: S608
            f"WHERE {' AND '.join(where)} GROUP BY gateway ORDER BY gateway", tuple(args))
        return [{"gateway": g, "requests": int(n), "errors": int(e)} for g, n, e in rows]

    def prune(self) -> None:
        """Forget seconds no window reaches."""
        self.store.write("DELETE FROM alert_requests WHERE second <= ?",
                         (int(self.clock.now()) - KEPT_SECONDS,))

    def middleware(self, prefixes: Mapping[str, str]) -> web.Middleware:
        """Count each call under a gateway prefix (`prefixes`: prefix -> gateway name)."""

        @web.middleware
        async def counted(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            gateway = prefixes.get("/" + request.path.split("/", 2)[1])
            if gateway is None:
                return await handler(request)
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                if request.get("paylab.fault") in NO_ANSWER:
                    status = 0
                self.count(request.get("paylab.tenant"), gateway, status)

        return counted
