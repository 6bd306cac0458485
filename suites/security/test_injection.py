"""Injection probes: SQL, NoSQL, command, path traversal, CRLF, template, XSS, oversized,
unicode tricks, invalid UTF-8 and deep nesting, in every field of every endpoint of the
simulator's Stripe gateway and of the merchant shop. Pass: a clean 4xx in the gateway's
error shape, or the value accepted and echoed safely. Never a 5xx, a trace, or raw HTML."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from simulator.contracts import Contracts, contract_id
from simulator.gateways.stripe.routes import OPERATIONS
from suites.plugins.shop import Shop
from suites.plugins.simulator import LiveSimulator
from suites.security.probes import Target, payloads, probe_target

CATEGORIES = list(payloads())
_PARAM = re.compile(r"{([^}]+)}")
_CONTRACTS = Contracts()


def fields_of(op: object) -> dict[str, str]:
    """Every parameter of an operation, and where it travels."""
    short = op.request or op.query  # type: ignore[attr-defined]
    where = "body" if op.request else "query"  # type: ignore[attr-defined]
    schema = _CONTRACTS.registry.resolver().lookup(contract_id(short)).contents
    fields = dict.fromkeys(schema.get("properties", {}), where)
    fields.update(dict.fromkeys(_PARAM.findall(op.path), "path"))  # type: ignore[attr-defined]
    if op.method == "POST":  # type: ignore[attr-defined]
        fields["Idempotency-Key"] = "header"
    fields["Stripe-Version"] = "header"
    return fields


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("op", OPERATIONS, ids=[o.operation_id for o in OPERATIONS])
def test_simulator_endpoint(simulator: LiveSimulator, victim: dict[str, str],
                            stripe_error_check: Callable, op: object, category: str) -> None:
    path = _PARAM.sub(lambda m: victim.get(m.group(1), "x"), op.path)  # type: ignore[attr-defined]
    fields = fields_of(op)
    target = Target(op.operation_id, op.method,  # type: ignore[attr-defined]
                    simulator.stripe_url + path, {k: v for k, v in fields.items()
                                                  if v != "path"},
                    headers={"Authorization": f"Bearer {victim['key']}"})
    probes = probe_target(target, category, stripe_error_check)
    for name in (k for k, v in fields.items() if v == "path"):
        other = _PARAM.sub(lambda m, n=name: "{" + n + "}" if m.group(1) == n
                           else victim.get(m.group(1), "x"), op.path)  # type: ignore[attr-defined]
        probes += probe_target(Target(op.operation_id, op.method,  # type: ignore[attr-defined]
                                      simulator.stripe_url + other, {name: "path"},
                                      headers={"Authorization": f"Bearer {victim['key']}"}),
                               category, stripe_error_check)
    failed = [f"{p.where} {p.field}: {p.verdict} (status {p.status})" for p in probes
              if not p.ok]
    assert not failed, "\n".join(failed[:15])


SHOP_TARGETS = [
    Target("home", "GET", "/", {"q": "query"}, html=True),
    Target("add to cart", "POST", "/cart/add", {"product": "body", "paylab_cart": "cookie"},
           html=True),
    Target("remove from cart", "POST", "/cart/remove",
           {"product": "body", "paylab_cart": "cookie"}, html=True),
    Target("cart", "GET", "/cart", {"canceled": "query", "paylab_cart": "cookie"}, html=True),
    Target("checkout", "POST", "/checkout", {"paylab_cart": "cookie"}, html=True),
    Target("order page", "GET", "/orders/{order}", {"order": "path"}, html=True),
    Target("order status", "GET", "/orders/{order}/status", {"order": "path"}),
    Target("webhook", "POST", "/webhooks/stripe",
           {"payload": "body", "Stripe-Signature": "header"}),
]


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("target", SHOP_TARGETS, ids=[t.name for t in SHOP_TARGETS])
def test_shop_endpoint(shop: Shop, target: Target, category: str) -> None:
    aimed = Target(target.name, target.method, shop.url + target.url, target.fields,
                   html=target.html)
    probes = probe_target(aimed, category)
    failed = [f"{p.where} {p.field}: {p.verdict} (status {p.status})" for p in probes
              if not p.ok]
    assert not failed, "\n".join(failed[:15])
