"""Tenant isolation: every id an operation takes, wherever it takes it (path, body, query,
list cursors and filters, with every `expand[]` the answer allows), is tried with another
tenant's id. The answer is Stripe's resource_missing naming the field, the same as for an
id that never existed, with nothing of the other tenant in it, and neither tenant's state
changes. Nothing of one tenant leaks into another's lists, events or webhooks either.

The ids each operation takes are read from its request contract under contracts/ (every
property that is a `common.schema.json#/$defs/id`), so a new operation or parameter is
probed without editing this file; a new kind of id fails collection until it is mapped to
the object it names in `REFERENCES`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from paylab.simulator.contracts import CONTRACTS_DIR
from paylab.simulator.gateways import all_gateways
from paylab.simulator.gateways.spec import Operation
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.conftest import populated_tenant

_PARAM = re.compile(r"{([^}]+)}")
ID_DEFINITION = "common.schema.json#/$defs/id"
CURSORS = ("starting_after", "ending_before")

#: A body or query parameter holding an id -> the object of a populated tenant it names.
REFERENCES = {"payment_method": "saved_method", "payment_intent": "intent",
              "charge": "charge", "customer": "customer", "product": "product"}
#: A list (the `$defs` name of its response contract) -> the object its cursors name.
LIST_ITEMS = {"payment_intents": "intent", "charges": "charge", "refunds": "refund",
              "events": "id", "webhook_endpoints": "webhook_endpoint",
              "checkout_sessions": "session", "line_items": "session",
              "customers": "customer", "payment_methods": "saved_method",
              "setup_intents": "setup_intent", "products": "product", "prices": "price",
              "balance_transactions": "transaction"}
#: Id parameters that name nothing the simulator stores, with the reason.
NOT_REFERENCES: dict[str, str] = {}
#: What each operation needs besides the probed id to get as far as using it, and what
#: makes the attempt do the most (confirm: a payment would be charged at once).
REQUIRED = {"amount": "2000", "currency": "usd", "success_url": "https://intruder.example/ok",
            "url": "http://127.0.0.1:9/intruder", "enabled_events": ["*"], "name": "Intruder"}
MOST = {"CreatePaymentIntent": {"confirm": "true"}, "CreatePrice": {"unit_amount": "900"},
        "CreateSetupIntent": {"confirm": "true"},
        "CreateCheckoutSession": {"amount": "1500", "currency": "usd"}}
#: Every collection and the ground truth, compared before and after each probe.
COLLECTIONS = ("payment_intents", "charges", "refunds", "events", "webhook_endpoints",
               "checkout/sessions", "customers", "payment_methods", "setup_intents",
               "products", "prices", "balance_transactions")
#: Single objects compared too: a probe must not change what a list does not show.
OBJECTS = {"saved_method": "payment_methods", "open_intent": "payment_intents",
           "customer_method": "payment_methods", "setup_intent": "setup_intents",
           "customer": "customers", "product": "products", "price": "prices"}


def contract(short: str) -> dict[str, Any]:
    """A contract document by its short name (`stripe/requests/refund_create`); a
    `#/$defs/x` fragment selects that definition."""
    name, _, fragment = short.partition("#")
    document = json.loads((CONTRACTS_DIR / f"{name}.schema.json").read_text("utf-8"))
    for part in [p for p in fragment.split("/") if p]:
        document = document[part]
    return document


def sibling(short: str, ref: str) -> str:
    """The short name of a `$ref` made from inside the contract `short`."""
    folder = Path(short.partition("#")[0]).parent
    file, hash_, fragment = ref.partition("#")
    return str(folder / file.removesuffix(".schema.json")) + hash_ + fragment


def id_parameters(op: Operation) -> list[str]:
    """The body or query parameters of `op` whose contract is an id."""
    short = op.request or op.query
    if short is None:
        return []
    properties = contract(short).get("properties", {})
    return [name for name, schema in properties.items()
            if schema.get("$ref", "").endswith(ID_DEFINITION)]


def takes_expand(op: Operation) -> bool:
    """Whether the request contract of `op` has `expand`."""
    short = op.request or op.query
    return short is not None and "expand" in contract(short).get("properties", {})


def expandable(object_contract: str) -> list[str]:
    """The fields of an object contract that may hold either an id or the object (an
    object of its own contract: an amount or currency defined in common/ is not one)."""
    properties = contract(object_contract).get("properties", {})
    return [name for name, schema in properties.items()
            if any("$ref" in option and "common/" not in option["$ref"]
                   for option in schema.get("anyOf", []))]


def list_name(op: Operation) -> str | None:
    """`payment_intents` for an operation answering `stripe/list#/$defs/payment_intents`."""
    response = op.response or ""
    return response.rsplit("/", 1)[1] if response.startswith("stripe/list#") else None


def expand_paths(op: Operation) -> list[str]:
    """Every `expand[]` path the answer of `op` allows, per its response contract."""
    if not takes_expand(op) or not op.response:
        return []
    listed = list_name(op)
    if listed is None:
        return expandable(op.response.partition("#")[0])
    items = contract(op.response)["allOf"][1]["properties"]["data"]["items"]["$ref"]
    return [f"data.{f}" for f in expandable(sibling(op.response, items))]


@dataclass(frozen=True)
class Probe:
    """One id of one operation, filled with another tenant's object."""

    op: Operation
    where: str  # path, body or query
    field: str
    target: str  # the key of the object in a populated tenant

    @property
    def name(self) -> str:
        """The test id."""
        return f"{self.op.operation_id}-{self.where}-{self.field}"

    @property
    def is_filter(self) -> bool:
        """A list filter (not a cursor): it narrows a list rather than naming a start."""
        return self.where == "query" and self.field not in CURSORS


