"""Setups pinned down where mutation testing found them loose, in the core without HTTP:
what a new setup stores, the request rules, each card's path (succeed, 3-D Secure asked
by the card or by the request, decline, block), the challenge's results, cancel and
update rules, the events and the errors' codes, parameters and context."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import setups as s
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.cards import Behaviour, behaviour_doc
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState, NotFound
from paylab.simulator.core.origin import Origin
from paylab.suites.unit.conftest import TENANT

START = 1_700_000_000
ASK = {"payment_method_options": {"card": {"request_three_d_secure": "any"}}}


def types(domain: Domain) -> list[str]:
    """The setup events so far, oldest first."""
    docs, _ = domain.events.page(TENANT, limit=100)
    return [e["type"] for e in reversed(docs) if e["type"].startswith("setup.")]


def customer(domain: Domain) -> str:
    return domain.customers.create(TENANT, "stripe", {})["id"]


# -- pure rules -------------------------------------------------------------------------------
@pytest.mark.parametrize(("behaviour", "outcome"), [
    (Behaviour(), "succeed"), (Behaviour(outcome="authenticate"), "authenticate"),
    (Behaviour(outcome="authenticate_then"), "authenticate"),
    (Behaviour(outcome="decline"), "decline"), (Behaviour(outcome="block"), "decline"),
    (Behaviour(outcome="decline", setup="succeed"), "succeed"),
    (Behaviour(outcome="processing"), "succeed")])
def test_setup_outcome(behaviour: Behaviour, outcome: str) -> None:
    assert s.setup_outcome(behaviour) == outcome


def test_after_authentication() -> None:
    decline = Behaviour(outcome="decline", decline_code="insufficient_funds")
    assert s.after_authentication(Behaviour(outcome="authenticate_then", then=decline)) == decline
    ok_then = Behaviour(outcome="authenticate_then", then=Behaviour(risk_score=5))
    assert s.after_authentication(ok_then) == Behaviour()
    assert s.after_authentication(Behaviour(outcome="authenticate_then")) == Behaviour()
    fixed = Behaviour(outcome="authenticate_then", then=decline, setup="authenticate")
    assert s.after_authentication(fixed) == Behaviour()
    assert s.after_authentication(Behaviour(outcome="authenticate", then=decline)) == Behaviour()


# -- create -----------------------------------------------------------------------------------
def test_a_new_setup_stores_its_fields(domain: Domain) -> None:
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {
        "customer": cus, "description": "save", "metadata": {"a": "1"}, "usage": "on_session"})
    assert doc["id"].startswith("seti_") and len(doc["id"]) == len("seti_") + 24
    secret = doc.pop("client_secret")
    assert secret.startswith(doc["id"] + "_secret_")
    assert len(secret) == len(doc["id"]) + len("_secret_") + 25
    assert doc == {
        "id": doc["id"], "gateway": "stripe", "status": v.NEEDS_METHOD, "created": START,
        "customer": cus, "description": "save", "metadata": {"a": "1"},
        "usage": "on_session", "payment_method": None, "payment_method_types": ["card"],
        "automatic_payment_methods": None, "return_url": None, "last_error": None,
        "authentication": None, "cancellation_reason": None, "three_d_secure": "automatic"}
    assert types(domain) == [v.SETUP_CREATED]
    docs, _ = domain.setups.page(TENANT, customer=cus)
    assert [d["id"] for d in docs] == [doc["id"]]


def test_a_setup_defaults(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {
        "automatic_payment_methods": {"enabled": True}, "payment_method_types": []})
    assert (doc["usage"], doc["metadata"], doc["customer"]) == ("off_session", {}, None)
    assert doc["automatic_payment_methods"] == {"enabled": True, "allow_redirects": "always"}
    never = domain.setups.create(TENANT, "stripe", {
        "automatic_payment_methods": {"enabled": False, "allow_redirects": "never"}})
    assert never["automatic_payment_methods"] == {"enabled": False, "allow_redirects": "never"}
    assert never["payment_method_types"] == ["card"]
    listed = domain.setups.create(TENANT, "stripe", {"payment_method_types": ["card", "link"]})
    assert listed["payment_method_types"] == ["card", "link"]


def test_create_rules(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as url:
        domain.setups.create(TENANT, "stripe", {"return_url": "https://x.example"})
    assert (url.value.code, url.value.param, url.value.message) == (
        "invalid_value", "return_url", "You can only pass return_url when confirm is true.")
    with pytest.raises(InvalidRequest) as both:
        domain.setups.create(TENANT, "stripe", {"automatic_payment_methods": {"enabled": True},
                                                "payment_method_types": ["card"]})
    assert (both.value.code, both.value.param) == (
        "conflicting_parameters", "payment_method_types")
    assert both.value.context["names"] == ("automatic_payment_methods", "payment_method_types")
    assert both.value.message == (
        "automatic_payment_methods and payment_method_types exclude each other.")
    with pytest.raises(InvalidRequest) as stranger:
        domain.setups.create(TENANT, "stripe", {"customer": "cus_none"})
    assert stranger.value.param == "customer"
    assert domain.setups.page(TENANT)[0] == []


def test_create_with_a_method_waits_for_confirmation(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    assert doc["status"] == v.NEEDS_CONFIRMATION
    assert doc["payment_method"].startswith("pm_")
    docs, _ = domain.setups.page(TENANT, method=doc["payment_method"])
    assert [d["id"] for d in docs] == [doc["id"]]
    assert domain.setups.page(TENANT, method="pm_other")[0] == []


def test_create_with_method_data(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method_data": {
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030},
        "billing_details": {"name": "Mei"}, "metadata": {"k": "v"}}})
    method = domain.methods.get(TENANT, doc["payment_method"])
    assert method["billing_details"]["name"] == "Mei"
    assert method["metadata"] == {"k": "v"}
    assert method["card"]["last4"] == "4242"


# -- confirm ----------------------------------------------------------------------------------
def test_a_confirmed_setup_saves_the_method_to_its_customer(domain: Domain) -> None:
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {
        "customer": cus, "payment_method": "pm_card_visa", "confirm": True,
        "return_url": "https://shop.example/back"})
    assert (doc["status"], doc["last_error"], doc["return_url"]) == (
        v.SUCCEEDED, None, "https://shop.example/back")
    method = domain.methods.get(TENANT, doc["payment_method"])
    assert (method["customer"], method["set_up"]) == (cus, True)
    assert types(domain) == [v.SETUP_CREATED, v.SETUP_SUCCEEDED]
    assert domain.setups.get(TENANT, doc["id"])["status"] == v.SUCCEEDED


def test_a_setup_without_customer_marks_the_method_set_up(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    done = domain.setups.confirm(TENANT, doc["id"], {})
    assert done["status"] == v.SUCCEEDED
    method = domain.methods.get(TENANT, doc["payment_method"])
    assert (method["customer"], method["set_up"]) == (None, True)


def test_confirm_without_a_method_is_refused(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {})
    with pytest.raises(InvalidState) as caught:
        domain.setups.confirm(TENANT, doc["id"], {})
    assert (caught.value.code, caught.value.param) == (s.SETUP_INVALID_STATE, "payment_method")
    assert caught.value.message == f"Cannot confirm setup {doc['id']} without a method."
    assert caught.value.context == {"object": s.KIND, "id": doc["id"],
                                    "status": v.NEEDS_METHOD, "verb": "confirm",
                                    "missing": "payment_method"}


def test_confirm_with_another_customers_method_is_refused(domain: Domain) -> None:
    owner = domain.customers.create(TENANT, "stripe", {"payment_method": "pm_card_visa"},
                                    methods=domain.methods)
    [method] = domain.methods.saved(TENANT, owner["id"])[0]
    doc = domain.setups.create(TENANT, "stripe", {"customer": customer(domain)})
    with pytest.raises(InvalidRequest) as caught:
        domain.setups.confirm(TENANT, doc["id"], {"payment_method": method["id"]})
    assert (caught.value.code, caught.value.param) == ("invalid_value", "payment_method")
    assert caught.value.context == {"id": method["id"], "customer": owner["id"],
                                    "reason": "attached_elsewhere"}
    assert caught.value.message == (f"The payment method {method['id']} belongs to another "
                                    "customer.")
    mine = domain.setups.create(TENANT, "stripe", {"customer": owner["id"]})
    done = domain.setups.confirm(TENANT, mine["id"], {"payment_method": method["id"]})
    assert done["status"] == v.SUCCEEDED


def test_confirm_a_new_method_retags_the_setup(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    first = doc["payment_method"]
    done = domain.setups.confirm(TENANT, doc["id"], {"payment_method": "pm_card_mastercard",
                                                     "return_url": "https://x.example/r"})
    assert done["payment_method"] != first
    assert done["return_url"] == "https://x.example/r"
    assert [d["id"] for d in domain.setups.page(TENANT, method=done["payment_method"])[0]] == [
        doc["id"]]
    assert domain.setups.page(TENANT, method=first)[0] == []


@pytest.mark.parametrize("token", ["pm_card_chargeDeclinedInsufficientFunds",
                                   "pm_card_radarBlock"])
def test_a_declined_setup_is_stored_before_it_is_raised(domain: Domain, token: str) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": token})
    method_id = doc["payment_method"]
    with pytest.raises(CardDeclined) as caught:
        domain.setups.confirm(TENANT, doc["id"], {})
    decline_code = "fraudulent" if token == "pm_card_radarBlock" else "insufficient_funds"
    assert caught.value.code == "declined"
    assert caught.value.context["decline_code"] == decline_code
    assert caught.value.context["method"]["id"] == method_id
    assert caught.value.context["setup"]["id"] == doc["id"]
    stored = domain.setups.get(TENANT, doc["id"])
    assert (stored["status"], stored["payment_method"]) == (v.NEEDS_METHOD, None)
    error = stored["last_error"]
    assert (error["category"], error["code"], error["decline_code"]) == (
        v.DECLINED, "declined", decline_code)
    assert error["message"] == caught.value.message
    assert error["payment_method"]["id"] == method_id
    assert types(domain) == [v.SETUP_CREATED, v.SETUP_FAILED]
    assert domain.setups.page(TENANT, method=method_id)[0] == []
    assert not domain.methods.get(TENANT, method_id).get("set_up")


def test_a_card_that_asks_waits_for_the_challenge(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_threeDSecureRequiredChargeDeclined", "confirm": True})
    assert doc["status"] == v.NEEDS_ACTION
    auth = doc["authentication"]
    assert (auth["status"], auth["kind"]) == ("pending", "three_d_secure")
    assert auth["then"]["outcome"] == "decline"
    assert types(domain) == [v.SETUP_CREATED, v.SETUP_NEEDS_ACTION]
    assert domain.setups.get(TENANT, doc["id"])["status"] == v.NEEDS_ACTION
    with pytest.raises(CardDeclined):
        domain.setups.authenticate(TENANT, doc["id"], "passed")
    stored = domain.setups.get(TENANT, doc["id"])
    assert stored["status"] == v.NEEDS_METHOD
    assert stored["authentication"]["status"] == "passed"


def test_a_passed_challenge_saves_the_method(domain: Domain) -> None:
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {
        "customer": cus, "payment_method": "pm_card_authenticationRequired", "confirm": True})
    done = domain.setups.authenticate(TENANT, doc["id"], "passed")
    assert done["status"] == v.SUCCEEDED
    assert done["authentication"]["status"] == "passed"
    assert domain.methods.get(TENANT, done["payment_method"])["customer"] == cus
    assert types(domain) == [v.SETUP_CREATED, v.SETUP_NEEDS_ACTION, v.SETUP_SUCCEEDED]
    with pytest.raises(InvalidState) as again:
        domain.setups.authenticate(TENANT, doc["id"], "passed")
    assert again.value.context["verb"] == "authenticate"
    assert again.value.context["allowed"] == (v.NEEDS_ACTION,)


@pytest.mark.parametrize("result", ["failed", "abandoned"])
def test_a_failed_challenge_fails_the_setup(domain: Domain, result: str) -> None:
    doc = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_authenticationRequired", "confirm": True})
    method_id = doc["payment_method"]
    failed = domain.setups.authenticate(TENANT, doc["id"], result)
    assert (failed["status"], failed["payment_method"]) == (v.NEEDS_METHOD, None)
    assert failed["authentication"]["status"] == result
    assert failed["last_error"] == {
        "category": s.SETUP_AUTHENTICATION_FAILED, "code": s.SETUP_AUTHENTICATION_FAILED,
        "decline_code": None, "message": "3-D Secure failed.",
        "payment_method": domain.methods.get(TENANT, method_id)}
    assert domain.setups.get(TENANT, doc["id"]) == failed
    assert types(domain)[-1] == v.SETUP_FAILED


def test_3ds_asked_by_the_request(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa",
                                                  "confirm": True, **ASK})
    assert (doc["status"], doc["three_d_secure"]) == (v.NEEDS_ACTION, "any")
    assert doc["authentication"]["then"] == behaviour_doc(Behaviour())
    later = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    asked = domain.setups.confirm(TENANT, later["id"], {
        "payment_method_options": {"card": {"request_three_d_secure": "challenge"}}})
    assert (asked["status"], asked["three_d_secure"]) == (v.NEEDS_ACTION, "challenge")
    automatic = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_visa", "confirm": True,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}}})
    assert automatic["status"] == v.SUCCEEDED
    declining = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_chargeDeclined", **ASK})
    with pytest.raises(CardDeclined):
        domain.setups.confirm(TENANT, declining["id"], {})


def test_a_scenario_override_decides(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa"})
    forced = Origin(override=Behaviour(outcome="decline", decline_code="lost_card"))
    with pytest.raises(CardDeclined) as caught:
        domain.setups.confirm(TENANT, doc["id"], {}, origin=forced)
    assert caught.value.context["decline_code"] == "lost_card"


def test_confirm_only_from_a_confirmable_status(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa",
                                                  "confirm": True})
    with pytest.raises(InvalidState) as caught:
        domain.setups.confirm(TENANT, doc["id"], {})
    assert caught.value.code == s.SETUP_INVALID_STATE
    assert caught.value.message == (
        f"Cannot confirm setup {doc['id']} in status succeeded (allowed: needs_method, "
        "needs_confirmation, needs_action).")
    assert caught.value.context == {"object": s.KIND, "id": doc["id"], "status": v.SUCCEEDED,
                                    "verb": "confirm", "allowed": s.CONFIRMABLE}
    with pytest.raises(NotFound) as unknown:
        domain.setups.confirm(TENANT, doc["id"], {"payment_method": "pm_none"})
    assert unknown.value.param == "payment_method"


def test_confirm_keeps_the_3ds_request(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa", **ASK})
    asked = domain.setups.confirm(TENANT, doc["id"], {})
    assert (asked["status"], asked["three_d_secure"]) == (v.NEEDS_ACTION, "any")
    again = domain.setups.confirm(TENANT, doc["id"], {})
    assert again["authentication"]["status"] == "pending"


# -- cancel -----------------------------------------------------------------------------------
def test_cancel(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_authenticationRequired", "confirm": True})
    canceled = domain.setups.cancel(TENANT, doc["id"], "abandoned")
    assert (canceled["status"], canceled["cancellation_reason"], canceled["authentication"]) == (
        v.CANCELED, "abandoned", None)
    assert domain.setups.get(TENANT, doc["id"]) == canceled
    assert types(domain)[-1] == v.SETUP_CANCELED
    with pytest.raises(InvalidState) as again:
        domain.setups.cancel(TENANT, doc["id"])
    assert again.value.context["verb"] == "cancel"
    assert again.value.context["status"] == v.CANCELED
    plain = domain.setups.create(TENANT, "stripe", {})
    assert domain.setups.cancel(TENANT, plain["id"])["cancellation_reason"] is None


def test_get_names_the_parameter(domain: Domain) -> None:
    with pytest.raises(NotFound) as caught:
        domain.setups.get(TENANT, "seti_none")
    assert caught.value.param == "intent"


# -- update -----------------------------------------------------------------------------------
def test_update_changes_editable_fields(domain: Domain) -> None:
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {"description": "a", "metadata": {"x": "1"}})
    updated = domain.setups.update(TENANT, doc["id"], {
        "customer": cus, "description": "", "metadata": {"x": "", "y": "2"},
        "payment_method_types": ["card", "link"], "payment_method": "pm_card_visa", **ASK})
    assert (updated["customer"], updated["description"], updated["metadata"]) == (
        cus, None, {"y": "2"})
    assert updated["payment_method_types"] == ["card", "link"]
    assert updated["three_d_secure"] == "any"
    assert updated["status"] == v.NEEDS_CONFIRMATION
    assert domain.setups.get(TENANT, doc["id"]) == updated
    assert [d["id"] for d in domain.setups.page(TENANT, customer=cus)[0]] == [doc["id"]]
    assert [d["id"] for d in domain.setups.page(
        TENANT, method=updated["payment_method"])[0]] == [doc["id"]]
    kept = domain.setups.update(TENANT, doc["id"], {"payment_method_types": []})
    assert kept["payment_method_types"] == ["card", "link"]
    assert kept["three_d_secure"] == "any"
    moved = domain.setups.update(TENANT, doc["id"], {"customer": ""})
    assert moved["customer"] is None
    assert domain.setups.page(TENANT, customer=cus)[0] == []


def test_update_rules(domain: Domain) -> None:
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {"customer": cus,
                                                  "payment_method": "pm_card_visa",
                                                  "confirm": True})
    with pytest.raises(InvalidState) as method:
        domain.setups.update(TENANT, doc["id"], {"payment_method_types": ["card"]})
    assert (method.value.code, method.value.param) == (s.SETUP_INVALID_STATE,
                                                       "payment_method_types")
    assert method.value.message == (f"Cannot update payment_method_types of setup {doc['id']} "
                                     "in status succeeded.")
    assert method.value.context == {"object": s.KIND, "id": doc["id"], "status": v.SUCCEEDED,
                                    "verb": "update", "field": "payment_method_types"}
    with pytest.raises(InvalidRequest) as moved:
        domain.setups.update(TENANT, doc["id"], {"customer": customer(domain)})
    assert (moved.value.code, moved.value.param, moved.value.message) == (
        "invalid_value", "customer", "The customer of a setup that has succeeded cannot change.")
    same = domain.setups.update(TENANT, doc["id"], {"customer": cus, "description": "d"})
    assert same["description"] == "d"
    with pytest.raises(InvalidRequest) as stranger:
        domain.setups.update(TENANT, doc["id"], {"customer": "cus_none"})
    assert stranger.value.param == "customer"
    loose = domain.setups.create(TENANT, "stripe", {"payment_method": "pm_card_visa",
                                                    "confirm": True})
    adopted = domain.setups.update(TENANT, loose["id"], {"customer": cus})
    assert adopted["customer"] == cus
    asking = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_authenticationRequired", "confirm": True})
    with pytest.raises(InvalidState):
        domain.setups.update(TENANT, asking["id"], {"payment_method": "pm_card_visa"})
    other: dict[str, Any] = {"customer": cus}
    pending = domain.setups.create(TENANT, "stripe", {"customer": customer(domain)})
    assert domain.setups.update(TENANT, pending["id"], other)["customer"] == cus


def test_every_event_records_the_request_behind_it(domain: Domain) -> None:
    asked = Origin(request_id="req_1", idempotency_key="key_1")
    cus = customer(domain)
    doc = domain.setups.create(TENANT, "stripe", {
        "customer": cus, "payment_method": "pm_card_authenticationRequired", "confirm": True},
        origin=asked)
    domain.setups.authenticate(TENANT, doc["id"], "passed", origin=asked)
    failing = domain.setups.create(TENANT, "stripe", {
        "payment_method": "pm_card_authenticationRequired", "confirm": True}, origin=asked)
    domain.setups.authenticate(TENANT, failing["id"], "failed", origin=asked)
    domain.setups.cancel(TENANT, failing["id"], origin=asked)
    docs, _ = domain.events.page(TENANT, limit=100)
    setup_events = [e for e in docs if e["type"].startswith("setup.")
                    or e["type"] == v.METHOD_ATTACHED]
    assert {e["type"] for e in setup_events} == {
        v.SETUP_CREATED, v.SETUP_NEEDS_ACTION, v.SETUP_SUCCEEDED, v.SETUP_FAILED,
        v.SETUP_CANCELED, v.METHOD_ATTACHED}
    for event in setup_events:
        assert event["request"] == {"id": "req_1", "idempotency_key": "key_1"}, event["type"]
        assert event["gateway"] == "stripe", event["type"]


def test_update_refuses_an_unknown_customer_before_changing_anything(domain: Domain) -> None:
    doc = domain.setups.create(TENANT, "stripe", {"description": "a"})
    with pytest.raises(InvalidRequest) as caught:
        domain.setups.update(TENANT, doc["id"], {"customer": "cus_none", "description": "b"})
    assert (caught.value.code, caught.value.param, caught.value.message) == (
        "not_found", "customer", "No such customer: 'cus_none'")
    stored = domain.setups.get(TENANT, doc["id"])
    assert (stored["customer"], stored["description"]) == (None, "a")
    assert domain.setups.update(TENANT, doc["id"], {"customer": ""})["customer"] is None
