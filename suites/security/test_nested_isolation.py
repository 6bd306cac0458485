"""Tenant isolation where the contract walk of test_tenant_isolation.py does not reach: ids
nested in objects (`invoice_settings[default_payment_method]`, `line_items[0][price]`),
a filter Stripe types as a plain string (a balance transaction's `source`), a method saved
to a customer, and what the search and email filters find. Another tenant's object is
missing, exactly like one that never existed; nothing of it leaks and neither tenant's
state changes (the `untouched` fixture of the isolation module).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.test_tenant_isolation import intruder, leaked, untouched

__all__ = ["intruder", "untouched"]  # fixtures used here, defined with the isolation tests

Tenant = dict[str, str]
#: name -> (method, path with {own} objects of the intruder, form pairs with {victim}
#: objects, the param Stripe names in its error)
NESTED = {
    "customer-default-method": (
        "POST", "/v1/customers",
        [("invoice_settings[default_payment_method]", "{customer_method}")],
        "invoice_settings[default_payment_method]"),
    "update-customer-default-method": (
        "POST", "/v1/customers/{customer}",
        [("invoice_settings[default_payment_method]", "{customer_method}")],
        "invoice_settings[default_payment_method]"),
    "checkout-line-item-price": (
        "POST", "/v1/checkout/sessions",
        [("success_url", "https://intruder.example/ok"), ("mode", "payment"),
         ("line_items[0][price]", "{price}"), ("line_items[0][quantity]", "1")],
        "line_items[0][price]"),
    "pay-with-saved-card": (
        "POST", "/v1/payment_intents",
        [("amount", "2000"), ("currency", "usd"), ("confirm", "true"),
         ("customer", "{own:customer}"), ("payment_method", "{customer_method}"),
         ("off_session", "true")],
        "payment_method"),
    "setup-with-saved-card": (
        "POST", "/v1/setup_intents/{setup_intent}/confirm",
        [("payment_method", "{customer_method}")], "payment_method"),
    "attach-saved-card": (
        "POST", "/v1/payment_methods/{victim:customer_method}/attach",
        [("customer", "{own:customer}")], None),
    "detach-saved-card": (
        "POST", "/v1/payment_methods/{victim:customer_method}/detach", [], None),
    "update-saved-card": (
        "POST", "/v1/payment_methods/{victim:customer_method}",
        [("metadata[owner]", "intruder")], None),
    # a plain string in the update contract, so the contract walk does not see it
    "update-intent-customer": (
        "POST", "/v1/payment_intents/{open_intent}", [("customer", "{customer}")],
        "customer"),
    "price-of-product": (
        "POST", "/v1/prices",
        [("currency", "usd"), ("unit_amount", "900"), ("product", "{product}")], "product"),
}

#: A customer's default method that is not one of its own gets Stripe's "The customer does
#: not have a payment method with the ID ..." (whether it exists elsewhere or not).
CODES = {"customer-default-method": "parameter_invalid_string",
         "update-customer-default-method": "parameter_invalid_string"}


def fill(text: str, victim: Tenant, intruder: Tenant) -> str:
    """`{name}` and `{victim:name}` are the victim's objects, `{own:name}` the intruder's."""
    for name, value in victim.items():
        text = text.replace(f"{{victim:{name}}}", value)
    for name, value in intruder.items():
        text = text.replace(f"{{own:{name}}}", value)
    for name, value in victim.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def own_path(path: str, victim: Tenant, intruder: Tenant) -> str:
    """A path: `{victim:x}` is the victim's object, a bare `{x}` the intruder's own."""
    for name, value in victim.items():
        path = path.replace(f"{{victim:{name}}}", value)
    for name, value in intruder.items():
        path = path.replace(f"{{{name}}}", value)
    return path


def call(simulator: LiveSimulator, key: str, method: str, path: str,
         pairs: list[tuple[str, str]]) -> requests.Response:
    """One Stripe request as the tenant `key`."""
    in_query = method in ("GET", "DELETE")
    return requests.request(method, simulator.stripe_url + path, timeout=10,
                            headers={"Authorization": f"Bearer {key}"},
                            params=pairs if in_query else None,
                            data=None if in_query else pairs)


@pytest.mark.parametrize("name", list(NESTED))
def test_a_nested_id_of_another_tenant_is_missing(
        simulator: LiveSimulator, victim: Tenant, intruder: Tenant, untouched: None,
        name: str, stripe_error_check: Callable[[str], list[str]]) -> None:
    method, path, pairs, param = NESTED[name]
    sent = [(k, fill(v, victim, intruder)) for k, v in pairs]
    target = own_path(path, victim, intruder)
    answer = call(simulator, intruder["key"], method, target, sent)
    named = target + str(sent)
    assert [v for v in leaked(answer, victim, "") if v not in named] == [], answer.text[:500]
    assert answer.status_code in (400, 404), answer.text[:500]
    assert stripe_error_check(answer.text) == []
    never = call(simulator, intruder["key"], method, never_existing(target, victim),
                 [(k, never_existing(v, victim)) for k, v in sent])
    assert (answer.status_code, never_existing(answer.text, victim)) == (
        never.status_code, never.text), "another tenant's id differs from one that never existed"
    error = answer.json()["error"]
    assert error["code"] == CODES.get(name, "resource_missing"), error
    if param is not None:
        assert error.get("param") == param, error


def never_existing(text: str, victim: Tenant) -> str:
    """`text` with each of the victim's ids replaced by an id of the same kind that never
    existed."""
    for name, value in victim.items():
        if name != "key" and "_" in value:
            text = text.replace(value, value.split("_")[0] + "_" + "0" * 24)
    return text


def test_a_balance_transaction_source_of_another_tenant_lists_nothing(
        simulator: LiveSimulator, victim: Tenant, intruder: Tenant) -> None:
    """`source` is a plain string in Stripe's spec: another tenant's charge filters the
    intruder's list to nothing, exactly as a charge that never existed."""
    never = "ch_" + "0" * 24
    answers = [call(simulator, intruder["key"], "GET", "/v1/balance_transactions",
                    [("source", source), ("expand[0]", "data.source")])
               for source in (victim["charge"], never)]
    assert answers[0].status_code == answers[1].status_code, answers[0].text[:300]
    assert answers[0].text.replace(victim["charge"], never) == answers[1].text
    assert leaked(answers[0], victim, victim["charge"]) == []


