"""Tenants the simulator knows: those that made an API call with their key, or that the
control API named with `ahead=true` (set up before their first call).

The control API refuses a tenant it does not know, so a mistyped key fails loudly instead
of scoping a scenario or a reset to nobody. The truth is the `tenants` table (shared by
every process on the database); this process only remembers which rows it has written,
so a busy tenant costs one insert per process, not one per request.
"""

from __future__ import annotations

import logging

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store

log = logging.getLogger("paylab.tenants")


class Tenants:
    """Record and look up known tenants (by tenant id, a digest: never a key)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._written: set[str] = set()

    def seen(self, tenant: str) -> None:
        """`tenant` made a call (or was set up ahead): remember it, in the current batch."""
        if tenant in self._written:
            return
        try:
            self.store.write("INSERT OR IGNORE INTO tenants (tenant, first_seen) VALUES (?, ?)",
                             (tenant, self.clock.wall()))
        except StorageUnavailable as exc:
            # a full disk must not fail the call that named it; the next call tries again
            log.warning("tenant not recorded: %s", exc)
            return
        self._written.add(tenant)

    def known(self, tenant: str) -> bool:
        """Whether `tenant` has been seen (by any process on this database)."""
        return tenant in self._written or self.store.one(
            "SELECT 1 FROM tenants WHERE tenant = ?", (tenant,)) is not None

    def forget(self, tenant: str | None) -> None:
        """After a reset (the store dropped the rows): forget one tenant, or all."""
        if tenant is None:
            self._written.clear()
        else:
            self._written.discard(tenant)
