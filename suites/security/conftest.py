"""Security layer fixtures: objects to aim at, and the Stripe error contract check."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import stripe

from suites.plugins.contracts import WireContracts
from suites.plugins.simulator import LiveSimulator


@pytest.fixture
def victim(simulator: LiveSimulator) -> dict[str, str]:
    """A fresh tenant with one object of every kind (payment, charge, refund, ...), per
    test, so a probe that deletes or changes one cannot disturb another probe."""
    key = f"sk_test_victim_{uuid.uuid4().hex[:10]}"
    api = stripe.StripeClient(key, base_addresses={"api": simulator.stripe_url})
    pi = api.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    refund = api.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    endpoint = api.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/victim",
                                                       "enabled_events": ["*"]})
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://victim.example/ok", "amount": 1500, "currency": "usd"})
    return {"key": key, "intent": pi.id, "charge": pi.latest_charge, "refund": refund.id,
            "payment_method": pi.payment_method, "webhook_endpoint": endpoint.id,
            "id": api.v1.events.list().data[0].id, "session": session.id}


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

