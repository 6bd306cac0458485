"""The LINE Pay Locust user's flow in process (load/users/linepay_flow.py, which the user
runs step by step): each request is one the simulator accepts, and each check passes on
the right answer and fails, saying why, on a wrong one. (Locust itself cannot be imported
here: its gevent patching breaks this process.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.load.users import linepay_flow as flow
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

LOAD = Path(__file__).resolve().parents[2] / "load"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_request_simulate_confirm_refund_pass_every_check(sim: Sim) -> None:
    made = await sim.control("POST", "/merchants", {"gateway": "linepay"})
    channel = flow.Channel.of(made.body)
    path, body, headers = flow.request(channel, flow.order_id(), 640)
    requested = await sim._send("POST", path, data=body, headers=headers)
    ids, problem = flow.reserved(requested.text)
    assert problem is None and ids is not None
    tid, order = ids
    path, body, headers = flow.confirm(channel, tid, 640)
    early = await sim._send("POST", path, data=body, headers=headers)
    assert flow.confirmed(tid)(early.text) == "returnCode '1169', not 0000"
    settled = await sim.control("POST", f"/payments/{order}/simulate", {"outcome": "approved"})
    assert settled.status == 200, settled.body
    path, body, headers = flow.confirm(channel, tid, 640)
    answer = await sim._send("POST", path, data=body, headers=headers)
    assert flow.confirmed(tid)(answer.text) is None
    assert flow.confirmed(tid + 1)(answer.text) == f"confirmed {tid}, expected {tid + 1}"
    path, body, headers = flow.refund(channel, tid, 640)
    refunded = await sim._send("POST", path, data=body, headers=headers)
    assert flow.refunded(refunded.text) is None
    path, body, headers = flow.refund(channel, tid, 640)
    again = await sim._send("POST", path, data=body, headers=headers)
    assert flow.refunded(again.text) == "returnCode '1165', not 0000"
    assert flow.reserved('{"returnCode":"0000","info":{"transactionId":12}}')[1] == (
        "no 19-digit transactionId or no paymentUrl.web")
    assert flow.refunded("<html>") == "not JSON"
