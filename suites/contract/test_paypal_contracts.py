"""Every PayPal operation answers within its contract: each one is called here through the
recording session (the autouse check validates every answer, refusals included, against
contracts/paypal), the token's answers against token / oauth_error, and every webhook
delivery's body against paypal/event."""

from __future__ import annotations

import json
import time
import urllib.parse

from paylab.simulator.gateways.paypal.routes import OPERATIONS
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.paypal_app import PaypalApp


def test_every_paypal_operation_is_exercised(simulator: LiveSimulator, http: EvidenceSession,
                                             wire_contracts: WireContracts,
                                             webhook_sink: WebhookSink) -> None:
    app = PaypalApp.register(simulator.url, http)
    wire_contracts.check("paypal/token", app.token().json())
    wire_contracts.check("paypal/oauth_error", app.token(secret="wrong").json())
    hook = app.call("POST", "/v1/notifications/webhooks",
                    {"url": f"{webhook_sink.url}/paypal", "event_types": [{"name": "*"}]})
    assert hook.status_code == 201
    spare = app.call("POST", "/v1/notifications/webhooks",
                     {"url": f"{webhook_sink.url}/spare",
                      "event_types": [{"name": "CHECKOUT.ORDER.APPROVED"}]}).json()
    app.call("GET", "/v1/notifications/webhooks")
    app.call("GET", f"/v1/notifications/webhooks/{spare['id']}")
    assert app.call("DELETE", f"/v1/notifications/webhooks/{spare['id']}").status_code == 204

    order = app.create(value="21.00")
    app.call("GET", f"/v2/checkout/orders/{order['id']}")
    assert app.call("POST", f"/v2/checkout/orders/{order['id']}/capture").status_code == 422
    app.approve(order)
    captured = app.call("POST", f"/v2/checkout/orders/{order['id']}/capture").json()
    capture_id = captured["purchase_units"][0]["payments"]["captures"][0]["id"]
    app.call("GET", f"/v2/payments/captures/{capture_id}")
    refund = app.call("POST", f"/v2/payments/captures/{capture_id}/refund",
                      {"amount": {"currency_code": "USD", "value": "1.00"}}).json()
    app.call("GET", f"/v2/payments/refunds/{refund['id']}")
    assert app.call("GET", "/v2/payments/refunds/0000000000000000X").status_code == 404
    now = time.time()  # Transaction Search over the day around now
    window = {"start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 86400)),
              "end_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400))}
    found = app.call("GET", "/v1/reporting/transactions?" + urllib.parse.urlencode(window))
    assert found.status_code == 200, found.text

    held = app.create(value="8.00", intent="AUTHORIZE")
    app.approve(held)
    done = app.call("POST", f"/v2/checkout/orders/{held['id']}/authorize").json()
    auth = done["purchase_units"][0]["payments"]["authorizations"][0]["id"]
    app.call("GET", f"/v2/payments/authorizations/{auth}")
    app.call("POST", f"/v2/payments/authorizations/{auth}/capture",
             {"amount": {"currency_code": "USD", "value": "3.00"}})
    other = app.create(value="2.00", intent="AUTHORIZE")
    app.approve(other)
    done = app.call("POST", f"/v2/checkout/orders/{other['id']}/authorize").json()
    voided = done["purchase_units"][0]["payments"]["authorizations"][0]["id"]
    assert app.call("POST", f"/v2/payments/authorizations/{voided}/void").status_code == 204

    def deliveries() -> list[dict]:
        return http.get(f"{simulator.url}/_sim/webhooks", params={"tenant": app.tenant},
                        timeout=10).json()["deliveries"]
    # three approvals, two captures, a refund, two authorizations, a void: wait for all
    received, rows = webhook_sink.when_quiet(deliveries)
    assert len(rows) == len(received) == 9, rows
    (delivery,) = [r for r in received if b"PAYMENT.CAPTURE.COMPLETED" in r.body][:1]
    headers = {k.upper(): v for k, v in delivery.headers.items()}
    verified = app.call("POST", "/v1/notifications/verify-webhook-signature", {
        "auth_algo": headers["PAYPAL-AUTH-ALGO"], "cert_url": headers["PAYPAL-CERT-URL"],
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": hook.json()["id"], "webhook_event": json.loads(delivery.body)})
    assert verified.json() == {"verification_status": "SUCCESS"}
    kinds = set()
    for each in received:
        event = json.loads(each.body)
        wire_contracts.check("paypal/event", event)
        kinds.add(event["event_type"])
    assert {"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED",
            "PAYMENT.AUTHORIZATION.CREATED", "PAYMENT.AUTHORIZATION.VOIDED"} <= kinds

    called = {(r.operation.operation_id) for ex in http.exchanges
              if (r := wire_contracts.route(ex.method, ex.url)) is not None}
    assert {op.operation_id for op in OPERATIONS} <= called, (
        {op.operation_id for op in OPERATIONS} - called)
