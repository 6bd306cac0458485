"""`Stripe-Account` and `Stripe-Version` on the Stripe operations: an account header,
even one naming another tenant's account, acts for nobody (Stripe's account_invalid, and
nothing runs), and a malformed or hostile version is refused naming `Stripe-Version`
before anything runs. (Bytes that are not UTF-8 in either header: test_hostile_input.py;
every payload category in `Stripe-Version` on every operation: test_injection.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import requests
from paylab.simulator.gateways.stripe.wire import tenant_for_key
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.test_tenant_isolation import leaked

#: One writing operation per resource, and one reading (method, path, form).
CALLS = {
    "create customer": ("POST", "/v1/customers", {"email": "intruder@example.com"}),
    "create setup intent": ("POST", "/v1/setup_intents", {}),
    "create product": ("POST", "/v1/products", {"name": "Intruder tea"}),
    "create payment intent": ("POST", "/v1/payment_intents",
                              {"amount": "2000", "currency": "usd",
                               "payment_method": "pm_card_visa", "confirm": "true"}),
    "list customers": ("GET", "/v1/customers", {}),
    "search customers": ("GET", "/v1/customers/search", {"query": "email:'victim@example.com'"}),
    "balance": ("GET", "/v1/balance", {}),
    "balance transactions": ("GET", "/v1/balance_transactions", {}),
}
#: What the caller's requests may have created, read after each refused one.
CREATED = ("customers", "setup_intents", "products", "prices", "payment_intents")
#: Older than Stripe's oldest (2011-01-01), a date no version was released on, malformed,
#: hostile.
VERSIONS = ["1999-01-01", "2010-12-31", "2011-01-02", "not-a-version", "2024-13-45",
            "2020-08-27; DROP", "../../etc/passwd", "<script>alert(1)</script>", "{{7*7}}",
            "2020-08-27" * 30]


def call(simulator: LiveSimulator, key: str, name: str,
         headers: dict[str, str]) -> requests.Response:
    """One of CALLS as `key`, with extra headers."""
    method, path, params = CALLS[name]
    in_query = method == "GET"
    return requests.request(method, simulator.stripe_url + path, timeout=10,
                            headers={"Authorization": f"Bearer {key}", **headers},
                            params=params if in_query else None,
                            data=None if in_query else params)


def nothing_created(simulator: LiveSimulator, key: str) -> None:
    """The caller has no object of any kind."""
    for collection in CREATED:
        listed = requests.get(f"{simulator.stripe_url}/v1/{collection}", timeout=10,
                              headers={"Authorization": f"Bearer {key}"}).json()
        assert listed["data"] == [], f"a refused request created {collection}"


@pytest.mark.parametrize("name", list(CALLS))
def test_another_tenants_account_is_refused(
        simulator: LiveSimulator, victim: dict[str, str], name: str,
        stripe_error_check: Callable[[str], list[str]]) -> None:
    """The intruder names the victim's own account (the simulator's account id of the
    victim's key): Stripe's account_invalid, nothing of the victim in it, nothing made."""
    key = f"sk_test_intruder_{uuid.uuid4().hex[:10]}"
    account = tenant_for_key(victim["key"])
    answer = call(simulator, key, name, {"Stripe-Account": account})
    assert answer.status_code in (400, 401, 403), answer.text[:300]
    assert stripe_error_check(answer.text) == []
    assert answer.json()["error"]["code"] == "account_invalid", answer.text[:300]
    assert key not in answer.text and victim["key"] not in answer.text
    assert leaked(answer, victim, "") == []
    nothing_created(simulator, key)


@pytest.mark.parametrize("version", VERSIONS, ids=[v[:24] for v in VERSIONS])
@pytest.mark.parametrize("name", ["create customer", "create payment intent", "balance"])
def test_a_bad_version_is_refused_before_anything_runs(
        simulator: LiveSimulator, name: str, version: str,
        stripe_error_check: Callable[[str], list[str]]) -> None:
    key = f"sk_test_version_{uuid.uuid4().hex[:10]}"
    answer = call(simulator, key, name, {"Stripe-Version": version})
    assert answer.status_code == 400, answer.text[:300]
    assert stripe_error_check(answer.text) == []
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "Stripe-Version", error
    assert answer.headers["Content-Type"].startswith("application/json")
    if "{{7*7}}" in version:
        assert "49" not in error["message"], "a template was evaluated"
    nothing_created(simulator, key)
