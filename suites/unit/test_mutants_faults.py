"""Network faults as a raw client sees them, byte for byte and down to how the connection
ends: `truncate` sends the headers and exactly half the body, then resets the connection;
`reset` answers nothing and resets; `empty_reply` answers nothing and closes cleanly. Also
`malformed` and `slow_drip` on answers the JSON endpoints do not give (no body, two bytes,
an HTML page)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from paylab.simulator.scenarios.http import _body_fault
from paylab.suites.unit.inprocess import KEY, ClientFactory, Sim, start
from paylab.suites.unit.test_inprocess_faults import MISSING, with_fault

MARKER = b'\x00<!-- upstream error -->{"'


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def raw_get(sim: Sim, path: str) -> tuple[bytes, bool]:
    """GET `path` over a bare socket: every byte received, and whether the connection
    ended with a reset (True) or a clean close (False)."""
    server = sim.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                 f"Authorization: Bearer {KEY}\r\nConnection: close\r\n\r\n".encode())
    received, reset = b"", False
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), 3):
            received += chunk
    except ConnectionResetError:
        reset = True
    finally:
        writer.close()
    return received, reset


def split(received: bytes) -> tuple[str, bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    return head.decode().lower(), body


async def test_truncate_sends_half_the_body_then_resets(sim: Sim) -> None:
    clean, reset = await raw_get(sim, "/stripe" + MISSING)
    assert not reset
    _, full = split(clean)
    await with_fault(sim, {"fault": "truncate"})
    received, reset = await raw_get(sim, "/stripe" + MISSING)
    cut_head, part = split(received)
    assert reset, "a truncated answer ends with a connection reset, not a clean close"
    assert cut_head.startswith("http/1.1 404")
    assert f"content-length: {len(full)}" in cut_head  # promises the whole body
    assert part == full[: len(full) // 2]
    # the client got the status line, so the journal keeps the answer's status
    assert (await journal_statuses(sim)) == [404, 404]


@pytest.mark.parametrize(("fault", "resets"), [("reset", True), ("empty_reply", False)])
async def test_a_connection_fault_answers_nothing(sim: Sim, fault: str, resets: bool) -> None:
    await with_fault(sim, {"fault": fault})
    received, reset = await raw_get(sim, "/stripe" + MISSING)
    assert received == b""
    assert reset is resets  # `reset`: "connection reset"; `empty_reply`: a clean close
    assert (await journal_statuses(sim)) == [0]  # no answer at all


async def test_a_slow_drip_keeps_a_hosted_page_html(sim: Sim) -> None:
    session = (await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})).body
    plain = await sim.page("GET", session["url"])
    assert plain.headers["Content-Type"].startswith("text/html")
    await with_fault(sim, {"fault": "slow_drip", "seconds": 0.02},
                     {"method": "GET", "path": "/checkout/*"})
    dripped = await sim.page("GET", session["url"])
    assert dripped.headers["Paylab-Effect"] == "f:network=slow_drip"
    assert dripped.headers["Content-Type"].startswith("text/html")
    assert dripped.status == 200 and dripped.text.endswith("</html>\n")
    assert len(dripped.text) == len(plain.text)  # the same page (its form token differs)


async def journal_statuses(sim: Sim) -> list[int]:
    """Statuses the journal recorded for the gateway requests, oldest first."""
    rows = (await sim.control("GET", "/journal")).body["entries"]
    return [row["status"] for row in rows]


async def test_malformed_on_an_answer_without_body_is_only_the_garbage() -> None:
    request = make_mocked_request("GET", "/stripe/v1/x")
    spoiled = await _body_fault(request, web.Response(status=204), "malformed", 0)
    assert spoiled.body == MARKER
    assert spoiled.status == 204 and spoiled.content_type == "application/json"


async def test_malformed_keeps_at_least_one_byte_and_no_more_than_half() -> None:
    request = make_mocked_request("GET", "/stripe/v1/x")
    spoiled = await _body_fault(request, web.json_response({}), "malformed", 0)
    assert spoiled.body == b"{" + MARKER  # half of `{}`
