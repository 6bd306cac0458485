"""Idempotency-Key semantics through the real SDK and raw concurrent requests."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import stripe
from paylab.suites.plugins.simulator import LiveSimulator

FORM = "application/x-www-form-urlencoded"


def test_sdk_retry_with_the_same_key_returns_the_same_object(
        stripe_client: stripe.StripeClient) -> None:
    key = f"order-{uuid.uuid4()}"
    params = {"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa",
              "confirm": True, "metadata": {"order": "42"}}
    first = stripe_client.v1.payment_intents.create(params=params,
                                                    options={"idempotency_key": key})
    second = stripe_client.v1.payment_intents.create(params=params,
                                                     options={"idempotency_key": key})
    assert first.id == second.id and first.latest_charge == second.latest_charge
    assert len(stripe_client.v1.payment_intents.list().data) == 1
    assert len(stripe_client.v1.charges.list().data) == 1


def test_same_key_with_other_parameters_is_an_idempotency_error(
        stripe_client: stripe.StripeClient) -> None:
    key = f"k-{uuid.uuid4()}"
    stripe_client.v1.payment_intents.create(params={"amount": 1500, "currency": "usd"},
                                            options={"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.payment_intents.create(params={"amount": 1600, "currency": "usd"},
                                                options={"idempotency_key": key})
    assert caught.value.http_status == 400


def test_declines_are_replayed_not_re_executed(simulator: LiveSimulator, api_key: str,
                                               http) -> None:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "decline-1",
               "Content-Type": FORM}
    body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_chargeDeclined"
    url = f"{simulator.stripe_url}/v1/payment_intents"
    first = http.post(url, data=body, headers=headers, timeout=10)
    again = http.post(url, data=body, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 402
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    charges = http.get(f"{simulator.stripe_url}/v1/charges",
                       headers={"Authorization": f"Bearer {api_key}"}, timeout=10).json()
    assert len(charges["data"]) == 1


def test_a_request_rejected_by_validation_saves_nothing(simulator: LiveSimulator, api_key: str,
                                                        http) -> None:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "retry-after-400",
               "Content-Type": FORM}
    url = f"{simulator.stripe_url}/v1/payment_intents"
    assert http.post(url, data="amount=abc&currency=usd", headers=headers,
                     timeout=10).status_code == 400
    fixed = http.post(url, data="amount=2000&currency=usd", headers=headers, timeout=10)
    assert fixed.status_code == 200


def test_concurrent_requests_with_one_key_execute_exactly_once(simulator: LiveSimulator,
                                                               api_key: str) -> None:
    url = f"{simulator.stripe_url}/v1/payment_intents"
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "burst",
               "Content-Type": FORM}
    body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa"

    def fire(_: int) -> requests.Response:
        return requests.post(url, data=body, headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(fire, range(50)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, statuses
    ids = {r.json()["id"] for r in responses if r.status_code == 200}
    assert len(ids) == 1
    listed = requests.get(url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10).json()
    assert [p["id"] for p in listed["data"]] == list(ids)


def test_keys_do_not_cross_tenants(simulator: LiveSimulator, http) -> None:
    url = f"{simulator.stripe_url}/v1/payment_intents"
    ids = []
    for key in (f"sk_test_{uuid.uuid4().hex}", f"sk_test_{uuid.uuid4().hex}"):
        response = http.post(url, data="amount=2000&currency=usd", timeout=10, headers={
            "Authorization": f"Bearer {key}", "Idempotency-Key": "shared", "Content-Type": FORM})
        assert response.status_code == 200
        ids.append(response.json()["id"])
    assert ids[0] != ids[1]
