"""Seeded randomness and prefixed object ids (`pi_...`, `ch_...`), the same whichever
worker process draws them.

Every draw takes the next number `n` of a counter kept in the store, one counter per
tenant (the tenant the current request acts for, see `bind_tenant`; '' for draws made
outside a tenant's request, such as request ids drawn before authentication or timers),
and derives its characters from a hash of (seed, generation, tenant, n). So:

- a tenant's k-th id is byte-identical whichever worker issues it;
- two workers never issue the same id (the counter is taken in the store's write lock);
- a full reset (counters cleared, generation 0) replays the same ids for a seed;
- a restart over existing data continues the counters, so never reuses an id.

The generation is 0 for a database this version created; a database older versions
wrote (their ids carried the boot count) continues at its boot count, above every
generation its ids used.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from paylab.simulator.core.errors import StorageUnavailable

if TYPE_CHECKING:
    from paylab.simulator.core.store import Store

_ALPHABET = string.ascii_letters + string.digits
#: Base62 in ASCII order, so encoded numbers sort the way SQLite compares text.
_ORDERED = string.digits + string.ascii_uppercase + string.ascii_lowercase
#: byte -> base62 character (bytes.translate: one C call for a whole digest).
_TABLE = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
#: The usual draw: one compare-and-set from the number this process drew last (no other
#: process drew for the tenant since when it matches). Else an upsert and a read: inside
#: the batch's write lock no other process can move the counter between the two. Not one
#: statement with RETURNING: SQLite runs those several times slower, and one left open
#: blocks the commit that follows a write made without an event loop.
_NEXT = "UPDATE rand_counters SET n = n + 1 WHERE tenant = ? AND n = ?"
_BUMP = ("INSERT INTO rand_counters (tenant, n) VALUES (?, 1) "
         "ON CONFLICT (tenant) DO UPDATE SET n = n + 1")
_READ = "SELECT n FROM rand_counters WHERE tenant = ?"

TenantSource = Callable[[], "str | None"]
#: Who the current request acts for (set per request by the adapter; None outside one).
_TENANT: ContextVar[TenantSource | None] = ContextVar("paylab_rand_tenant", default=None)


def bind_tenant(source: TenantSource) -> Token[TenantSource | None]:
    """Draws made in the current context (a request's task) count on the counter of the
    tenant `source()` names at the time of each draw ('' while it names none)."""
    return _TENANT.set(source)


def unbind_tenant(token: Token[TenantSource | None]) -> None:
    """Undo `bind_tenant`."""
    _TENANT.reset(token)


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        out.append(_ORDERED[digit])
    return "".join(reversed(out))


class Rand:
    """The seeded randomness of one simulator: ids and sampled values. Never credentials:
    those come from `credentials.new_credential`, because the seed is public.

    `store`: where the counters live (shared by every process on it); without one (tools,
    unit tests) they are kept in this object."""

    def __init__(self, seed: int, generation: int = 0, store: Store | None = None,
                 boot: int = 1) -> None:
        self.seed = seed
        self.store = store
        #: This process's start among all starts on its database (unique per process).
        self.boot = boot
        self._requests = 0
        self._local: dict[str, int] = {}  # tenant -> last number drawn here
        self.reseed(generation)

    def reseed(self, generation: int) -> None:
        """Restart the streams for `generation` (0 after a full reset, which also clears
        the stored counters)."""
        self.generation = generation
        self._local.clear()
        self._requests = 0
        self._prefix = _base62(generation, 2)
        self._salt = f"{self.seed}/{generation}/".encode()

    def _next(self) -> tuple[str, int]:
        """(tenant, its next draw number)."""
        source = _TENANT.get()
        tenant = (source() if source is not None else None) or ""
        last = self._local.get(tenant)
        if self.store is None:
            n = (last or 0) + 1
        else:
            try:
                n = self._stored_next(tenant, last)
            except StorageUnavailable:
                if tenant:
                    raise
                # a full disk: reads (whose request ids draw outside any tenant) go on
                # answering; such an id may repeat another worker's until space returns
                n = (last or 0) + 1
        self._local[tenant] = n
        return tenant, n

    def _stored_next(self, tenant: str, last: int | None) -> int:
        assert self.store is not None
        if last is not None and self.store.write(_NEXT, (tenant, last)).rowcount == 1:
            return last + 1
        self.store.write(_BUMP, (tenant,))
        return int(self.store.conn.execute(_READ, (tenant,)).fetchone()[0])

    def _bytes(self, tenant: str, n: int, length: int) -> bytes:
        return hashlib.shake_128(self._salt + f"{tenant}/{n}".encode()).digest(length)

    def token(self, length: int = 24) -> str:
        """A base62 string drawn from the seeded streams."""
        tenant, n = self._next()
        return self._bytes(tenant, n, length).translate(_TABLE).decode("ascii")

    def request_token(self, length: int = 14) -> str:
        """The characters of a request id, from this process's own stream: seeded, salted
        with the process's boot number (so unique across workers and restarts) and never
        stored, so answering a read writes nothing (reads go on while a full disk refuses
        writes). One process on a fresh database draws the same ones for a seed."""
        self._requests += 1
        salt = self._salt + f"~{self.boot}/{self._requests}".encode()
        return hashlib.shake_128(salt).digest(length).translate(_TABLE).decode("ascii")

    def new_id(self, prefix: str, length: int = 24) -> str:
        """An object id such as `pi_0000003Nf...`: generation and the tenant's counter
        first, so a tenant's later ids sort later, then seeded characters."""
        tenant, n = self._next()
        ordered = self._prefix + _base62(n, 6)
        tail = self._bytes(tenant, n, length - len(ordered)).translate(_TABLE).decode("ascii")
        return f"{prefix}_{ordered}{tail}"

    def random(self) -> float:
        """A float in [0, 1) from the seeded streams."""
        tenant, n = self._next()
        return (int.from_bytes(self._bytes(tenant, n, 7), "big") >> 3) / 9007199254740992.0

    def randint(self, low: int, high: int) -> int:
        """An integer in [low, high] from the seeded streams."""
        return low + int(self.random() * (high - low + 1))


def fresh_seed() -> int:
    """A seed for runs that did not ask for one (printed, so the run can be replayed)."""
    return secrets.randbelow(2**31)
