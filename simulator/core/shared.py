"""What worker processes keep in memory but must agree on: the clock offset, revoked
keys and active scenarios live in the store; each process caches them and reloads them
when another process changed them.

Whoever changes such a setting bumps one number in the store (`bump`, in the same batch
as the change). `refresh` runs before a request reads them: it asks SQLite whether any
other connection committed since it last looked (`PRAGMA data_version`, no disk read) and
only then reads the number; when that moved, every subscriber reloads. It looks once per
event-loop iteration at most: the requests of one iteration share the look, and a request
that reached the socket after another process committed a change is read in a later
iteration, so it sees the change. An idle single process pays one pragma per iteration,
a busy one with several workers one more indexed read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from paylab.simulator.core.store import Store

_BUMP = ("INSERT INTO shared_version (id, version) VALUES (1, 1) "
         "ON CONFLICT (id) DO UPDATE SET version = version + 1")


class Shared:
    """The version of the shared settings, as this process last loaded them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._listeners: list[Callable[[], None]] = []
        self._data: int | None = None
        self._looked = False  # in this event-loop iteration
        self.version = self._stored()

    def _stored(self) -> int:
        row = self.store.one("SELECT version FROM shared_version WHERE id = 1")
        return int(row[0]) if row else 0

    def _forget_look(self) -> None:
        self._looked = False

    def subscribe(self, reload: Callable[[], None]) -> None:
        """Call `reload` whenever another process changed the shared settings."""
        self._listeners.append(reload)

    def bump(self) -> None:
        """Note a change this process made (in the current batch): the others reload."""
        self.store.write(_BUMP)
        self.version = self._stored()

    def refresh(self) -> bool:
        """Reload the settings if another process changed them; returns whether it did."""
        if self._looked:
            return False
        try:
            asyncio.get_running_loop().call_soon(self._forget_look)
            self._looked = True
        except RuntimeError:
            pass  # no event loop (tools, unit tests): look every time
        data = self.store.one("PRAGMA data_version")
        if data is not None and data[0] == self._data:
            return False
        self._data = data[0] if data is not None else None
        version = self._stored()
        if version == self.version:
            return False
        self.version = version
        for reload in list(self._listeners):
            reload()
        return True


class LiveSet(set):
    """A set of names other processes may change (revoked tenants): a membership test
    refreshes the shared settings first, so it answers as of the latest change."""

    def __init__(self, refresh: Callable[[], bool]) -> None:
        super().__init__()
        self._refresh = refresh

    def __contains__(self, item: object) -> bool:
        self._refresh()
        return super().__contains__(item)
