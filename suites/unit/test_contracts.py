"""contracts/ is consistent: every schema loads, every reference resolves, every operation
names contracts that exist, and the OpenAPI document is self-contained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.control.routes import OPERATIONS as CONTROL
from paylab.simulator.gateways import all_gateways
from paylab.simulator.openapi import build_openapi


@pytest.fixture(scope="module")
def contracts() -> Contracts:
    return Contracts()


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_refs(v)]
    return []


def test_every_reference_in_every_schema_resolves(contracts: Contracts) -> None:
    for uri, schema in contracts.schemas.items():
        resolver = contracts.registry.resolver(uri)
        for ref in all_refs(schema):
            resolver.lookup(ref)  # raises if unresolvable


def test_every_operation_names_existing_contracts(contracts: Contracts) -> None:
    operations = [op for g in all_gateways() for op in g.operations] + list(CONTROL)
    for op in operations:
        for short in (op.request, op.query, op.response):
            if short:
                contracts.registry.resolver().lookup(contract_id(short))


def test_openapi_document_is_self_contained(contracts: Contracts) -> None:
    doc = build_openapi(contracts, all_gateways(), CONTROL)
    assert doc["openapi"] == "3.1.0"
    for ref in all_refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        node: Any = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    assert "/stripe/v1/payment_intents" in doc["paths"]
    assert "/_sim/health" in doc["paths"]


def test_openapi_links_sit_on_the_status_a_create_answers(contracts: Contracts) -> None:
    """Stateful fuzzers follow links from the answer a create really gives (201 on PayPal,
    200 on Stripe); a link on another status is never followed."""
    doc = build_openapi(contracts, all_gateways(), CONTROL)
    for gateway in all_gateways():
        for op in gateway.operations:
            answers = doc["paths"][gateway.prefix + op.path][op.method.lower()]["responses"]
            linked = [status for status, answer in answers.items() if "links" in answer]
            assert linked in ([], [str(op.success)]), (op.operation_id, linked)
    paypal = doc["paths"]["/paypal/v2/checkout/orders"]["post"]["responses"]
    assert "OrdersGet" in paypal["201"]["links"]


def test_coercion_follows_declared_types(contracts: Contracts) -> None:
    ref = contract_id("stripe/requests/payment_intent_create")
    got = contracts.coerce(ref, {"amount": "2000", "confirm": "true", "currency": "usd",
                                 "description": "123", "metadata": {"n": "5"}})
    assert got == {"amount": 2000, "confirm": True, "currency": "usd", "description": "123",
                   "metadata": {"n": "5"}}
    assert contracts.coerce(ref, {"amount": "12abc"})["amount"] == "12abc"


@pytest.mark.parametrize(("body", "keyword", "path"), [
    ({"currency": "usd"}, "required", ("amount",)),
    ({"amount": "x", "currency": "usd"}, "type", ("amount",)),
    ({"amount": 100, "currency": "usd", "bogus": "1"}, "additionalProperties", ("bogus",)),
    ({"amount": 100, "currency": "usd", "capture_method": "later"}, "enum",
     ("capture_method",)),
])
def test_problems_name_the_offending_field(contracts: Contracts, body: dict, keyword: str,
                                           path: tuple) -> None:
    problem = contracts.problem(contract_id("stripe/requests/payment_intent_create"), body)
    assert problem is not None and (problem.keyword, problem.path) == (keyword, path)


def test_a_malformed_contract_stops_the_start_naming_its_file(tmp_path: Path) -> None:
    bad = tmp_path / "demo" / "bad.schema.json"
    bad.parent.mkdir()
    bad.write_text('{"$id": "https://paylab.dev/contracts/demo/bad.schema.json", "type": 5}')
    with pytest.raises(ValueError, match=r"bad\.schema\.json: not a valid JSON Schema"):
        Contracts(tmp_path)


def test_openapi_marks_required_query_parameters(contracts: Contracts) -> None:
    doc = build_openapi(contracts, all_gateways(), CONTROL)
    search = {p["name"]: p for p in
              doc["paths"]["/stripe/v1/payment_intents/search"]["get"]["parameters"]}
    assert search["query"].get("required") is True  # a search without a query is refused
    assert "required" not in search["limit"]
