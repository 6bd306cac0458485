"""Connection hygiene on the simulator's listening socket: a connection cap below the file
descriptor limit, with idle connections evicted first and the rest shed with a 503.

With a low RLIMIT_NOFILE an attacker holding idle connections used up every descriptor;
accept() then failed and every other client was reset for as long as the attacker liked.
Keep-alive and read timeouts (see `paylab serve`) end idle and slow connections; this
module makes sure a new client still gets in meanwhile:

- the cap is RLIMIT_NOFILE minus the descriptors open when the site starts minus
  `RESERVE` (SQLite, webhook deliveries, DNS, logs and shed connections need some);
- at the cap, a new connection first evicts the connection idle the longest (no request in
  progress, no byte received for `idle_grace` seconds), as nginx reuses keep-alive
  connections when it runs out;
- if every connection is busy, the new one gets a 503 with `Retry-After` and is closed,
  after its request head is read (so the client is sent the answer rather than a reset).

Which connections are busy is learnt from `ConnectionGuard.middleware`, which the app runs
around every request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import time
from collections.abc import Callable

import orjson
from aiohttp import web
from yarl import URL

log = logging.getLogger("paylab.connections")

#: Descriptors kept free for the simulator's own work, beyond those open at start.
RESERVE = 64
#: Fewest connections the cap allows, however low the descriptor limit.
MIN_CAPACITY = 8
#: A connection that sent bytes or finished a request this recently is not evicted.
IDLE_GRACE = 0.25
#: How long a shed connection may take to send its request head before it is answered.
SHED_LINGER = 0.5
#: At most this many shed connections wait for their heads at once; more are answered at once.
MAX_LINGERING = 32

_BUSY_BODY = orjson.dumps({"error": {
    # both error shapes at once (Stripe's `type`, the control API's `field`): which API the
    # client wanted is not known before its request is parsed, and it never is here
    "type": "api_error", "code": "server_busy", "field": None,
    "message": "The simulator is at its connection limit; retry in a second."}})
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: "
        + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


def open_descriptors() -> int:
    """File descriptors this process has open now (a fair guess where /proc is missing)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 32


def descriptor_capacity(reserve: int = RESERVE) -> int:
    """How many client connections fit under RLIMIT_NOFILE, keeping `reserve` free."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(MIN_CAPACITY, soft - open_descriptors() - reserve)


class _Conn:
    """What the guard knows of one admitted connection."""

    __slots__ = ("busy", "last_data", "since", "transport")

    def __init__(self, transport: asyncio.BaseTransport, now: float) -> None:
        self.transport, self.busy, self.since, self.last_data = transport, 0, now, now


class ConnectionGuard:
    """Admits, tracks and, at the cap, evicts or sheds connections."""

    def __init__(self, capacity: int | None = None, *, idle_grace: float = IDLE_GRACE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`capacity` None: computed from the descriptor limit when the site starts."""
        self.capacity = capacity
        self.idle_grace, self.clock = idle_grace, clock
        self.conns: dict[asyncio.BaseTransport, _Conn] = {}
        self.lingering = 0
        self.evicted = self.shed = 0

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]
                         ) -> Callable[[], asyncio.Protocol]:
        """Wrap a server's protocol factory (aiohttp's `runner.server`)."""
        if self.capacity is None:
            self.capacity = descriptor_capacity()
            log.info("connection cap: %d (file descriptor limit %d)", self.capacity,
                     resource.getrlimit(resource.RLIMIT_NOFILE)[0])

        def factory() -> asyncio.Protocol:
            if self._has_room():
                return _Tracked(self, inner())
            self.shed += 1
            return _Shed(self)

        return factory

    @property
    def middleware(self) -> web.Middleware:
        """Marks a connection busy while one of its requests is handled."""

        @web.middleware
        async def track(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            conn = self.conns.get(request.transport) if request.transport else None
            if conn is None:  # served by another site (tests), or already evicted
                return await handler(request)
            conn.busy += 1
            try:
                return await handler(request)
            finally:
                conn.busy -= 1
                conn.since = self.clock()

        return track

    def _has_room(self) -> bool:
        assert self.capacity is not None
        if len(self.conns) < self.capacity:
            return True
        now = self.clock()
        idle = [c for c in self.conns.values()
                if not c.busy and now - max(c.since, c.last_data) >= self.idle_grace]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.since)
        del self.conns[oldest.transport]  # its descriptor is freed as the close completes
        oldest.transport.close()
        self.evicted += 1
        return True


class _Tracked(asyncio.Protocol):
    """An admitted connection: aiohttp's protocol, with the guard kept informed."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard, self.inner = guard, inner
        self.conn: _Conn | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.conn = _Conn(transport, self.guard.clock())
        self.guard.conns[transport] = self.conn
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.conn is not None:
            self.conn.last_data = self.guard.clock()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.guard.conns.pop(self.conn.transport, None)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class _Shed(asyncio.Protocol):
    """A connection over the cap: 503 once its request head is in (or soon), then close."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.guard.lingering >= MAX_LINGERING:
            self._answer()
            return
        self.guard.lingering += 1
        self.timer = asyncio.get_running_loop().call_later(SHED_LINGER, self._answer)

    def data_received(self, data: bytes) -> None:
        seen = self.tail + data
        if b"\r\n\r\n" in seen:  # the head is in; the answer will not meet unread bytes
            self._answer()
        self.tail = seen[-3:]

    def _answer(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(BUSY)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.guard.lingering -= 1
        self.transport = None


class GuardedSite(web.BaseSite):
    """A TCP site (as aiohttp's TCPSite) whose connections pass through a ConnectionGuard."""

    def __init__(self, runner: web.BaseRunner, guard: ConnectionGuard, host: str, port: int,
                 *, backlog: int = 128, reuse_port: bool = False) -> None:
        """`reuse_port`: SO_REUSEPORT, so several worker processes listen on one port and
        the kernel spreads new connections over them (as aiohttp's TCPSite offers)."""
        super().__init__(runner, backlog=backlog)
        self.guard, self.host, self.port = guard, host, port
        self.reuse_port = reuse_port

    @property
    def name(self) -> str:
        """The URL the site listens on."""
        return str(URL.build(scheme="http", host=self.host, port=self.port))

    async def start(self) -> None:
        """Listen; every accepted connection goes through the guard first."""
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.guard.protocol_factory(server), self.host, self.port, backlog=self._backlog,
            reuse_port=self.reuse_port or None)
