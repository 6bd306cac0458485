"""Checkout in setup mode through an in-process simulator: the Save card page, the
session completing with its SetupIntent, `customer` and `customer_creation` on sessions."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.test_inprocess_setup import check, customer, method_doc, setup_events


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


# -- Checkout in setup mode ------------------------------------------------------------------
SUCCESS = "https://shop.example/saved?session={CHECKOUT_SESSION_ID}"
CARD = {"email": "saver@example.com", "cardnumber": "4242 4242 4242 4242", "expiry": "12 / 34",
        "cvc": "123", "name": "Mei Lin"}


async def setup_session(sim: Sim, **params: Any) -> dict[str, Any]:
    answer = await sim.stripe("POST", "/v1/checkout/sessions", {
        "mode": "setup", "success_url": SUCCESS, "cancel_url": "https://shop.example/c",
        **params})
    assert answer.status == 200, answer.body
    check("stripe/checkout_session", answer.body)
    return answer.body


async def test_a_setup_session_saves_the_card_to_its_customer(sim: Sim) -> None:
    cus = customer(sim)
    session = await setup_session(sim, customer=cus, currency="USD",
                                  setup_intent_data={"metadata": {"plan": "tea"}})
    assert (session["mode"], session["payment_status"], session["customer"]) == (
        "setup", "no_payment_required", cus)
    assert (session["amount_total"], session["currency"], session["setup_intent"]) == (
        None, "usd", None)
    shown = await sim.page("GET", session["url"])
    assert shown.status == 200 and "Save card" in shown.text and "saver@example.com" in shown.text
    assert "wallet" not in shown.text.lower()
    saved = await sim.page("POST", session["url"], CARD)
    assert saved.status == 303, saved.text
    assert saved.headers["Location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"])
    done = (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}",
                             {"expand[]": "setup_intent"})).body
    check("stripe/checkout_session", done)
    assert (done["status"], done["payment_status"], done["payment_intent"]) == (
        "complete", "no_payment_required", None)
    seti = done["setup_intent"]
    assert (seti["status"], seti["customer"], seti["metadata"]) == (
        "succeeded", cus, {"plan": "tea"})
    assert method_doc(sim, seti["payment_method"])["customer"] == cus
    again = await sim.page("POST", session["url"], CARD)
    assert again.status == 303
    assert len((await sim.stripe("GET", "/v1/setup_intents")).body["data"]) == 1
    assert (await setup_events(sim)).count("checkout.session.completed") == 1


async def test_a_setup_session_with_3ds_and_a_decline(sim: Sim) -> None:
    session = await setup_session(sim)
    declined = await sim.page("POST", session["url"], {**CARD, "cardnumber": "4000000000000002"})
    assert declined.status == 402 and "Your card was declined." in declined.text
    challenged = await sim.page("POST", session["url"], {**CARD, "cardnumber": "4000002500003155"})
    assert challenged.status == 303
    url = challenged.headers["Location"]
    assert "/stripe/3ds/authenticate?setup_intent=seti_" in url
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    back = await sim.page("POST", "/stripe/3ds/authenticate", {**query, "result": "passed"})
    assert urllib.parse.urlsplit(back.headers["Location"]).path.endswith("/return")
    done = (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body
    assert done["status"] == "complete" and done["setup_intent"] == query["setup_intent"]
    seti = sim.domain.setups.get(sim.tenant, query["setup_intent"])
    saved = method_doc(sim, seti["payment_method"])
    assert (saved["customer"], saved["set_up"]) == (None, True)  # no customer: not attached


async def test_setup_mode_refuses_payment_parameters_and_unknown_customers(sim: Sim) -> None:
    for extra in ({"line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}}]},
                  {"payment_intent_data": {"description": "x"}}):
        answer = await sim.stripe("POST", "/v1/checkout/sessions", {
            "mode": "setup", "success_url": SUCCESS, **extra})
        name = next(iter(extra))
        assert (answer.status, answer.error["param"], answer.error["message"]) == (
            400, name, f"You can not pass `{name}` in `setup` mode."), answer.body
    for mode in ("setup", "payment"):
        missing = await sim.stripe("POST", "/v1/checkout/sessions", {
            "mode": mode, "success_url": SUCCESS, "customer": "cus_DoesNotExist",
            "amount": 500, "currency": "usd"} if mode == "payment" else {
            "mode": mode, "success_url": SUCCESS, "customer": "cus_DoesNotExist"})
        assert (missing.status, missing.error["code"], missing.error["param"]) == (
            400, "resource_missing", "customer")
    both = await sim.stripe("POST", "/v1/checkout/sessions", {
        "mode": "setup", "success_url": SUCCESS, "customer": customer(sim),
        "customer_email": "a@example.com"})
    assert both.status == 400
    assert (await sim.stripe("GET", "/v1/checkout/sessions")).body["data"] == []


async def test_a_payment_session_with_a_customer_pays_as_that_customer(sim: Sim) -> None:
    cus = customer(sim)
    answer = await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": SUCCESS, "customer": cus, "amount": 700, "currency": "usd"})
    session = answer.body
    check("stripe/checkout_session", session)
    assert (session["customer"], session["setup_intent"]) == (cus, None)
    assert "saver@example.com" in (await sim.page("GET", session["url"])).text
    assert (await sim.page("POST", session["url"], CARD)).status == 303
    done = (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body
    pay = (await sim.stripe("GET", f"/v1/payment_intents/{done['payment_intent']}")).body
    assert pay["customer"] == cus and done["payment_status"] == "paid"


@pytest.mark.parametrize("mode", ["setup", "payment"])
async def test_customer_creation_always_makes_the_shopper_a_customer(sim: Sim, mode: str) -> None:
    extra = {"amount": 500, "currency": "usd"} if mode == "payment" else {}
    session = (await sim.stripe("POST", "/v1/checkout/sessions", {
        "mode": mode, "success_url": SUCCESS, "customer_creation": "always", **extra})).body
    assert (session["customer"], session["customer_creation"]) == (None, "always")
    assert (await sim.page("POST", session["url"], CARD)).status == 303
    done = (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body
    check("stripe/checkout_session", done)
    made = sim.domain.customers.get(sim.tenant, done["customer"])
    assert (made["email"], made["name"]) == ("saver@example.com", "Mei Lin")
    if mode == "setup":
        seti = sim.domain.setups.get(sim.tenant, done["setup_intent"])
        assert method_doc(sim, seti["payment_method"])["customer"] == made["id"]
    both = await sim.stripe("POST", "/v1/checkout/sessions", {
        "mode": mode, "success_url": SUCCESS, "customer_creation": "always",
        "customer": made["id"], **extra})
    assert both.status == 400


async def test_expiring_a_setup_session_cancels_its_open_setup(sim: Sim) -> None:
    session = await setup_session(sim)
    await sim.page("POST", session["url"], {**CARD, "cardnumber": "4000002500003155"})
    expired = await sim.stripe("POST", f"/v1/checkout/sessions/{session['id']}/expire")
    assert expired.status == 200 and expired.body["status"] == "expired"
    seti = (await sim.stripe("GET", f"/v1/setup_intents/{expired.body['setup_intent']}")).body
    assert (seti["status"], seti["cancellation_reason"]) == ("canceled", "abandoned")


async def test_a_failed_challenge_brings_the_shopper_back_to_the_form(sim: Sim) -> None:
    session = await setup_session(sim)
    challenged = await sim.page("POST", session["url"], {**CARD, "cardnumber": "4000002500003155"})
    url = challenged.headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    back = await sim.page("POST", "/stripe/3ds/authenticate", {**query, "result": "failed"})
    landed = await sim.page("GET", back.headers["Location"])
    assert landed.status == 402 and "unable to authenticate" in landed.text
    assert "Save card" in landed.text and "saver@example.com" in landed.text
    assert (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body[
        "status"] == "open"
    retried = await sim.page("POST", session["url"], CARD)
    assert retried.status == 303
    done = (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body
    assert done["status"] == "complete" and done["setup_intent"] == query["setup_intent"]
