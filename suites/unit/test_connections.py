"""Connection hygiene (the "Hardening" issue, item 8): the connection cap evicts the
longest-idle connection first and sheds with a 503 only when every connection is busy;
a body that does not arrive in time gets a 408 while slow work on a complete body does not."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.connections import BUSY, ConnectionGuard, descriptor_capacity
from paylab.simulator.deadlines import body_deadline_middleware
from paylab.simulator.guards import control_refusal


class FakeTransport(asyncio.Transport):
    """Records what the guard writes and whether it closed the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.written, self.closed = b"", False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


class Inner(asyncio.Protocol):
    """Stands in for aiohttp's request handler."""

    def __init__(self) -> None:
        self.received = b""

    def data_received(self, data: bytes) -> None:
        self.received += data


class Clock:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _open(guard: ConnectionGuard, factory: Any) -> tuple[asyncio.Protocol, FakeTransport]:
    protocol, transport = factory(), FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def test_at_the_cap_the_longest_idle_connection_makes_room() -> None:
    clock = Clock()
    guard = ConnectionGuard(2, clock=clock)
    factory = guard.protocol_factory(Inner)
    first, first_t = _open(guard, factory)
    clock.now += 1
    _, second_t = _open(guard, factory)
    clock.now += 1
    third, third_t = _open(guard, factory)
    assert first_t.closed and not second_t.closed and not third_t.closed
    assert guard.evicted == 1 and len(guard.conns) == 2
    third.data_received(b"GET / HTTP/1.1\r\n")
    assert third.inner.received == b"GET / HTTP/1.1\r\n"  # type: ignore[attr-defined]
    first.connection_lost(None)  # the evicted one goes quietly
    assert len(guard.conns) == 2


async def test_busy_or_just_active_connections_are_kept_and_the_newcomer_gets_503() -> None:
    clock = Clock()
    guard = ConnectionGuard(2, clock=clock)
    factory = guard.protocol_factory(Inner)
    _, busy_t = _open(guard, factory)
    active, active_t = _open(guard, factory)
    guard.conns[busy_t].busy = 1  # a request in progress
    clock.now += 10
    active.data_received(b"GET / HT")  # bytes just arrived: a request is starting
    shed, shed_t = _open(guard, factory)
    assert not busy_t.closed and not active_t.closed
    assert guard.shed == 1 and shed_t.written == b""  # waits for the request head
    shed.data_received(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert shed_t.written == BUSY and shed_t.closed
    assert shed_t.written.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in BUSY
    shed.connection_lost(None)
    assert guard.lingering == 0


def test_the_cap_keeps_descriptors_in_reserve() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert descriptor_capacity(reserve=64) <= max(8, soft - 64)


@pytest.fixture
async def slow_app() -> Any:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(0.5)  # slow work once the body is in: never cut short
        return web.json_response({"got": len(body)})

    app = web.Application(middlewares=[body_deadline_middleware(0.3, {}, control_refusal)])
    app.router.add_post("/echo", handler)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


async def _exchange(server: TestServer, head: bytes, body: bytes) -> bytes:
    """Send the head, then the body a moment later (so the deadline is armed)."""
    reader, writer = await asyncio.open_connection(server.host, server.port,
                                                   family=socket.AF_INET)
    writer.write(head)
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.write(body)
    answer = await asyncio.wait_for(reader.read(), timeout=5)  # until the server closes
    writer.close()
    return answer


async def test_a_body_that_stalls_gets_408_and_the_connection_closes(slow_app: Any) -> None:
    head = (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
            b"Connection: keep-alive\r\n\r\n")
    answer = await _exchange(slow_app, head, b"abc")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"code":"request_timeout"' in answer


async def test_a_complete_body_is_not_timed(slow_app: Any) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
    answer = await _exchange(slow_app, head, b"abc")
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"got": 3}')


def test_timeouts_come_from_flags_or_the_environment_and_must_be_positive() -> None:
    from paylab.simulator.settings import Settings

    settings = Settings.from_env({"PAYLAB_KEEPALIVE_TIMEOUT": "2", "PAYLAB_READ_TIMEOUT": "3"})
    assert (settings.keepalive_timeout, settings.read_timeout) == (2.0, 3.0)
    assert Settings.from_env({}, keepalive_timeout=5.0).keepalive_timeout == 5.0
    for bad in ({"PAYLAB_KEEPALIVE_TIMEOUT": "0"}, {"PAYLAB_READ_TIMEOUT": "-1"}):
        with pytest.raises(ValueError, match="timeout"):
            Settings.from_env(bad)
