"""The control dashboard's login sessions, kept in the store (not in the process), so every
worker process sharing the database knows them and a restart keeps them.

Only digests of the random session values are stored: a copy of the database opens no
session.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from paylab.simulator.core.store import Store

#: Only the token holder opens sessions; the cap bounds the table all the same.
MAX_SESSIONS = 256


def _digest(value: str) -> str:
    # surrogatepass: cookie values may hold lone surrogates (undecodable bytes); never raise
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class ControlSessions:
    """Open, check and close dashboard sessions; expiry in wall-clock seconds."""

    def __init__(self, store: Store, lifetime: float,
                 wall: Callable[[], float] = time.time) -> None:
        self.store, self.lifetime, self.wall = store, lifetime, wall

    def open(self) -> str:
        """A fresh random session value (for the cookie), stored by digest."""
        value = secrets.token_urlsafe(32)
        now = self.wall()
        with self.store.atomic() as conn:
            conn.execute("DELETE FROM control_sessions WHERE expires <= ?", (now,))
            conn.execute(
                "DELETE FROM control_sessions WHERE digest IN (SELECT digest FROM "
                "control_sessions ORDER BY expires DESC LIMIT -1 OFFSET ?)",
                (MAX_SESSIONS - 1,))
            conn.execute("INSERT INTO control_sessions (digest, expires) VALUES (?, ?)",
                         (_digest(value), now + self.lifetime))
        return value

    def close(self, value: str | None) -> None:
        """Forget a session (log out)."""
        if value:
            self.store.write("DELETE FROM control_sessions WHERE digest = ?", (_digest(value),))

    def valid(self, value: str | None) -> bool:
        """Whether a cookie value is a live session (a lookup by digest, so its timing
        says nothing about stored values)."""
        if not value:
            return False
        row = self.store.one("SELECT expires FROM control_sessions WHERE digest = ?",
                             (_digest(value),))
        return row is not None and row[0] > self.wall()

    async def committed(self) -> None:
        """Wait until the session changes are on disk (before answering the login)."""
        await self.store.durable()