SEARCHES = {
    "customers": ("/v1/customers/search", "email:'{email}'"),
    "customers-by-name": ("/v1/customers/search", "name:'Victim'"),
    "payment_intents": ("/v1/payment_intents/search", "status:'succeeded'"),
    "payment_intents-by-currency": ("/v1/payment_intents/search", "currency:'usd'"),
    "charges": ("/v1/charges/search", "status:'succeeded'"),
    "charges-by-amount": ("/v1/charges/search", "amount>0"),
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_search_finds_only_the_callers_objects(simulator: LiveSimulator, victim: Tenant,
                                               name: str) -> None:
    """A fresh tenant searching what matches the victim's objects finds nothing; the
    victim finds its own (so the query is one that matches)."""
    path, query = SEARCHES[name]
    query = query.format(email="victim@example.com", customer=victim["customer"])
    stranger = call(simulator, "sk_test_intruder_search", "GET", path, [("query", query)])
    assert stranger.status_code == 200, stranger.text[:500]
    assert stranger.json()["data"] == [] and leaked(stranger, victim, "") == []
    owner = call(simulator, victim["key"], "GET", path, [("query", query)])
    assert owner.status_code == 200 and owner.json()["data"] != [], owner.text[:500]


def test_the_email_filter_finds_only_the_callers_customers(simulator: LiveSimulator,
                                                           victim: Tenant) -> None:
    listed = call(simulator, "sk_test_intruder_email", "GET", "/v1/customers",
                  [("email", "victim@example.com")])
    assert listed.status_code == 200 and listed.json()["data"] == [], listed.text[:500]
    owner = call(simulator, victim["key"], "GET", "/v1/customers",
                 [("email", "victim@example.com")])
    assert [c["id"] for c in owner.json()["data"]] == [victim["customer"]]
