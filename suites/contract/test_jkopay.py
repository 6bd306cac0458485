"""JKOPay OnlinePay against the live simulator, driven by a client written from
gateways.md 4 (suites/unit/jkopay_store.py: it signs with its own HMAC and parses only
JSON): entry -> the shopper approves on the page -> the signed result_url callback ->
refund (and its idempotent repeat) -> inquiry in the GET and the POST forms; cancel and
expiry. Every answer is checked against contracts/jkopay by the layer's autouse check;
the callback is checked here."""

from __future__ import annotations

import hmac
import json
from pathlib import Path

import pytest
from paylab.simulator.gateways.jkopay.routes import OPERATIONS
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.jkopay_store import JkoStore, digest

VECTORS = Path(__file__).parents[1] / "unit" / "data" / "vectors.json"


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
