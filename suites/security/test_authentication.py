"""Authentication on every operation: missing, malformed, live-mode, publishable and
revoked keys all get 401 in Stripe's error shape; keys are never echoed."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
import requests
from paylab.simulator.gateways.stripe.routes import OPERATIONS
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.conftest import populated_tenant

_PARAM = re.compile(r"{([^}]+)}")
CREDENTIALS = {
    "missing": None,
    "empty bearer": "Bearer ",
    "malformed": "Bearer not a key",
    "wrong scheme": "Token sk_test_abc",
    "broken basic": "Basic %%%",
    "empty basic user": "Basic " + base64.b64encode(b":secret").decode(),
    "live mode": "Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "publishable": "Bearer pk_test_TYooMQauvdEDq54NiTphI7jx",
}


@pytest.fixture(scope="module")
def owner(simulator: LiveSimulator) -> dict[str, str]:
    """One tenant with an object of every kind, whose ids fill the paths (shared by the
    module: every request here is refused, so none can change it; the last test checks)."""
    return populated_tenant(simulator, "owner")


def named_object(simulator: LiveSimulator, owner: dict[str, str], template: str) -> object:
    """The object the path of an operation names (`/v1/customers/{customer}` of
    `/v1/customers/{customer}/payment_methods`), as its owner reads it; None for a path
    that names none."""
    match = _PARAM.search(template)
    if match is None:
        return None
    path = _PARAM.sub(lambda m: owner[m.group(1)], template[:match.end()])
    return requests.get(simulator.stripe_url + path, timeout=10,
                        headers={"Authorization": f"Bearer {owner['key']}"}).json()


@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize("op", OPERATIONS, ids=[o.operation_id for o in OPERATIONS])
def test_bad_credentials_are_refused(simulator: LiveSimulator, owner: dict[str, str],
                                     op: object, credential: str) -> None:
    path = _PARAM.sub(lambda m: owner[m.group(1)], op.path)  # type: ignore[attr-defined]
    value = CREDENTIALS[credential]
    headers = {"Authorization": value} if value is not None else {}
    before = named_object(simulator, owner, op.path)  # type: ignore[attr-defined]
    answer = requests.request(op.method, simulator.stripe_url + path,  # type: ignore[attr-defined]
                              headers=headers, timeout=10)
    assert answer.status_code == 401
    assert named_object(simulator, owner, op.path) == before, "a refused request changed it"
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert "4eC39HqLyjWDarjtT1zdp7dc" not in answer.text, "a key was echoed"


def test_revoked_keys_are_refused_until_restored(simulator: LiveSimulator) -> None:
    key = f"sk_test_revoke_{uuid.uuid4().hex[:8]}"
    url, headers = f"{simulator.stripe_url}/v1/payment_intents", {"Authorization": f"Bearer {key}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    revoke = requests.post(f"{simulator.url}/_sim/keys/revoke", json={"api_key": key},
                           timeout=10).json()
    assert revoke["revoked"] is True
    refused = requests.get(url, headers=headers, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "api_key_expired"
    assert key not in refused.text
    requests.post(f"{simulator.url}/_sim/keys/revoke", json={"api_key": key, "revoked": False},
                  timeout=10)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200

