"""SetupIntents through the HTTP API of an in-process simulator: saving a card for later
payments, 3-D Secure on setup, declines, cancel, update, lists and events."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.simulator.core import vocabulary as v
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, contracts, start

UNEXPECTED = "setup_intent_unexpected_state"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def check(ref: str, body: Any) -> None:
    """The answer satisfies its response contract."""
    contracts().check(contract_id(ref), body)


def customer(sim: Sim, email: str = "saver@example.com") -> str:
    """A customer made through the core (the Customers API is another module's)."""
    return sim.domain.customers.create(sim.tenant, "stripe", {"email": email})["id"]


async def setup(sim: Sim, **params: Any) -> Answer:
    answer = await sim.stripe("POST", "/v1/setup_intents", params)
    if answer.status == 200:
        check("stripe/setup_intent", answer.body)
    return answer


async def setup_events(sim: Sim) -> list[str]:
    """The tenant's event types, oldest first, without the customers made for the test."""
    return [t for t in await sim.event_types() if not t.startswith("customer.")]


def method_doc(sim: Sim, method_id: str) -> dict[str, Any]:
    return sim.domain.methods.get(sim.tenant, method_id)


async def challenge(sim: Sim, seti: dict, result: str) -> Answer:
    url = seti["next_action"]["redirect_to_url"]["url"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    shown = await sim.page("GET", url)
    assert shown.status == 200 and "Confirm this card" in shown.text, shown.text
    assert "No charge now" in shown.text
    return await sim.page("POST", "/stripe/3ds/authenticate", {
        "setup_intent": query["setup_intent"], "client_secret": query["client_secret"],
        "result": result})


# -- create and confirm ------------------------------------------------------------------------
async def test_a_setup_without_a_method_waits_for_one(sim: Sim) -> None:
    seti = (await setup(sim, description="Save for later", metadata={"k": "v"})).body
    assert seti["id"].startswith("seti_") and seti["object"] == "setup_intent"
    assert seti["status"] == "requires_payment_method" and seti["usage"] == "off_session"
    assert seti["client_secret"].startswith(seti["id"] + "_secret_")
    assert (seti["description"], seti["metadata"]) == ("Save for later", {"k": "v"})
    assert seti["payment_method_types"] == ["card"] and seti["latest_attempt"] is None
    assert await setup_events(sim) == ["setup_intent.created"]


async def test_confirming_saves_the_card_to_the_customer_and_marks_it_set_up(sim: Sim) -> None:
    cus = customer(sim)
    seti = (await setup(sim, customer=cus, payment_method="pm_card_visa", usage="on_session"))
    assert seti.body["status"] == "requires_confirmation"
    done = await sim.stripe("POST", f"/v1/setup_intents/{seti.body['id']}/confirm")
    assert done.status == 200, done.body
    check("stripe/setup_intent", done.body)
    assert (done.body["status"], done.body["usage"]) == ("succeeded", "on_session")
    saved = method_doc(sim, done.body["payment_method"])
    assert saved["customer"] == cus and saved["set_up"] is True
    assert await setup_events(sim) == [
        "setup_intent.created", "payment_method.attached", "setup_intent.succeeded"]


async def test_a_setup_without_a_customer_marks_the_card_but_attaches_nothing(sim: Sim) -> None:
    seti = (await setup(sim, payment_method="pm_card_visa", confirm=True)).body
    assert seti["status"] == "succeeded"
    saved = method_doc(sim, seti["payment_method"])
    assert saved["customer"] is None and saved["set_up"] is True


async def test_a_declined_card_answers_402_and_keeps_the_setup_open(sim: Sim) -> None:
    cus = customer(sim)
    answer = await setup(sim, customer=cus, payment_method="pm_card_chargeDeclined",
                         confirm=True)
    assert answer.status == 402, answer.body
    error = answer.error
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error", "card_declined", "generic_decline")
    assert error["message"] == "Your card was declined."
    seti = (await sim.stripe("GET", "/v1/setup_intents", {"customer": cus})).body["data"][0]
    check("stripe/setup_intent", seti)
    assert (seti["status"], seti["payment_method"]) == ("requires_payment_method", None)
    last = seti["last_setup_error"]
    assert (last["type"], last["code"], last["decline_code"]) == (
        "card_error", "card_declined", "generic_decline")
    assert last["payment_method"]["id"].startswith("pm_")
    assert sim.domain.methods.page(sim.tenant, customer=cus)[0] == []
    assert await setup_events(sim) == ["setup_intent.created", "setup_intent.setup_failed"]
    again = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/confirm",
                             {"payment_method": "pm_card_visa"})
    assert again.body["status"] == "succeeded" and again.body["last_setup_error"] is None


async def test_the_decline_names_the_setup_intent_in_the_error_body(sim: Sim) -> None:
    answer = await setup(sim, payment_method="pm_card_chargeDeclined", confirm=True)
    assert answer.status == 402
    assert answer.error["setup_intent"]["status"] == "requires_payment_method"
    assert "payment_intent" not in answer.error


# -- 3-D Secure ----------------------------------------------------------------------------------
async def test_a_card_that_asks_for_3ds_on_setup_succeeds_after_the_challenge(sim: Sim) -> None:
    cus = customer(sim)
    seti = (await setup(sim, customer=cus, payment_method="pm_card_authenticationRequiredOnSetup",
                        confirm=True, return_url="https://shop.example/saved?x=1")).body
    assert seti["status"] == "requires_action"
    action = seti["next_action"]["redirect_to_url"]
    assert action["return_url"] == "https://shop.example/saved?x=1"
    assert "/stripe/3ds/authenticate?setup_intent=" + seti["id"] in action["url"]
    assert method_doc(sim, seti["payment_method"])["customer"] is None
    back = await challenge(sim, seti, "passed")
    assert back.status == 303
    target = urllib.parse.urlsplit(back.headers["Location"])
    assert dict(urllib.parse.parse_qsl(target.query)) == {
        "x": "1", "setup_intent": seti["id"], "setup_intent_client_secret": seti["client_secret"],
        "redirect_status": "succeeded"}
    done = (await sim.stripe("GET", f"/v1/setup_intents/{seti['id']}")).body
    assert (done["status"], done["next_action"]) == ("succeeded", None)
    saved = method_doc(sim, seti["payment_method"])
    assert (saved["customer"], saved["set_up"]) == (cus, True)
    assert (await challenge_again(sim, seti)).status == 409
    assert await setup_events(sim) == [
        "setup_intent.created", "setup_intent.requires_action", "payment_method.attached",
        "setup_intent.succeeded"]


async def test_3ds_on_request_challenges_a_card_that_would_not_ask(sim: Sim) -> None:
    options = {"card": {"request_three_d_secure": "any"}}
    seti = (await setup(sim, payment_method="pm_card_visa", confirm=True,
                        payment_method_options=options)).body
    assert seti["status"] == "requires_action"
    assert seti["payment_method_options"]["card"]["request_three_d_secure"] == "any"
    assert (await challenge(sim, seti, "passed")).status == 200
    done = (await sim.stripe("GET", f"/v1/setup_intents/{seti['id']}")).body
    assert done["status"] == "succeeded"
    plain = (await setup(sim, payment_method="pm_card_visa", confirm=True)).body
    assert plain["payment_method_options"]["card"]["request_three_d_secure"] == "automatic"
    assert plain["status"] == "succeeded"


async def challenge_again(sim: Sim, seti: dict) -> Answer:
    return await sim.page("GET", seti["next_action"]["redirect_to_url"]["url"])


@pytest.mark.parametrize("result", ["failed", "abandoned"])
async def test_a_failed_challenge_leaves_the_setup_without_a_method(sim: Sim,
                                                                    result: str) -> None:
    seti = (await setup(sim, payment_method="pm_card_threeDSecure2Required", confirm=True,
                        return_url="https://shop.example/saved")).body
    back = await challenge(sim, seti, result)
    assert "redirect_status=failed" in back.headers["Location"]
    failed = (await sim.stripe("GET", f"/v1/setup_intents/{seti['id']}")).body
    check("stripe/setup_intent", failed)
    assert (failed["status"], failed["payment_method"]) == ("requires_payment_method", None)
    error = failed["last_setup_error"]
    assert (error["type"], error["code"]) == (
        "invalid_request_error", "setup_intent_authentication_failure")
    assert "set_up" not in method_doc(sim, seti["payment_method"])
    assert (await setup_events(sim))[-1] == "setup_intent.setup_failed"


async def test_the_challenge_link_needs_the_client_secret(sim: Sim) -> None:
    seti = (await setup(sim, payment_method="pm_card_threeDSecure2Required", confirm=True)).body
    wrong = await sim.page("GET", f"/stripe/3ds/authenticate?setup_intent={seti['id']}"
                                  "&client_secret=nope")
    assert wrong.status == 404
    refused = await sim.page("POST", "/stripe/3ds/authenticate", {
        "setup_intent": seti["id"], "client_secret": "nope", "result": "passed"})
    assert refused.status == 400
    assert sim.domain.setups.get(sim.tenant, seti["id"])["status"] == v.NEEDS_ACTION
    no_return = await challenge(sim, seti, "passed")
    assert no_return.status == 200 and "Authentication complete" in no_return.text


# -- errors, cancel, update, list --------------------------------------------------------------
async def test_an_unknown_customer_or_setup_is_resource_missing(sim: Sim) -> None:
    answer = await setup(sim, customer="cus_DoesNotExist")
    assert answer.status == 400 and answer.error["code"] == "resource_missing"
    assert answer.error["param"] == "customer"
    assert await setup_events(sim) == []
    missing = await sim.stripe("GET", "/v1/setup_intents/seti_nope")
    assert missing.status == 404
    assert missing.error["message"] == "No such setupintent: 'seti_nope'"


async def test_confirm_without_a_method_and_return_url_without_confirm_are_refused(
        sim: Sim) -> None:
    seti = (await setup(sim)).body
    answer = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/confirm")
    assert (answer.status, answer.error["code"]) == (400, UNEXPECTED)
    assert answer.error["message"].startswith("You cannot confirm this SetupIntent because "
                                              "it's missing a payment method.")
    refused = await setup(sim, return_url="https://shop.example/x")
    assert (refused.status, refused.error["param"]) == (400, "return_url")
    both = await setup(sim, automatic_payment_methods={"enabled": True},
                       payment_method_types=["card"])
    assert both.status == 400
    auto = (await setup(sim, automatic_payment_methods={"enabled": True})).body
    assert auto["automatic_payment_methods"] == {"enabled": True, "allow_redirects": "always"}


async def test_cancel_only_before_success(sim: Sim) -> None:
    seti = (await setup(sim, payment_method="pm_card_visa")).body
    canceled = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/cancel",
                                {"cancellation_reason": "requested_by_customer"})
    assert canceled.status == 200, canceled.body
    check("stripe/setup_intent", canceled.body)
    assert (canceled.body["status"], canceled.body["cancellation_reason"]) == (
        "canceled", "requested_by_customer")
    again = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/cancel")
    assert (again.status, again.error["code"]) == (400, UNEXPECTED)
    assert again.error["message"] == (
        "You cannot cancel this SetupIntent because it has a status of canceled. Only a "
        "SetupIntent with one of the following statuses may be canceled: "
        "requires_payment_method, requires_confirmation, requires_action.")
    confirm = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/confirm")
    assert confirm.status == 400
    bad = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/cancel",
                           {"cancellation_reason": "fraudulent"})
    assert (bad.status, bad.error["param"]) == (400, "cancellation_reason")
    assert (await setup_events(sim))[-1] == "setup_intent.canceled"