def probes() -> list[Probe]:
    """Every id every operation of the Stripe-compatible gateway takes; refuses an unmapped
    one. (The probes speak Stripe's API with Stripe keys; each keyed gateway proves its own
    isolation between merchants in its own security tests: test_<gateway>_security.py.)"""
    found = []
    for op in (op for gateway in all_gateways() if gateway.name == "stripe"
               for op in gateway.operations):
        for param in _PARAM.findall(op.path):
            found.append(Probe(op, "path", param, param))
        where = "query" if op.method in ("GET", "DELETE") else "body"
        for name in id_parameters(op):
            if name in NOT_REFERENCES:
                continue
            if name in CURSORS:
                target = LIST_ITEMS.get(list_name(op) or "")
            else:
                target = REFERENCES.get(name)
            if target is None:
                raise LookupError(f"{op.operation_id} takes the id {name!r}: say which object "
                                  "it names in REFERENCES or LIST_ITEMS")
            found.append(Probe(op, where, name, target))
    return found


PROBES = probes()


def form(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Bracket-encoded pairs, as the Stripe libraries send them."""
    pairs = []
    for key, value in params.items():
        if isinstance(value, list):
            pairs += [(f"{key}[{i}]", str(v)) for i, v in enumerate(value)]
        else:
            pairs.append((key, str(value)))
    return pairs


def send(simulator: LiveSimulator, op: Operation, path: str, key: str,
         params: dict[str, Any]) -> requests.Response:
    """`op` as tenant `key` would send it."""
    pairs = form(params)
    in_query = op.method in ("GET", "DELETE")
    return requests.request(op.method, simulator.stripe_url + path, timeout=10,
                            headers={"Authorization": f"Bearer {key}"},
                            params=pairs if in_query else None,
                            data=None if in_query else pairs)


def state(simulator: LiveSimulator, tenant: dict[str, str]) -> dict[str, Any]:
    """Everything the tenant can see plus the simulator's ledger of it."""
    headers = {"Authorization": f"Bearer {tenant['key']}"}
    seen: dict[str, Any] = {}
    for collection in COLLECTIONS:
        seen[collection] = requests.get(f"{simulator.stripe_url}/v1/{collection}",
                                        params={"limit": 100}, headers=headers,
                                        timeout=10).json()
    for name, kind in OBJECTS.items():
        seen[name] = requests.get(f"{simulator.stripe_url}/v1/{kind}/{tenant[name]}",
                                  headers=headers, timeout=10).json()
    seen["saved_to_customer"] = requests.get(
        f"{simulator.stripe_url}/v1/customers/{tenant['customer']}/payment_methods",
        headers=headers, timeout=10).json()
    seen["balance"] = requests.get(f"{simulator.stripe_url}/v1/balance", headers=headers,
                                   timeout=10).json()
    seen["ledger"] = requests.get(f"{simulator.url}/_sim/ledger", timeout=10,
                                  params={"tenant": tenant["key"]}).json()
    return seen


@pytest.fixture
def intruder(simulator: LiveSimulator) -> dict[str, str]:
    """Another fresh tenant with objects of its own, to hold the path of a probe whose
    foreign id is in the body or query (its own open payment for confirm and update)."""
    return populated_tenant(simulator, "intruder")


@pytest.fixture
def untouched(simulator: LiveSimulator, victim: dict[str, str],
              intruder: dict[str, str]) -> Iterator[None]:
    """Neither tenant's state may change during the test."""
    before = (state(simulator, victim), state(simulator, intruder))
    yield
    after = (state(simulator, victim), state(simulator, intruder))
    for who, was, now in zip(("victim", "intruder"), before, after, strict=True):
        changed = sorted(k for k in was if was[k] != now[k])
        assert changed == [], f"the probe changed the {who}'s {changed}"


def request_for(probe: Probe, victim: dict[str, str], intruder: dict[str, str],
                foreign: str) -> tuple[str, dict[str, Any]]:
    """The path and parameters of `probe`, with `foreign` as the probed id."""
    own = {**intruder, "intent": intruder["open_intent"]}
    path = _PARAM.sub(lambda m: foreign if probe.where == "path" else own[m.group(1)],
                      probe.op.path)
    short = probe.op.request or probe.op.query
    required = contract(short).get("required", []) if short else []
    # a required id (attach's customer) is the intruder's own object, unless probed
    params: dict[str, Any] = {name: own[REFERENCES[name]] if name in REFERENCES
                              else REQUIRED[name] for name in required}
    params.update(MOST.get(probe.op.operation_id, {}))
    if probe.where != "path":
        params[probe.field] = foreign
    if paths := expand_paths(probe.op):
        params["expand"] = paths
    return path, params


def status_in(answer: requests.Response) -> str | None:
    """The `status` of the object in a JSON answer (e.g. a payment the probe created)."""
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


def leaked(answer: requests.Response, victim: dict[str, str], sent: str) -> list[str]:
    """The victim's ids (other than the one sent) that appear in an answer."""
    return [v for k, v in victim.items() if k != "key" and v != sent and v in answer.text]


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_another_tenants_id_is_missing_everywhere(
        simulator: LiveSimulator, victim: dict[str, str], intruder: dict[str, str],
        untouched: None, probe: Probe, stripe_error_check: Callable[[str], list[str]]) -> None:
    foreign = victim[probe.target]
    path, params = request_for(probe, victim, intruder, foreign)
    answer = send(simulator, probe.op, path, intruder["key"], params)
    assert leaked(answer, victim, foreign) == [], answer.text[:500]
    if probe.is_filter:
        never = foreign.split("_")[0] + "_" + "0" * 24
        _, params_never = request_for(probe, victim, intruder, never)
        unknown = send(simulator, probe.op, path, intruder["key"], params_never)
        assert (answer.status_code, answer.text.replace(foreign, never)) == (
            unknown.status_code, unknown.text), "another tenant's id differs from no id"
        if answer.status_code == 200:
            assert answer.json()["data"] == [], answer.text[:500]
            return
    assert answer.status_code in (400, 404), (
        f"another tenant's {probe.target} as {probe.field} ({probe.where}) was accepted: "
        f"{answer.status_code}, status {status_in(answer)!r}: {answer.text[:300]}")
    assert stripe_error_check(answer.text) == []
    error = answer.json()["error"]
    assert error["code"] == "resource_missing", error
    if probe.where != "path":
        assert error.get("param") == probe.field, error


READS = [p for p in PROBES if p.where == "path" and p.op.method == "GET"]


@pytest.mark.parametrize("probe", READS, ids=[p.name for p in READS])
def test_the_owner_still_reaches_what_the_intruder_could_not(
        simulator: LiveSimulator, victim: dict[str, str], intruder: dict[str, str],
        probe: Probe) -> None:
    """The ids probed above are real: their owner reads them (so a 404 is isolation, not
    a typo in the probe)."""
    path, params = request_for(probe, victim, intruder, victim[probe.target])
    answer = send(simulator, probe.op, path, victim["key"], params)
    assert answer.status_code == 200, answer.text[:500]


def test_every_id_parameter_in_the_contracts_is_probed() -> None:
    """A guard on the derivation: the operations known to take ids in their bodies and
    queries are among the probes (so a broken contract walk cannot pass silently)."""
    names = {p.name for p in PROBES}
    assert {"CreatePaymentIntent-body-payment_method", "ConfirmPaymentIntent-body-payment_method",
            "UpdatePaymentIntent-body-payment_method", "CreateRefund-body-payment_intent",
            "CreateRefund-body-charge", "ListCharges-query-payment_intent",
            "ListRefunds-query-charge", "ListPaymentIntents-query-starting_after",
            "ListEvents-query-ending_before"} <= names
    assert {"CreatePaymentIntent-body-customer", "ListPaymentIntents-query-customer",
            "CreateCheckoutSession-body-customer", "CreateCustomer-body-payment_method",
            "AttachPaymentMethod-body-customer", "AttachPaymentMethod-path-payment_method",
            "ListPaymentMethods-query-customer", "ListCustomerPaymentMethods-path-customer",
            "CreateSetupIntent-body-customer", "CreateSetupIntent-body-payment_method",
            "ConfirmSetupIntent-body-payment_method", "ListSetupIntents-query-customer",
            "CreatePrice-body-product", "ListPrices-query-product",
            "ListBalanceTransactions-query-starting_after",
            "RetrieveBalanceTransaction-path-transaction", "DeleteProduct-path-product",
            "UpdatePrice-path-price", "CancelSetupIntent-path-setup_intent"} <= names
    assert "customer" not in NOT_REFERENCES


def test_expand_reaches_only_the_callers_objects(simulator: LiveSimulator,
                                                 victim: dict[str, str],
                                                 intruder: dict[str, str]) -> None:
    """The intruder's own payment expanded: its charge and method, never the victim's."""
    answer = requests.get(
        f"{simulator.stripe_url}/v1/payment_intents/{intruder['intent']}", timeout=10,
        params=[("expand[0]", "latest_charge"), ("expand[1]", "payment_method")],
        headers={"Authorization": f"Bearer {intruder['key']}"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["latest_charge"]["id"] == intruder["charge"]
    assert body["payment_method"]["id"] == intruder["payment_method"]
    assert leaked(answer, victim, "") == []


LISTS = list(COLLECTIONS)


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
