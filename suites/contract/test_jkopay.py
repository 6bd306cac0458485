"""JKOPay OnlinePay against the live simulator, driven by a client written here from
gateways.md 4 (it signs with its own HMAC, parses only JSON): entry -> the shopper approves
on the page -> the signed result_url callback -> refund (and its idempotent repeat) ->
inquiry in the GET and the POST forms, and cancel and expiry. Every answer is checked
against contracts/jkopay by the layer's autouse check; the callback is checked here."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from paylab.simulator.gateways.jkopay.routes import OPERATIONS
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink

VECTORS = Path(__file__).parents[1] / "unit" / "data" / "vectors.json"


def digest(secret: str, payload: bytes) -> str:
    """hex HMAC-SHA256(secret_key, raw bytes), lower case (gateways.md 4)."""
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


@dataclass
class JkoStore:
    """A merchant's JKOPay client: store_id, secret_key and api_key, and a base URL."""

    base: str
    http: EvidenceSession
    store_id: str
    secret_key: str
    api_key: str

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.http.post(f"{self.base}/jkopay{path}", data=raw, timeout=10, headers={
            "Content-Type": "application/json", "api-key": self.api_key,
            "digest": digest(self.secret_key, raw)})

    def entry(self, platform_order_id: str, price: int, **extra: Any) -> dict[str, Any]:
        return self.post("/platform/entry", {
            "platform_order_id": platform_order_id, "store_id": self.store_id,
            "currency": "TWD", "total_price": price, "final_price": price, "unredeem": 0,
            **extra}).json()

    def refund(self, platform_order_id: str, refund_order_id: str, amount: int
               ) -> dict[str, Any]:
        return self.post("/platform/refund", {
            "store_id": self.store_id, "platform_order_id": platform_order_id,
            "refund_order_id": refund_order_id, "refund_amount": amount,
            "currency": "TWD"}).json()

    def inquiry_get(self, *ids: str) -> dict[str, Any]:
        query = "platform_order_ids=" + ",".join(ids)
        return self.http.get(f"{self.base}/jkopay/platform/inquiry?{query}", timeout=10,
                             headers={"api-key": self.api_key,
                                      "digest": digest(self.secret_key, query.encode())}
                             ).json()

    def inquiry_post(self, platform_order_id: str) -> dict[str, Any]:
        return self.post("/platform/inquiry", {"store_id": self.store_id,
                                               "platform_order_id": platform_order_id}).json()

    def press(self, payment_url: str, button: str) -> requests.Response:
        parts = urllib.parse.urlsplit(payment_url)
        return self.http.post(f"{self.base}{parts.path}/{button}?{parts.query}", timeout=10,
                              allow_redirects=False)


@pytest.fixture
def jko(simulator: LiveSimulator, http: EvidenceSession, control: Control) -> JkoStore:
    """A fresh JKOPay store (its own tenant), registered through /_sim/merchants."""
    made = control.post("merchants", {"gateway": "jkopay"})
    return JkoStore(simulator.url, http, made["merchant_id"], made["hash_key"],
                    made["hash_iv"])


def test_the_clients_digest_is_jkopays() -> None:
    case = json.loads(VECTORS.read_text(encoding="utf-8"))["jkopay_digest"][0]
    assert digest(case["secret"], case["body"].encode()) == case["expected"]