async def test_update_changes_fields_and_the_method_only_before_success(sim: Sim) -> None:
    cus = customer(sim)
    seti = (await setup(sim, metadata={"a": "1"})).body
    changed = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}", {
        "customer": cus, "description": "Card on file", "metadata": {"b": "2"},
        "payment_method": "pm_card_visa"})
    assert changed.status == 200, changed.body
    body = changed.body
    assert (body["customer"], body["description"], body["status"]) == (
        cus, "Card on file", "requires_confirmation")
    assert body["metadata"] == {"a": "1", "b": "2"}
    await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}/confirm")
    late = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}",
                            {"payment_method": "pm_card_mastercard"})
    assert (late.status, late.error["code"], late.error["param"]) == (
        400, UNEXPECTED, "payment_method")
    fine = await sim.stripe("POST", f"/v1/setup_intents/{seti['id']}",
                            {"metadata": {"c": "3"}})
    assert fine.status == 200 and fine.body["metadata"]["c"] == "3"


async def test_list_filters_by_customer_and_method_and_pages(sim: Sim) -> None:
    cus, other = customer(sim), customer(sim, "other@example.com")
    first = (await setup(sim, customer=cus, payment_method="pm_card_visa", confirm=True)).body
    second = (await setup(sim, customer=cus)).body
    await setup(sim, customer=other)
    mine = (await sim.stripe("GET", "/v1/setup_intents", {"customer": cus})).body
    check("stripe/list#/$defs/setup_intents", mine)
    assert [s["id"] for s in mine["data"]] == [second["id"], first["id"]]
    by_method = (await sim.stripe("GET", "/v1/setup_intents",
                                  {"payment_method": first["payment_method"]})).body
    assert [s["id"] for s in by_method["data"]] == [first["id"]]
    page = (await sim.stripe("GET", "/v1/setup_intents", {"limit": 1})).body
    assert page["has_more"] and page["url"] == "/v1/setup_intents"
    expanded = (await sim.stripe("GET", f"/v1/setup_intents/{first['id']}",
                                 {"expand[]": "payment_method"})).body
    assert expanded["payment_method"]["id"] == first["payment_method"]
    unknown = await sim.stripe("GET", "/v1/setup_intents", {"bogus": "1"})
    assert unknown.status == 400


