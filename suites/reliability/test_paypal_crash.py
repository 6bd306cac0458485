"""kill -9 with a PayPal order approved and waiting for the merchant's capture, then a
restart on the same database: the order, the app's access token and its webhook come back
as they were; captures raced from several threads after the restart capture it exactly
once (the others ORDER_ALREADY_CAPTURED), and PAYMENT.CAPTURE.COMPLETED reaches the
webhook exactly once."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from paylab.suites.plugins.evidence import EvidenceSession, Figures
from paylab.suites.plugins.simulator import start_simulator, stop_simulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.paypal_app import PaypalApp

#: Real time (no speed-up): time moves only when the test advances the clock.
FLAGS = ("--time-scale", "1")
RACERS = 6


def raced_captures(app: PaypalApp, order_id: str) -> list[tuple[int, str]]:
    """The same capture from several threads at once (each with its own session)."""
    def one(_: int) -> tuple[int, str]:
        mine = PaypalApp(app.base, app.client_id, app.secret, app.tenant, requests.Session(),
                         app.access)
        answer = mine.call("POST", f"/v2/checkout/orders/{order_id}/capture")
        body = answer.json()
        return answer.status_code, body.get("status") or body["details"][0]["issue"]

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def test_an_approved_order_survives_kill_9_and_is_captured_once(
        tmp_path: Path, http: EvidenceSession, webhook_sink: WebhookSink,
        figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="paypal", flags=FLAGS)
    app = PaypalApp.register(sim.url, http)
    hook = app.call("POST", "/v1/notifications/webhooks", {
        "url": f"{webhook_sink.url}/paypal",
        "event_types": [{"name": "PAYMENT.CAPTURE.COMPLETED"}]}).json()
    order = app.create(value="42.00")
    assert app.approve(order).status_code == 303
    assert app.call("GET", f"/v2/checkout/orders/{order['id']}").json()["status"] == "APPROVED"
    sim.kill(signal.SIGKILL)

    again = start_simulator(tmp_path, db=sim.db, name="paypal-restart", flags=FLAGS)
    try:
        app.base = again.url
        shown = app.call("GET", f"/v2/checkout/orders/{order['id']}")
        assert shown.status_code == 200, "the pre-crash token still works"
        assert shown.json()["status"] == "APPROVED"
        listed = app.call("GET", "/v1/notifications/webhooks").json()["webhooks"]
        assert [w["id"] for w in listed] == [hook["id"]]
        results = raced_captures(app, order["id"])
        assert sorted(results) == [(201, "COMPLETED")] + [
            (422, "ORDER_ALREADY_CAPTURED")] * (RACERS - 1), results

        def deliveries() -> list[dict]:
            return requests.get(f"{again.url}/_sim/webhooks", params={"tenant": app.tenant},
                                timeout=10).json()["deliveries"]
        received, rows = webhook_sink.when_quiet(deliveries)
        assert len(rows) == 1 and rows[0]["status"] == "delivered", rows
        assert len(received) == 1
        assert b'"PAYMENT.CAPTURE.COMPLETED"' in received[0].body
        assert app.ledger_row(order["id"])["captured"] == 4200
        figures(f"kill -9 with an approved order pending capture; after the restart "
                f"{RACERS} raced captures captured it once (the others "
                "ORDER_ALREADY_CAPTURED) and the webhook arrived once")
    finally:
        stop_simulator(again)
