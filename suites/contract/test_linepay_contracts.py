"""Every LINE Pay operation called against the live simulator through the evidence session,
so the layer's autouse check validates each answer (HTTP 200 with a returnCode, refusals
included) against contracts/linepay; a client written here from gateways.md 3 signs each
call, and parses transaction ids as exact integers (Python's json does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from paylab.simulator.gateways.linepay.routes import OPERATIONS
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator


@dataclass
class Channel:
    """A LINE Pay merchant's signed client (channel id and secret)."""

    base: str
    http: EvidenceSession
    channel_id: str
    secret: str

    def call(self, method: str, path: str, body: Any = None, query: str = "") -> Any:
        """Sign `secret + path + (body or query) + nonce` and send; the parsed answer."""
        raw = json.dumps(body).encode() if method == "POST" else b""
        nonce = str(uuid.uuid4())
        message = (self.secret + path).encode() + (raw or query.encode()) + nonce.encode()
        signed = base64.b64encode(hmac.new(self.secret.encode(), message,
                                           hashlib.sha256).digest()).decode()
        url = f"{self.base}/linepay{path}" + (f"?{query}" if query else "")
        answer = self.http.request(method, url, data=raw or None, timeout=10, headers={
            "Content-Type": "application/json", "X-LINE-ChannelId": self.channel_id,
            "X-LINE-Authorization-Nonce": nonce, "X-LINE-Authorization": signed})
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def channel(simulator: LiveSimulator, http: EvidenceSession, control: Control) -> Channel:
    made = control.post("merchants", {"gateway": "linepay"})
    return Channel(simulator.url, http, made["merchant_id"], made["hash_key"])


def request_body(order_id: str, amount: int, capture: bool = True) -> dict[str, Any]:
    return {"amount": amount, "currency": "TWD", "orderId": order_id,
            "packages": [{"id": "p", "amount": amount,
                          "products": [{"name": "tea", "quantity": 1, "price": amount}]}],
            "redirectUrls": {"confirmUrl": "https://shop.example/c",
                             "cancelUrl": "https://shop.example/x"},
            "options": {"payment": {"capture": capture}}}


def approved(channel: Channel, control: Control, order_id: str, amount: int,
             capture: bool = True) -> int:
    info = channel.call("POST", "/v3/payments/request",
                        request_body(order_id, amount, capture))["info"]
    reserve = info["paymentUrl"]["web"].split("transactionReserveId=")[1].split("&")[0]
    control.post(f"payments/{reserve}/simulate", {"outcome": "approved"})
    return info["transactionId"]


def test_every_linepay_operation_answers_within_its_contract(
        channel: Channel, control: Control, wire_contracts: WireContracts) -> None:
    tid = approved(channel, control, "C-1", 900)
    assert channel.call("GET", f"/v3/payments/requests/{tid}/check")["returnCode"] == "0110"
    twd = {"amount": 900, "currency": "TWD"}
    assert channel.call("POST", f"/v3/payments/{tid}/confirm", twd)["returnCode"] == "0000"
    refund = channel.call("POST", f"/v3/payments/{tid}/refund", {"refundAmount": 100})
    assert refund["info"]["refundTransactionId"] > 2**53
    listed = channel.call("GET", "/v3/payments", query=f"transactionId={tid}&fields=ALL")
    assert listed["info"][0]["refundList"][0]["refundAmount"] == -100
    auth = approved(channel, control, "C-2", 900, capture=False)
    channel.call("POST", f"/v3/payments/{auth}/confirm", twd)
    path = f"/v3/payments/authorizations/{auth}"
    assert channel.call("POST", path + "/capture", twd)["returnCode"] == "0000"
    void = approved(channel, control, "C-3", 900, capture=False)
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
