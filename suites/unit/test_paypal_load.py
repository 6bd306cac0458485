"""The PayPal Locust user's flow in process (load/users/paypal_flow.py, which the user runs
step by step): each request is one the simulator accepts, and each check passes on the
right answer and fails, saying why, on a wrong one. (Locust itself cannot be imported
here: its gevent patching breaks this process.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.load.users import paypal_flow as flow
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

LOAD = Path(__file__).resolve().parents[2] / "load"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_token_create_approve_capture_refund_pass_every_check(sim: Sim) -> None:
    made = await sim.control("POST", "/merchants", {"gateway": "paypal"})
    app = flow.App.of(made.body)
    answer = await sim._send("POST", flow.TOKEN, data=flow.TOKEN_BODY, headers=app.basic())
    access, problem = flow.token(answer.text)
    assert problem is None and access
    answer = await sim._send("POST", flow.ORDERS, data=flow.order(1234),
                             headers=flow.bearer(access, "load-1"))
    ids, problem = flow.created(answer.text)
    assert problem is None and ids is not None
    order_id, approve = ids
    early = await sim._send("POST", f"{flow.ORDERS}/{order_id}/capture", data=b"{}",
                            headers=flow.bearer(access))
    assert flow.captured(early.text) == (None, "status None ORDER_NOT_APPROVED")
    back = await sim._send("POST", approve, data={"email": flow.BUYER}, allow_redirects=False)
    assert flow.approved(back.status, back.headers.get("Location"), order_id) is None
    assert flow.approved(back.status, back.headers.get("Location"), "OTHER") is not None
    done = await sim._send("POST", f"{flow.ORDERS}/{order_id}/capture", data=b"{}",
                           headers=flow.bearer(access))
    capture, problem = flow.captured(done.text)
    assert problem is None and capture
    refund = await sim._send("POST", f"/paypal/v2/payments/captures/{capture}/refund",
                             data=b"{}", headers=flow.bearer(access))
    assert flow.refunded(refund.text) is None
    again = await sim._send("POST", f"/paypal/v2/payments/captures/{capture}/refund",
                            data=b"{}", headers=flow.bearer(access))
    assert flow.refunded(again.text) == "refund status None"
    assert flow.token("<html>") == (None, "not JSON")
    assert flow.created('{"status": "APPROVED"}') == (None, "status 'APPROVED', not CREATED")
