"""Each operation of the Stripe gateway and the control API answers within its contract.

The autouse check in conftest validates every response; this file makes sure every
operation in the routing tables is actually called, so none escapes that check. Each other
gateway's contract module (test_ecpay_contracts.py, test_newebpay*.py) does the same for
its own operations.
"""

from __future__ import annotations

from typing import Any

import stripe
from paylab.simulator.control.routes import OPERATIONS as CONTROL
from paylab.simulator.gateways import all_gateways
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession, Exchange
from paylab.suites.plugins.simulator import Control


def test_every_stripe_and_control_operation_is_exercised(
        stripe_client: stripe.StripeClient, control: Control, http: EvidenceSession,
        wire_contracts: WireContracts, webhook_sink, api_key: str) -> None:
    c = stripe_client.v1
    we = c.webhook_endpoints.create(params={"url": f"{webhook_sink.url}/e",
                                            "enabled_events": ["*"]})
    pm = c.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 1, "exp_year": 2031}})
    c.payment_methods.retrieve(pm.id)
    pi = c.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                          "capture_method": "manual"})
    c.payment_intents.update(pi.id, params={"description": "every operation"})
    c.payment_intents.confirm(pi.id, params={"payment_method": pm.id})
    c.payment_intents.capture(pi.id)
    c.payment_intents.retrieve(pi.id)
    c.payment_intents.list()
    c.payment_intents.cancel(c.payment_intents.create(params={"amount": 900,
                                                              "currency": "usd"}).id)
    charge = c.charges.list().data[0]
    c.charges.retrieve(charge.id)
    refund = c.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    c.refunds.retrieve(refund.id)
    c.refunds.list()
    c.events.retrieve(c.events.list().data[0].id)
    c.webhook_endpoints.retrieve(we.id)
    c.webhook_endpoints.update(we.id, params={"description": "x"})
    c.webhook_endpoints.list()
    delivery = control.wait_for(lambda: control.deliveries(api_key), lambda ds: bool(ds))[0]
    control.post(f"webhooks/{delivery['id']}/probe", {"attack": "replay"})
    c.webhook_endpoints.delete(we.id)
    for path in ("health", "journal", "webhooks", "ledger", "openapi.json"):
        control.get(path)
    control.post(f"webhooks/{delivery['id']}/redeliver")
    control.get("scenario/presets")
    cs = c.checkout.sessions.create(params={"success_url": "https://x.example/ok",
                                            "amount": 1200, "currency": "usd"})
    c.checkout.sessions.retrieve(cs.id)
    c.checkout.sessions.list()
    c.checkout.sessions.line_items.list(cs.id)
    c.checkout.sessions.expire(cs.id)
    control.get("stats")
    for path in ("", "metrics"):
        http.get(f"{control.url}/_sim/{path}", timeout=10).raise_for_status()
    http.put(f"{control.url}/_sim/scenario", params={"preset": "slow-gateway", "tenant": api_key},
             timeout=10).raise_for_status()
    control.get("scenario", tenant=api_key)
    http.delete(f"{control.url}/_sim/scenario", params={"tenant": api_key},
                timeout=10).raise_for_status()
    control.post("clock/advance", {"seconds": 0})
    gone = http.post(f"{control.url}/_sim/webhooks/{delivery['id']}/probe",
                     json={"attack": "replay"}, timeout=10)
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "endpoint_gone"
    control.post("keys/revoke", {"api_key": f"sk_test_{api_key[-6:]}_spare"})
    control.get("merchants", gateway="ecpay")
    registered = http.post(f"{control.url}/_sim/merchants", json={"gateway": "ecpay"},
                           timeout=10)
    assert registered.status_code == 201, registered.text
    # a real settlement is in the ECPay and NewebPay modules; here, the refusal's contract
    missing = http.post(f"{control.url}/_sim/payments/ord_missing/simulate",
                        json={"outcome": "paid"}, timeout=10)
    assert missing.status_code == 404, missing.text
    _exercise_issue_14_resources(c)
    for method in ("PUT", "GET", "DELETE"):  # a tenant's fee schedule
        http.request(method, f"{control.url}/_sim/fees", params={"tenant": api_key},
                     json={"refund_fee": "kept"} if method == "PUT" else None,
                     timeout=10).raise_for_status()
    _exercise_issue_15_operations(control, http, api_key, webhook_sink.url)
    control.post("reset", {"api_key": api_key})

    seen = {(r.operation.operation_id) for ex in http.exchanges
            if (r := wire_contracts.route(ex.method, ex.url)) is not None}
    expected = {op.operation_id for g in all_gateways() if g.name == "stripe"
                for op in g.operations}
    expected |= {op.operation_id for op in CONTROL}
    assert expected - seen == set(), "operations never exercised"


