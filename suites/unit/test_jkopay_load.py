"""The JKOPay Locust user's flow in process (load/users/jkopay_flow.py, which the user runs
step by step): each request is one the simulator accepts, and each check passes on the
right answer and fails, saying why, on a wrong one. (Locust itself cannot be imported
here: its gevent patching breaks this process.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.load.users import jkopay_flow as flow
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

LOAD = Path(__file__).resolve().parents[2] / "load"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_entry_simulate_inquiry_refund_pass_every_check(sim: Sim) -> None:
    made = await sim.control("POST", "/merchants", {"gateway": "jkopay"})
    store = flow.Store.of(made.body)
    no = flow.order_no()
    body, headers = flow.entry(store, no, 640)
    entered = await sim._send("POST", flow.ENTRY, data=body, headers=headers)
    order, problem = flow.order_of(entered.text)
    assert problem is None and order is not None
    path, headers = flow.inquiry(store, no)
    unpaid = await sim._send("GET", path, headers=headers)
    assert flow.paid(no, 640)(unpaid.text) == (
        f"transactions [('{no}', 101, 640)], expected paid")
    settled = await sim.control("POST", f"/payments/{order}/simulate", {"outcome": "paid"})
    assert settled.status == 200, settled.body
    answer = await sim._send("GET", path, headers=headers)
    assert flow.paid(no, 640)(answer.text) is None
    assert flow.paid(no, 641)(answer.text) is not None
    body, headers = flow.refund(store, no, "R-1", 640)
    refunded = await sim._send("POST", flow.REFUND, data=body, headers=headers)
    assert flow.refunded(640)(refunded.text) is None
    assert flow.refunded(1)(refunded.text) == "refunded 640, expected 1"
    assert flow.order_of('{"result":"201","message":"x","result_object":null}')[1] == (
        "result '201', not 000")
    assert flow.paid(no, 640)("<html>") == "not JSON"
