"""Security layer fixtures: objects to aim at, and the Stripe error contract check."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import LiveSimulator


def populated_tenant(simulator: LiveSimulator, prefix: str) -> dict[str, str]:
    """A fresh tenant with one object of every kind, keyed by the path parameter that names
    each (`intent`, `charge`, `refund`, `payment_method`, `webhook_endpoint`, `id` for an
    event, `session`, `customer`, `setup_intent`, `product`, `price`, `transaction` for the
    charge's balance transaction), plus `key`, a saved card (`saved_method`), the card saved
    to the customer (`customer_method`) and a payment still waiting for its method
    (`open_intent`). The SetupIntent is open too (no method yet)."""
    key = f"sk_test_{prefix}_{uuid.uuid4().hex[:10]}"
    api = stripe.StripeClient(key, base_addresses={"api": simulator.stripe_url})
    pi = api.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    refund = api.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    endpoint = api.v1.webhook_endpoints.create(params={"url": f"http://127.0.0.1:9/{prefix}",
                                                       "enabled_events": ["*"]})
    session = api.v1.checkout.sessions.create(params={
        "success_url": f"https://{prefix}.example/ok", "amount": 1500, "currency": "usd"})
    saved = api.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    waiting = api.v1.payment_intents.create(params={"amount": 3000, "currency": "usd"})
    customer = api.v1.customers.create(params={"email": f"{prefix}@example.com",
                                               "name": prefix.title()})
    kept = api.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    setup = api.v1.setup_intents.create(params={"customer": customer.id})
    product = api.v1.products.create(params={"name": f"{prefix} tea", "default_price_data": {
        "currency": "usd", "unit_amount": 1200}})
    charge = api.v1.charges.retrieve(str(pi.latest_charge))
    return {"key": key, "intent": pi.id, "charge": str(pi.latest_charge), "refund": refund.id,
            "payment_method": str(pi.payment_method), "webhook_endpoint": endpoint.id,
            "id": api.v1.events.list().data[0].id, "session": session.id,
            "saved_method": saved.id, "open_intent": waiting.id, "customer": customer.id,
            "customer_method": kept.id, "setup_intent": setup.id, "product": product.id,
            "price": str(product.default_price), "transaction": str(charge.balance_transaction)}


@pytest.fixture
def victim(simulator: LiveSimulator) -> dict[str, str]:
    """A fresh tenant with one object of every kind (payment, charge, refund, ...), per
    test, so a probe that deletes or changes one cannot disturb another probe."""
    return populated_tenant(simulator, "victim")


@pytest.fixture(scope="session")
def stripe_error_check(wire_contracts: WireContracts) -> Callable[[str], list[str]]:
    """4xx answers must be Stripe's error object."""

    def check(body: str) -> list[str]:
        try:
            document: Any = json.loads(body)
        except ValueError:
            return ["not JSON"]
        errors = wire_contracts.contracts.errors(
            "https://paylab.dev/contracts/stripe/error.schema.json", document)
        return [f"not Stripe's error shape: {errors[0]}"] if errors else []

    return check