async def test_a_method_of_another_customer_is_refused(sim: Sim) -> None:
    cus, other = customer(sim), customer(sim, "other@example.com")
    first = (await setup(sim, customer=cus, payment_method="pm_card_visa", confirm=True)).body
    answer = await setup(sim, customer=other, payment_method=first["payment_method"],
                         confirm=True)
    assert answer.status == 400 and answer.error["param"] == "payment_method"
    assert method_doc(sim, first["payment_method"])["customer"] == cus


async def test_another_tenants_setups_and_methods_are_missing(sim: Sim) -> None:
    cus = customer(sim)
    seti = (await setup(sim, customer=cus, payment_method="pm_card_visa", confirm=True)).body
    for method, path in (("GET", ""), ("POST", ""), ("POST", "/confirm"), ("POST", "/cancel")):
        hidden = await sim.stripe(method, f"/v1/setup_intents/{seti['id']}{path}", key=OTHER_KEY)
        assert (hidden.status, hidden.error["code"]) == (404, "resource_missing"), path
    theirs = await sim.stripe("POST", "/v1/setup_intents", key=OTHER_KEY, data={
        "payment_method": seti["payment_method"], "confirm": "true"})
    assert (theirs.error["code"], theirs.error["param"]) == ("resource_missing", "payment_method")
    listed = await sim.stripe("GET", "/v1/setup_intents", key=OTHER_KEY,
                              data={"payment_method": seti["payment_method"]})
    assert listed.body["data"] == []
    assert sim.domain.setups.get(sim.tenant, seti["id"])["status"] == v.SUCCEEDED
