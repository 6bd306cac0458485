"""Every LINE Pay operation called against the live simulator through the evidence session,
so the layer's autouse check validates each answer (HTTP 200 with a returnCode, refusals
included) against contracts/linepay. The client (suites/unit/linepay_merchant.py, written
from gateways.md 3) signs each call and parses transaction ids as exact integers."""

from __future__ import annotations

import pytest
from paylab.simulator.gateways.linepay.routes import OPERATIONS
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.unit.linepay_merchant import Channel


@pytest.fixture
def channel(simulator: LiveSimulator, http: EvidenceSession) -> Channel:
    return Channel.register(simulator.url, http)


def approved(channel: Channel, order_id: str, amount: int, capture: bool = True) -> int:
    info = channel.request(order_id, amount, capture=capture)
    channel.approve(info)
    return info["transactionId"]


def test_every_linepay_operation_answers_within_its_contract(
        channel: Channel, wire_contracts: WireContracts) -> None:
    tid = approved(channel, "C-1", 900)
    assert channel.call("GET", f"/v3/payments/requests/{tid}/check")["returnCode"] == "0110"
    twd = {"amount": 900, "currency": "TWD"}
    assert channel.call("POST", f"/v3/payments/{tid}/confirm", twd)["returnCode"] == "0000"
    refund = channel.call("POST", f"/v3/payments/{tid}/refund", {"refundAmount": 100})
    assert refund["info"]["refundTransactionId"] > 2**53
    listed = channel.call("GET", "/v3/payments", query=f"transactionId={tid}&fields=ALL")
    assert listed["info"][0]["refundList"][0]["refundAmount"] == -100
    auth = approved(channel, "C-2", 900, capture=False)
    channel.call("POST", f"/v3/payments/{auth}/confirm", twd)
    path = f"/v3/payments/authorizations/{auth}"
    assert channel.call("POST", path + "/capture", twd)["returnCode"] == "0000"
    void = approved(channel, "C-3", 900, capture=False)
    channel.call("POST", f"/v3/payments/{void}/confirm", twd)
    assert channel.call("POST", f"/v3/payments/authorizations/{void}/void", {}
                        )["returnCode"] == "0000"
    for path, method in (("/payment", "POST"), ("/check", "GET"), ("/expire", "POST")):
        answer = channel.call(method, f"/v3/payments/preapprovedPay/RK1{path}",
                              {} if method == "POST" else None)
        assert answer["returnCode"] == "1154"
    # refusals are answers too: HTTP 200 in the same shapes
    assert channel.call("POST", f"/v3/payments/{tid}/confirm", twd)["returnCode"] == "1172"
    assert channel.call("POST", f"/v3/payments/{tid}/refund", {"refundAmount": 5000}
                        )["returnCode"] == "1164"
    seen = {r.operation.operation_id for ex in channel.http.exchanges
            if (r := wire_contracts.route(ex.method, ex.url)) is not None
            and "/linepay/" in ex.url}
    assert {op.operation_id for op in OPERATIONS} <= seen, "an operation was never exercised"
