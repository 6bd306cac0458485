"""Tenant isolation: every operation that takes an id answers 404 resource_missing to
another tenant, and nothing of one tenant leaks into another's lists, events or webhooks."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from simulator.gateways.stripe.routes import OPERATIONS
from suites.plugins.simulator import LiveSimulator

_PARAM = re.compile(r"{([^}]+)}")
WITH_IDS = [op for op in OPERATIONS if _PARAM.search(op.path)]


@pytest.mark.parametrize("op", WITH_IDS, ids=[o.operation_id for o in WITH_IDS])
def test_another_tenants_ids_are_missing(simulator: LiveSimulator, victim: dict[str, str],
                                         op: object) -> None:
    path = _PARAM.sub(lambda m: victim[m.group(1)], op.path)  # type: ignore[attr-defined]
    intruder = {"Authorization": f"Bearer sk_test_intruder_{uuid.uuid4().hex[:8]}"}
    answer = requests.request(op.method, simulator.stripe_url + path,  # type: ignore[attr-defined]
                              headers=intruder, timeout=10)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "resource_missing"
    owner = {"Authorization": f"Bearer {victim['key']}"}
    if op.method == "GET":  # type: ignore[attr-defined]
        assert requests.get(simulator.stripe_url + path, headers=owner,
                            timeout=10).status_code == 200


LISTS = ["payment_intents", "charges", "refunds", "events", "webhook_endpoints",
         "checkout/sessions"]


@pytest.mark.parametrize("collection", LISTS)
def test_lists_of_another_tenant_are_empty(simulator: LiveSimulator, victim: dict[str, str],
                                           collection: str) -> None:
    intruder = {"Authorization": f"Bearer sk_test_intruder_{uuid.uuid4().hex[:8]}"}
    answer = requests.get(f"{simulator.stripe_url}/v1/{collection}", headers=intruder,
                          timeout=10)
    assert answer.status_code == 200 and answer.json()["data"] == []


def test_control_views_filter_by_tenant(simulator: LiveSimulator,
                                        victim: dict[str, str]) -> None:
    intruder = f"sk_test_intruder_{uuid.uuid4().hex[:8]}"
    for view, key in (("webhooks", "deliveries"), ("journal", "entries"),
                      ("ledger", "payments")):
        rows = requests.get(f"{simulator.url}/_sim/{view}", params={"tenant": intruder},
                            timeout=10).json()[key]
        assert rows == [], view
