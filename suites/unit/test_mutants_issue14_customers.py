"""Customers pinned down where mutation testing found them loose, in the core without
HTTP: what a new customer stores, saving a method and naming it the default, updates
(empty strings, metadata, previous attributes, the email filter), deletion's tombstone
and detached methods, and the errors that name their parameter."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import customers as c
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest, NotFound
from paylab.simulator.core.origin import Origin
from paylab.suites.unit.conftest import TENANT

START = 1_700_000_000


def events(domain: Domain, event_type: str) -> list[dict[str, Any]]:
    docs, _ = domain.events.page(TENANT, types=[event_type], limit=100)
    return docs


def test_a_new_customer_stores_its_fields(domain: Domain) -> None:
    metadata = {"order": "7"}
    doc = domain.customers.create(TENANT, "stripe", {
        "name": "Mei", "email": "mei@example.com", "phone": "", "metadata": metadata,
        "preferred_locales": ["zh-TW"], "balance": 25})
    assert doc["id"].startswith("cus_") and len(doc["id"]) == len("cus_") + 14
    assert doc == {
        "id": doc["id"], "gateway": "stripe", "created": START, "metadata": {"order": "7"},
        "default_method": None, "balance": 25, "name": "Mei", "email": "mei@example.com",
        "phone": None, "description": None, "address": None, "shipping": None,
        "preferred_locales": ["zh-TW"]}
    metadata["order"] = "8"
    assert domain.customers.get(TENANT, doc["id"])["metadata"] == {"order": "7"}
    created = events(domain, v.CUSTOMER_CREATED)
    assert [(e["object"]["id"], e["gateway"]) for e in created] == [(doc["id"], "stripe")]


def test_a_bare_customer_has_empty_fields(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {})
    assert (doc["balance"], doc["metadata"], doc["preferred_locales"], doc["email"]) == (
        0, {}, [], None)


def test_a_customer_is_created_with_a_saved_default_method(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {
        "payment_method": "pm_card_visa", "default_method": "pm_card_visa"},
        methods=domain.methods)
    method_id = doc["default_method"]
    assert method_id.startswith("pm_")
    assert domain.methods.get(TENANT, method_id)["customer"] == doc["id"]
    assert [e["object"]["id"] for e in events(domain, v.METHOD_ATTACHED)] == [method_id]
    stored = domain.customers.get(TENANT, doc["id"])
    assert stored["default_method"] == method_id


def test_a_default_method_by_its_id_and_a_method_without_default(domain: Domain) -> None:
    method = domain.methods.resolve(TENANT, "pm_card_visa")
    doc = domain.customers.create(TENANT, "stripe", {
        "payment_method": method["id"], "default_method": method["id"]},
        methods=domain.methods)
    assert doc["default_method"] == method["id"]
    plain = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"},
                                    methods=domain.methods)
    assert plain["default_method"] is None
    assert len(domain.methods.saved(TENANT, plain["id"])[0]) == 1


@pytest.mark.parametrize("params", [
    {"default_method": "pm_other"},
    {"payment_method": "pm_card_visa", "default_method": "pm_other"}])
def test_a_default_method_must_be_the_saved_one(domain: Domain,
                                                params: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        domain.customers.create(TENANT, "stripe", params, methods=domain.methods)
    assert caught.value.param == c.DEFAULT_PARAM
    assert caught.value.context["id"] == "pm_other"
    assert caught.value.context["reason"] == "not_attached_to_customer"
    assert domain.customers.all(TENANT) == []
    assert events(domain, v.CUSTOMER_CREATED) == []


def test_without_methods_a_payment_method_is_not_saved(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    assert domain.methods.saved(TENANT, doc["id"])[0] == []
    with pytest.raises(InvalidRequest):
        domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa",
                                                   "default_method": "pm_card_visa"})


def test_not_attached_names_the_method() -> None:
    error = c.not_attached("pm_9", "payment_method")
    assert error.code == "invalid_value"
    assert error.param == "payment_method"
    assert error.message == ("The customer does not have a payment method with the ID pm_9. "
                             "The payment method must be attached to the customer.")
    assert error.context == {"id": "pm_9", "reason": "not_attached_to_customer"}


def test_find_and_check_name_the_parameter(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as caught:
        c.find_customer(domain.objects, TENANT, "cus_none")
    assert (caught.value.code, caught.value.param, caught.value.message) == (
        "not_found", "customer", "No such customer: 'cus_none'")
    assert caught.value.context == {"object": c.KIND, "id": "cus_none"}
    assert domain.customers.check(TENANT, None) is None
    with pytest.raises(InvalidRequest) as named:
        domain.customers.check(TENANT, "cus_none", param="on_behalf")
    assert named.value.param == "on_behalf"
    with pytest.raises(InvalidRequest) as default:
        domain.customers.check(TENANT, "cus_none")
    assert default.value.param == "customer"
    doc = domain.customers.create(TENANT, "stripe", {})
    assert domain.customers.check(TENANT, doc["id"]) == doc
    with pytest.raises(NotFound) as missing:
        domain.customers.get(TENANT, "cus_none")
    assert missing.value.param == "customer"


def test_update_clears_merges_and_reports_what_changed(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {
        "name": "Mei", "email": "a@example.com", "metadata": {"a": "1", "b": "2"},
        "preferred_locales": ["en"]})
    updated = domain.customers.update(TENANT, doc["id"], {
        "name": "", "email": "b@example.com", "phone": "0912", "description": None,
        "preferred_locales": "", "balance": 10, "metadata": {"a": "", "c": "3"}})
    assert (updated["name"], updated["email"], updated["phone"], updated["balance"]) == (
        None, "b@example.com", "0912", 10)
    assert updated["preferred_locales"] == []
    assert updated["metadata"] == {"b": "2", "c": "3"}
    assert domain.customers.get(TENANT, doc["id"]) == updated
    [event] = events(domain, v.CUSTOMER_UPDATED)
    assert event["previous_attributes"] == {
        "name": "Mei", "email": "a@example.com", "phone": None, "preferred_locales": ["en"],
        "balance": 0, "metadata": {"a": "1", "b": "2"}}
    assert event["gateway"] == "stripe"
    found, _ = domain.customers.page(TENANT, email="b@example.com")
    assert [d["id"] for d in found] == [doc["id"]]
    assert domain.customers.page(TENANT, email="a@example.com")[0] == []


def test_an_update_that_changes_nothing_reports_nothing(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {"name": "Mei", "metadata": {"a": "1"}})
    domain.customers.update(TENANT, doc["id"], {"name": "Mei", "metadata": {"a": "1"}})
    [event] = events(domain, v.CUSTOMER_UPDATED)
    assert event["previous_attributes"] == {}


def test_update_sets_and_checks_the_default_method(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {})
    other = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"},
                                    methods=domain.methods)
    [theirs] = domain.methods.saved(TENANT, other["id"])[0]
    loose = domain.methods.resolve(TENANT, "pm_card_visa")
    for method_id in ("pm_none", theirs["id"], loose["id"]):
        with pytest.raises(InvalidRequest) as caught:
            domain.customers.update(TENANT, doc["id"], {"default_method": method_id})
        assert caught.value.param == c.DEFAULT_PARAM
    domain.methods.attach(TENANT, loose["id"], doc["id"])
    updated = domain.customers.update(TENANT, doc["id"], {"default_method": loose["id"]})
    assert updated["default_method"] == loose["id"]
    cleared = domain.customers.update(TENANT, doc["id"], {"default_method": ""})
    assert cleared["default_method"] is None


def test_listing_by_email_and_all(domain: Domain) -> None:
    first = domain.customers.create(TENANT, "stripe", {"email": "x@example.com"})
    second = domain.customers.create(TENANT, "stripe", {"email": "y@example.com"})
    third = domain.customers.create(TENANT, "stripe", {})
    assert [d["id"] for d in domain.customers.all(TENANT)] == [
        first["id"], second["id"], third["id"]]
    docs, more = domain.customers.page(TENANT)
    assert [d["id"] for d in docs] == [third["id"], second["id"], first["id"]]
    assert more is False
    docs, _ = domain.customers.page(TENANT, email="x@example.com")
    assert [d["id"] for d in docs] == [first["id"]]
    docs, more = domain.customers.page(TENANT, limit=1)
    assert len(docs) == 1 and more is True
    assert domain.customers.all("acct_other") == []


def test_delete_detaches_methods_and_leaves_a_tombstone(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"},
                                  methods=domain.methods)
    [method] = domain.methods.saved(TENANT, doc["id"])[0]
    tombstone = domain.customers.delete(TENANT, doc["id"])
    assert tombstone == {"id": doc["id"], "created": doc["created"], "deleted": True}
    assert domain.customers.retrieve(TENANT, doc["id"]) == tombstone
    kept = domain.methods.get(TENANT, method["id"])
    assert kept["customer"] is None
    assert domain.objects.children(TENANT, v.METHOD, doc["id"]) == []
    with pytest.raises(NotFound):
        domain.customers.get(TENANT, doc["id"])
    with pytest.raises(InvalidRequest):
        domain.customers.check(TENANT, doc["id"])
    [event] = events(domain, v.CUSTOMER_DELETED)
    assert (event["object"]["id"], event["gateway"]) == (doc["id"], "stripe")
    with pytest.raises(NotFound):
        domain.customers.delete(TENANT, doc["id"])
    assert domain.customers.all(TENANT) == []


def test_retrieve_a_live_customer_and_a_stranger(domain: Domain) -> None:
    doc = domain.customers.create(TENANT, "stripe", {})
    assert domain.customers.retrieve(TENANT, doc["id"]) == doc
    with pytest.raises(NotFound) as caught:
        domain.customers.retrieve(TENANT, "cus_none")
    assert caught.value.param == "customer"
    with pytest.raises(NotFound):
        domain.customers.retrieve("acct_other", doc["id"])


def test_every_event_records_the_request_behind_it(domain: Domain) -> None:
    asked = Origin(request_id="req_1", idempotency_key="key_1")
    request = {"id": "req_1", "idempotency_key": "key_1"}
    doc = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"},
                                  methods=domain.methods, origin=asked)
    domain.customers.update(TENANT, doc["id"], {"name": "Mei"}, origin=asked)
    domain.customers.delete(TENANT, doc["id"], origin=asked)
    kinds = (v.CUSTOMER_CREATED, v.METHOD_ATTACHED, v.CUSTOMER_UPDATED, v.CUSTOMER_DELETED)
    for event_type in kinds:
        [event] = events(domain, event_type)
        assert event["request"] == request, event_type
        assert event["gateway"] == "stripe", event_type
