"""A webhook receiver for tests: records every delivery and answers with chosen statuses.

It runs an aiohttp server on its own thread and loop on a free loopback port, so
synchronous tests can use it; `handler` can be replaced to build receivers with other
behaviour (the signature-checking `WebhookInbox` is one).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One delivery as the receiver saw it."""

    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


class WebhookSink:
    """Collects deliveries; `respond_with([500, 500])` makes the next two fail."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._plan: list[int | float] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="webhook-sink")
        self.url = ""
        #: What answers each POST; replace it to build a receiver with other behaviour.
        self.handler = self._handle

    def respond_with(self, plan: list[int | float]) -> None:
        """Statuses for the next deliveries; a float means 'sleep that long, then 200'."""
        with self._lock:
            self._plan = list(plan)

    def start(self) -> WebhookSink:
        """Start serving on a free loopback port."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("webhook sink could not start")
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` deliveries arrived (or time runs out); returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self._lock:
            return list(self.received)

    def when_quiet(self, deliveries: Callable[[], list[dict[str, Any]]],
                   timeout: float = 15.0) -> tuple[list[Received], list[dict[str, Any]]]:
        """Wait until nothing more is coming: every delivery `deliveries()` lists (the
        simulator's record, e.g. GET /_sim/webhooks for the tenant) is settled, none pending
        or in flight, and this receiver has seen one POST per recorded attempt that got an
        answer. Returns (everything received, the deliveries); assert exact counts on them,
        which a `wait_for(count)` cannot do (it returns before a surplus copy arrives)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = deliveries()
            answered = sum(a["status_code"] is not None for d in rows for a in d["attempts"])
            settled = all(d["status"] in ("delivered", "failed", "abandoned") for d in rows)
            with self._lock:
                received = list(self.received)
            if (rows and settled and len(received) == answered) or time.monotonic() > deadline:
                return received, rows
            time.sleep(0.05)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        return await self.handler(request)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._lock:
            step = self._plan.pop(0) if self._plan else 200
        if isinstance(step, float):
            await asyncio.sleep(step)
            step = 200
        with self._lock:
            self.received.append(Received(time.time(), request.path, dict(request.headers),
                                          body, step))
        return web.Response(status=step, text="ok" if step < 300 else "failure")
