"""Idempotency abuse: a key reused with another body, 50 concurrent requests with one key,
the same key from two tenants."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from paylab.suites.plugins.simulator import LiveSimulator

FORM = "application/x-www-form-urlencoded"


def post(url: str, key: str, idem: str, body: str) -> requests.Response:
    return requests.post(url, data=body, timeout=10, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": idem, "Content-Type": FORM})


def test_a_key_reused_with_another_body_is_refused(simulator: LiveSimulator) -> None:
    url, key = f"{simulator.stripe_url}/v1/payment_intents", f"sk_test_{uuid.uuid4().hex}"
    assert post(url, key, "k", "amount=2000&currency=usd").status_code == 200
    for body in ("amount=1&currency=usd", "amount=2000&currency=eur",
                 "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa"):
        answer = post(url, key, "k", body)
        assert answer.status_code == 400
        assert answer.json()["error"]["type"] == "idempotency_error"
    refund = post(f"{simulator.stripe_url}/v1/refunds", key, "k", "amount=2000&currency=usd")
    assert refund.json()["error"]["type"] == "idempotency_error"


def test_fifty_concurrent_requests_with_one_key_create_one_payment(
        simulator: LiveSimulator) -> None:
    url, key = f"{simulator.stripe_url}/v1/payment_intents", f"sk_test_{uuid.uuid4().hex}"
    body = "amount=5000&currency=usd&confirm=true&payment_method=pm_card_visa"
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: post(url, key, "one-key", body), range(50)))
    assert {a.status_code for a in answers} <= {200, 409}
    assert len({a.json()["id"] for a in answers if a.status_code == 200}) == 1
    listed = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert len(listed["data"]) == 1
    ledger = requests.get(f"{simulator.url}/_sim/ledger", params={"tenant": key},
                          timeout=10).json()
    assert ledger["totals"]["usd"]["captured"] == 5000


def test_the_same_key_in_two_tenants_is_two_keys(simulator: LiveSimulator) -> None:
    url = f"{simulator.stripe_url}/v1/payment_intents"
    first = post(url, f"sk_test_{uuid.uuid4().hex}", "shared", "amount=2000&currency=usd")
    second = post(url, f"sk_test_{uuid.uuid4().hex}", "shared", "amount=3000&currency=usd")
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] != second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") is None
