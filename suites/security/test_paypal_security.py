"""PayPal under attack, against the live simulator: a bad client secret, a forged or
foreign Bearer token, another app's order, authorization and capture ids on every
operation (404, nothing leaks, nothing changes), a webhook verification replayed with a
changed body (FAILURE), amount and currency mismatches (refused, nothing changes), and the
injection catalogue in the body fields, path ids and headers of PayPal's calls with a live
token (the generic bench cannot: suites/security/injection/paypal_rail.py). Every refusal
is PayPal's JSON error body.

Each test registers its own apps on /_sim/merchants."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.security.injection.payloads import as_bytes, json_literal, payloads, text
from paylab.suites.unit.paypal_app import PaypalApp, order_body

SENTINEL = "__paylab_probe__"
CHOSEN = [p for ps in payloads().values() for p in ps[:2]]


@pytest.fixture
def app(simulator: LiveSimulator) -> PaypalApp:
    return PaypalApp.register(simulator.url)


@pytest.fixture
def other(simulator: LiveSimulator) -> PaypalApp:
    return PaypalApp.register(simulator.url)


def _altered(token: str) -> str:
    """The token with its last character changed: never the token itself."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _error(answer: requests.Response, wire_contracts: WireContracts, status: int) -> dict:
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    wire_contracts.check("paypal/error", body)
    return body


def captured(app: PaypalApp, intent: str = "CAPTURE") -> tuple[dict[str, Any], dict, dict]:
    """An order approved and captured (or authorized): (order, capture, authorization)."""
    order = app.create(value="50.00", intent=intent)
    assert app.approve(order).status_code == 303
    verb = "capture" if intent == "CAPTURE" else "authorize"
    done = app.call("POST", f"/v2/checkout/orders/{order['id']}/{verb}").json()
    payments = done["purchase_units"][0]["payments"]
    return order, (payments.get("captures") or [{}])[0], (payments.get("authorizations")
                                                          or [{}])[0]


def test_bad_secrets_and_forged_tokens_are_refused(app: PaypalApp, other: PaypalApp,
                                                   wire_contracts: WireContracts) -> None:
    wrong = app.token(secret=_altered(app.secret))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    wire_contracts.check("paypal/oauth_error", wrong.json())
    cross = app.token(secret=other.secret)
    assert cross.status_code == 401
    for access in ("A21AA" + "x" * 92, _altered(app.access), "", other.access[::-1]):
        answer = app.call("POST", "/v2/checkout/orders", order_body(), access=access or "-")
        assert _error(answer, wire_contracts, 401)["name"] == "AUTHENTICATION_FAILURE"
    assert app.call("GET", "/v1/notifications/webhooks").status_code == 200


def test_another_apps_ids_are_missing_on_every_operation(
        app: PaypalApp, other: PaypalApp, wire_contracts: WireContracts) -> None:
    order, capture, _ = captured(app)
    held, _, auth = captured(app, "AUTHORIZE")
    fresh = app.create(value="7.00")
    before = [app.ledger_row(o["id"]) for o in (order, held, fresh)]
    targets = [("GET", f"/v2/checkout/orders/{order['id']}", None),
               ("POST", f"/v2/checkout/orders/{fresh['id']}/capture", {}),
               ("POST", f"/v2/checkout/orders/{fresh['id']}/authorize", {}),
               ("GET", f"/v2/payments/captures/{capture['id']}", None),
               ("POST", f"/v2/payments/captures/{capture['id']}/refund",
                {"amount": {"currency_code": "USD", "value": "1.00"}}),
               ("GET", f"/v2/payments/authorizations/{auth['id']}", None),
               ("POST", f"/v2/payments/authorizations/{auth['id']}/capture", {}),
               ("POST", f"/v2/payments/authorizations/{auth['id']}/void", {})]
    for method, path, body in targets:
        answer = other.call(method, path, body)
        error = _error(answer, wire_contracts, 404)
        assert error["details"][0]["issue"] == "INVALID_RESOURCE_ID"
        assert "50.00" not in answer.text and app.client_id not in answer.text
    assert [app.ledger_row(o["id"]) for o in (order, held, fresh)] == before
    assert app.call("GET", f"/v2/payments/captures/{capture['id']}").status_code == 200