def _exercise_issue_14_resources(c: Any) -> None:
    """Customers and saved cards, SetupIntents, products and prices, the balance, search
    and fee overrides: each operation once (their behaviour has its own modules)."""
    cus = c.customers.create(params={"email": "every@example.com"})
    c.customers.retrieve(cus.id)
    c.customers.update(cus.id, params={"name": "Every"})
    c.customers.list()
    saved = c.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    c.payment_methods.update(saved.id, params={"metadata": {"k": "v"}})
    c.payment_methods.list(params={"customer": cus.id})
    c.customers.payment_methods.list(cus.id)
    seti = c.setup_intents.create(params={"customer": cus.id})
    c.setup_intents.update(seti.id, params={"description": "every operation"})
    c.setup_intents.confirm(seti.id, params={"payment_method": "pm_card_visa"})
    c.setup_intents.retrieve(seti.id)
    c.setup_intents.list()
    c.setup_intents.cancel(c.setup_intents.create(params={"customer": cus.id}).id)
    c.payment_methods.detach(saved.id)
    prod = c.products.create(params={"name": "every operation",
                                     "default_price_data": {"currency": "usd",
                                                            "unit_amount": 500}})
    c.products.retrieve(prod.id)
    c.products.update(prod.id, params={"description": "x"})
    c.products.list()
    c.prices.create(params={"product": prod.id, "currency": "usd", "unit_amount": 700})
    c.prices.retrieve(prod.default_price)
    c.prices.update(prod.default_price, params={"nickname": "x"})
    c.prices.list()
    c.products.delete(c.products.create(params={"name": "gone"}).id)
    c.balance.retrieve()
    c.balance_transactions.retrieve(c.balance_transactions.list().data[0].id)
    c.payment_intents.search(params={"query": "amount>0"})
    c.charges.search(params={"query": "amount>0"})
    c.customers.search(params={"query": 'email~"example"'})
    c.customers.delete(cus.id)


def _exercise_issue_15_operations(control, http, api_key: str, sink: str) -> None:
    """Operations: the fee comparison, settlements and their files, alerts, alert rules
    and alert receivers of one tenant."""
    scope = {"tenant": api_key}
    http.get(f"{control.url}/_sim/fees/comparison", params=scope, timeout=10
             ).raise_for_status()
    control.get("settlements", tenant=api_key)
    http.get(f"{control.url}/_sim/settlements/stripe.csv", params=scope, timeout=10
             ).raise_for_status()
    for method in ("PUT", "GET", "DELETE"):
        http.request(method, f"{control.url}/_sim/alerts/rules", params=scope,
                     data=b"rules: []\n" if method == "PUT" else None,
                     timeout=10).raise_for_status()
        http.request(method, f"{control.url}/_sim/alerts/receivers", params=scope,
                     json={"receivers": [{"name": "every", "url": f"{sink}/alerts"}]}
                     if method == "PUT" else None, timeout=10).raise_for_status()
    http.get(f"{control.url}/_sim/alerts", params=scope, timeout=10).raise_for_status()


def test_the_checker_catches_a_violation(wire_contracts: WireContracts) -> None:
    """Guard against a contract check that could never fail."""
    bad = Exchange("GET", "http://x/stripe/v1/payment_intents/pi_1", 200,
                   b'{"id": "pi_1", "object": "charge", "amount": -5}')
    assert wire_contracts.violations(bad)
    bad_error = Exchange("POST", "http://x/stripe/v1/refunds", 400, b'{"message": "no"}')
    assert wire_contracts.violations(bad_error)
