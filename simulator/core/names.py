"""Tenants and kinds as small integer codes (the `names` table).

A payment's rows and index entries name their tenant and kind many times over; as text
(an account id is 21 bytes) that was about a quarter of the database. Each name is
stored once in `names`, and everywhere else by its code, which SQLite writes in one or
two bytes.

A code is allocated inside the current write batch and cached per process. A committed
code never changes, so the cache needs no invalidation across processes; a batch or
savepoint that rolls back may take a fresh code with it, so every rollback clears the
cache (one SQLite makes by itself, on a full disk, as soon as a name is next looked up)
and the next use reads the code again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paylab.simulator.core.store import Store

_FIND = "SELECT code FROM names WHERE name = ?"


class Names:
    """The code of each name, allocated on first write and cached."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._codes: dict[str, int] = {}
        store.on_rollback(self._codes.clear)

    def find(self, name: str) -> int | None:
        """The name's code, or None when nothing was ever stored under it (a read never
        allocates one, so reads work on a full disk and leave nothing behind)."""
        self.store.notice_lost_batch()  # a batch SQLite rolled back took its codes along
        code = self._codes.get(name)
        if code is None:
            row = self.store.one(_FIND, (name,))
            if row is None:
                return None
            code = self._codes[name] = int(row[0])
        return code

    def code(self, name: str) -> int:
        """The name's code, allocated in the current batch when it has none yet."""
        code = self.find(name)
        if code is None:
            self.store.write("INSERT OR IGNORE INTO names (name) VALUES (?)", (name,))
            code = self._codes[name] = int(self.store.one(_FIND, (name,))[0])
        return code