def test_entry_approve_callback_refund_inquiry(jko: JkoStore, webhook_sink: WebhookSink,
                                               wire_contracts: WireContracts) -> None:
    display = "https://shop.example/jko/return"
    made = jko.entry("C-1", 1500, result_url=f"{webhook_sink.url}/jko/result",
                     result_display_url=display,
                     products=[{"name": "烏龍茶 & <cake>", "unit_count": 3, "unit_price": 500,
                                "unit_final_price": 500}])
    assert made["result"] == "000", made
    url = made["result_object"]["payment_url"]
    assert jko.entry("C-1", 1500) == made  # the same unpaid order: the same URL
    page = jko.http.get(url, timeout=10)
    assert page.status_code == 200 and "烏龍茶 &amp; &lt;cake&gt;" in page.text
    approved = jko.press(url, "approve")
    assert approved.status_code == 303
    assert approved.headers["Location"] == f"{display}?platform_order_id=C-1"

    [callback] = webhook_sink.wait_for(1)
    assert callback.path == "/jko/result"
    headers = {k.lower(): v for k, v in callback.headers.items()}
    assert hmac.compare_digest(headers["digest"], digest(jko.secret_key, callback.body))
    body = json.loads(callback.body)
    wire_contracts.check("jkopay/result_callback", body)
    assert (body["transaction"]["status"], body["transaction"]["final_price"]) == (0, 1500)
    assert jko.entry("C-1", 1500)["result"] == "101"

    refund = jko.refund("C-1", "RF-1", 400)
    assert refund["result"] == "000" and refund["result_object"]["debit_amount"] == 400
    assert jko.refund("C-1", "RF-1", 400) == refund
    assert jko.refund("C-1", "RF-1", 300)["result"] == "105"
    assert jko.refund("C-1", "RF-2", 1101)["result"] == "113"
    assert jko.refund("C-1", "RF-3", 1501)["result"] == "922"

    got = jko.inquiry_get("C-1", "C-none")
    rows = got["result_object"]["transactions"]
    assert [(r["status"], r["debit_amount"]) for r in rows] == [(0, 1500), (102, 0)]
    assert [h["refund_order_id"] for h in rows[0]["refund_history"]] == ["RF-1"]
    assert jko.inquiry_post("C-1")["result_object"]["transactions"] == rows[:1]
    seen = {r.operation.operation_id for ex in jko.http.exchanges
            if (r := wire_contracts.route(ex.method, ex.url)) is not None}
    assert {op.operation_id for op in OPERATIONS} <= seen, "an operation was never exercised"


def test_cancel_and_expiry_send_101(jko: JkoStore, webhook_sink: WebhookSink,
                                    control: Control, wire_contracts: WireContracts) -> None:
    sink = f"{webhook_sink.url}/jko/result"
    cancel = jko.entry("C-cancel", 300, result_url=sink)["result_object"]["payment_url"]
    assert jko.press(cancel, "cancel").status_code == 303
    jko.entry("C-expire", 300, result_url=sink)
    control.post("clock/advance", {"seconds": 20 * 60 + 1})
    received = webhook_sink.wait_for(2)
    bodies = sorted((json.loads(r.body)["transaction"] for r in received),
                    key=lambda t: t["platform_order_id"])
    for body in bodies:
        wire_contracts.check("jkopay/result_callback", {"transaction": body})
    assert [(b["platform_order_id"], b["status"]) for b in bodies] == [
        ("C-cancel", 101), ("C-expire", 101)]
    rows = jko.inquiry_get("C-cancel", "C-expire")["result_object"]["transactions"]
    assert [r["status"] for r in rows] == [101, 101]
    assert jko.refund("C-cancel", "R", 1)["result"] == "113"


def test_refusals_carry_jkopays_envelope(jko: JkoStore, http: EvidenceSession) -> None:
    raw = b'{"platform_order_id":"x"}'
    bad = http.post(f"{jko.base}/jkopay/platform/entry", data=raw, timeout=10,
                    headers={"api-key": jko.api_key, "digest": "0" * 64})
    assert bad.status_code == 403 and bad.json()["result"] == "201"
    unknown = http.post(f"{jko.base}/jkopay/platform/refund", data=raw, timeout=10,
                        headers={"api-key": "nobody", "digest": digest(jko.secret_key, raw)})
    assert unknown.status_code == 401 and unknown.json()["result"] == "201"
    assert jko.refund("missing", "R", 1)["result"] == "100"
