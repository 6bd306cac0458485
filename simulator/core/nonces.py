"""One-time values (request nonces): the first use of a value is accepted, every repeat
within its lifetime refused. Rows live in the store, so several processes sharing the
database refuse a replay whichever of them sees it; expired rows are pruned as new ones
arrive."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.store import Store

#: Prune expired rows once every this many claims (cheap, and bounds the table).
PRUNE_EVERY = 256


class Nonces:
    """claim(tenant, scope, value, lifetime) -> whether this is the value's first use."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._claims = 0

    def claim(self, tenant: str, scope: str, value: str, lifetime: float) -> bool:
        """Record `value` as used for `lifetime` virtual seconds; False if it was already
        used (and has not expired). A value used again after it expired is a first use."""
        now = self.clock.now()
        self._claims += 1
        with self.store.atomic():
            if self._claims % PRUNE_EVERY == 0:
                self.store.write("DELETE FROM nonces WHERE expires <= ?", (now,))
            cursor = self.store.write(
                "INSERT INTO nonces (tenant, scope, value, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tenant, scope, value) DO UPDATE SET expires = excluded.expires "
                "WHERE nonces.expires <= ?", (tenant, scope, value, now + lifetime, now))
        return cursor.rowcount == 1