def test_a_replayed_verification_with_a_changed_body_fails(
        app: PaypalApp, other: PaypalApp, webhook_sink: WebhookSink) -> None:
    hook = app.call("POST", "/v1/notifications/webhooks",
                    {"url": f"{webhook_sink.url}/paypal",
                     "event_types": [{"name": "PAYMENT.CAPTURE.COMPLETED"}]}).json()
    captured(app)
    (delivery,) = webhook_sink.wait_for(1)
    headers = {k.upper(): v for k, v in delivery.headers.items()}
    event = json.loads(delivery.body)

    def verify(by: PaypalApp, body: dict[str, Any], webhook_id: str = hook["id"],
               **changes: str) -> requests.Response:
        sent = {"auth_algo": headers["PAYPAL-AUTH-ALGO"],
                "cert_url": headers["PAYPAL-CERT-URL"],
                "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
                "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
                "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
                "webhook_id": webhook_id, "webhook_event": body, **changes}
        return by.call("POST", "/v1/notifications/verify-webhook-signature", sent)

    assert verify(app, event).json() == {"verification_status": "SUCCESS"}
    assert verify(app, event).json() == {"verification_status": "SUCCESS"}  # offline, again
    for path, value in ((("resource", "amount", "value"), "5000.00"),
                        (("resource", "status"), "COMPLETED "), (("event_type",), "X"),
                        (("resource", "id"), "0" * 17)):
        changed = json.loads(delivery.body)
        node = changed
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert verify(app, changed).json() == {"verification_status": "FAILURE"}, path
    assert verify(app, event, transmission_time="2020-01-01T00:00:00Z").json() == {
        "verification_status": "FAILURE"}
    assert verify(app, event, transmission_sig="A" * 44).json() == {
        "verification_status": "FAILURE"}
    assert verify(other, event).status_code == 404  # another app cannot check it


def test_amount_mismatches_are_refused_and_change_nothing(
        app: PaypalApp, wire_contracts: WireContracts) -> None:
    bad = order_body("10.00")
    bad["purchase_units"][0]["amount"]["breakdown"] = {
        "item_total": {"currency_code": "USD", "value": "1.00"}}
    error = _error(app.call("POST", "/v2/checkout/orders", bad), wire_contracts, 422)
    assert error["details"][0]["issue"] == "AMOUNT_MISMATCH"
    held, _, auth = captured(app, "AUTHORIZE")
    for amount, issue in ((("USD", "50.01"), "MAX_CAPTURE_AMOUNT_EXCEEDED"),
                          (("EUR", "10.00"), "CURRENCY_MISMATCH"),
                          (("USD", "-1.00"), "CANNOT_BE_ZERO_OR_NEGATIVE"),
                          (("USD", "1.001"), "DECIMAL_PRECISION")):
        answer = app.call("POST", f"/v2/payments/authorizations/{auth['id']}/capture",
                          {"amount": {"currency_code": amount[0], "value": amount[1]}})
        assert _error(answer, wire_contracts, 422)["details"][0]["issue"] == issue
    assert app.ledger_row(held["id"])["captured"] == 0
    order, capture, _ = captured(app)
    over = app.call("POST", f"/v2/payments/captures/{capture['id']}/refund",
                    {"amount": {"currency_code": "USD", "value": "50.01"}})
    assert _error(over, wire_contracts, 422)["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    assert app.ledger_row(order["id"])["refunded"] == 0


def _judge(where: str, answer: requests.Response, problems: list[str]) -> None:
    if answer.status_code >= 500:
        problems.append(f"{where}: {answer.status_code} {answer.text[:100]}")
        return
    if not answer.headers.get("Content-Type", "").startswith("application/json"):
        problems.append(f"{where}: answered {answer.headers.get('Content-Type')}")
        return
    if answer.status_code >= 400:
        body = answer.json()
        if not {"name", "message", "debug_id"} <= set(body):
            problems.append(f"{where}: not PayPal's error body: {answer.text[:100]}")


def _with(body: dict[str, Any], path: tuple[Any, ...], payload: Any) -> bytes:
    """The JSON body with the payload's raw literal at `path`."""
    node = json.loads(json.dumps(body))
    target = node
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = SENTINEL
    return json.dumps(node).encode().replace(f'"{SENTINEL}"'.encode(), json_literal(payload))


FIELDS = [("intent",), ("purchase_units", 0, "amount", "value"),
          ("purchase_units", 0, "amount", "currency_code"), ("purchase_units", 0, "description"),
          ("purchase_units", 0, "custom_id"), ("purchase_units", 0, "invoice_id"),
          ("purchase_units", 0, "reference_id"), ("application_context", "return_url"),
          ("application_context", "brand_name")]


def test_the_catalogue_in_every_field_path_and_header_is_answered_safely(
        app: PaypalApp, wire_contracts: WireContracts) -> None:
    problems: list[str] = []
    base = order_body("3.00", reference_id="r", custom_id="c", description="d")
    for n, field in enumerate(FIELDS):
        for i, payload in enumerate(CHOSEN):
            sent = json.loads(json.dumps(base))
            sent["purchase_units"][0]["invoice_id"] = f"INV-{n}-{i}"
            answer = app.call("POST", "/v2/checkout/orders", raw=_with(sent, field, payload))
            _judge(f"{'/'.join(map(str, field))} {text(payload) or payload!r:.40}", answer,
                   problems)
            if answer.status_code == 201:
                shown = app.call("GET", f"/v2/checkout/orders/{answer.json()['id']}")
                _judge("read back", shown, problems)
                page = app.session.get(next(x["href"] for x in answer.json()["links"]
                                            if x["rel"] == "approve"), timeout=10)
                if page.status_code >= 500 or (text(payload) and "<script" in text(payload)
                                               and text(payload) in page.text):
                    problems.append(f"approval page echoed {text(payload)!r:.40} raw")
    order, _, auth = captured(app, "AUTHORIZE")
    for payload in CHOSEN:
        segment = requests.utils.quote(as_bytes(payload).decode("utf-8", "replace"),
                                       safe="")[:3000]
        where = f"{text(payload) or payload!r:.40}"
        for method, path in (("GET", f"/v2/checkout/orders/{segment}"),
                             ("POST", f"/v2/payments/captures/{segment}/refund"),
                             ("POST", f"/v2/payments/authorizations/{segment}/void")):
            _judge(f"{method} {path[:50]} {where}", app.call(method, path, {}), problems)
        value = as_bytes(payload)[:2000].decode("latin-1")
        for header in ("PayPal-Request-Id", "Prefer", "PayPal-Mock-Response"):
            try:
                answer = app.call("GET" if header == "Prefer" else "POST",
                                  f"/v2/payments/authorizations/{auth['id']}" if header ==
                                  "Prefer" else "/v2/checkout/orders",
                                  None if header == "Prefer" else order_body("1.00"),
                                  headers={header: value})
            except (ValueError, requests.exceptions.InvalidHeader):
                continue  # requests refuses to send it: nothing reached the simulator
            _judge(f"header {header} {where}", answer, problems)
    assert not problems, "\n".join(problems[:15])
    assert app.ledger_row(order["id"])["captured"] == 0
    still = app.call("POST", f"/v2/payments/authorizations/{auth['id']}/capture")
    assert still.status_code == 201, still.text  # the probes left the authorization usable
