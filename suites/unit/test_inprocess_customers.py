"""Customers, saved cards and off-session payments through the HTTP API of an in-process
simulator: what a merchant's integration sees, and what the store holds behind it."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.simulator.core.errors import InvalidRequest
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, contracts, start

NO_CUSTOMER = "No such customer: 'cus_DoesNotExist'"
AUTH_REQUIRED = "Your card was declined. This transaction requires authentication."


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def ok(answer: Answer, contract: str | None = None) -> dict[str, Any]:
    """A 200 answer's body, checked against its response contract when named."""
    assert answer.status == 200, answer.body
    if contract is not None:
        errors = contracts().errors(
            f"https://paylab.dev/contracts/stripe/{contract}.schema.json", answer.body)
        assert not errors, errors
    return answer.body


def refused(answer: Answer, status: int, code: str | None, message: str,
            param: str | None = None, error_type: str = "invalid_request_error"
            ) -> dict[str, Any]:
    """Stripe's error envelope, exactly."""
    assert answer.status == status, answer.body
    error = answer.error
    assert (error["type"], error.get("code"), error["message"]) == (error_type, code, message)
    assert error.get("param") == param
    return error


async def customer(sim: Sim, **fields: Any) -> dict[str, Any]:
    return ok(await sim.stripe("POST", "/v1/customers", fields), "customer")


async def saved(sim: Sim, cus: str, card: str = "pm_card_visa") -> dict[str, Any]:
    """A card saved to a customer (attach of a test token)."""
    return ok(await sim.stripe("POST", f"/v1/payment_methods/{card}/attach",
                               {"customer": cus}), "payment_method")


async def off_session(sim: Sim, cus: str, pm: str, amount: int = 1500) -> Answer:
    return await sim.stripe("POST", "/v1/payment_intents", {
        "amount": amount, "currency": "eur", "customer": cus, "payment_method": pm,
        "off_session": "true", "confirm": "true"})


async def pass_challenge(sim: Sim, pay: dict[str, Any]) -> None:
    url = pay["next_action"]["redirect_to_url"]["url"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    back = await sim.page("POST", "/stripe/3ds/authenticate", {
        "payment_intent": query["payment_intent"], "client_secret": query["client_secret"],
        "result": "passed"})
    assert back.status in (200, 303), back.text


# -- customers ---------------------------------------------------------------------------------
async def test_a_customer_is_created_with_its_fields_and_retrieved(sim: Sim) -> None:
    made = await customer(
        sim, name="林小明", email="ming@example.tw", phone="+886912345678",
        description="VIP", metadata={"crm": "42"}, preferred_locales=["zh-TW", "en"],
        balance=-500, address={"city": "Taipei", "country": "TW"},
        shipping={"name": "Ming", "address": {"line1": "1 Road"}})
    assert made["id"].startswith("cus_") and made["object"] == "customer"
    assert (made["name"], made["email"], made["phone"], made["description"]) == (
        "林小明", "ming@example.tw", "+886912345678", "VIP")
    assert made["metadata"] == {"crm": "42"} and made["balance"] == -500
    assert made["preferred_locales"] == ["zh-TW", "en"]
    assert made["address"] == {"city": "Taipei", "country": "TW", "line1": None,
                               "line2": None, "postal_code": None, "state": None}
    assert made["shipping"]["name"] == "Ming" and made["shipping"]["address"]["line1"] == "1 Road"
    assert made["invoice_settings"]["default_payment_method"] is None
    assert made["livemode"] is False and made["delinquent"] is False
    got = ok(await sim.stripe("GET", f"/v1/customers/{made['id']}"), "customer")
    assert got == made
    assert await sim.event_types() == ["customer.created"]


async def test_update_changes_clears_and_merges(sim: Sim) -> None:
    made = await customer(sim, name="A", email="a@example.com", metadata={"k": "1", "j": "2"})
    changed = ok(await sim.stripe("POST", f"/v1/customers/{made['id']}", {
        "name": "B", "email": "", "metadata": {"k": "", "n": "3"}}), "customer")
    assert (changed["name"], changed["email"]) == ("B", None)
    assert changed["metadata"] == {"j": "2", "n": "3"}
    event = (await sim.events())[0]
    assert event["type"] == "customer.updated"
    assert event["data"]["previous_attributes"]["name"] == "A"


async def test_list_filters_by_email_and_pages(sim: Sim) -> None:
    first = await customer(sim, email="x@example.com")
    second = await customer(sim, email="y@example.com")
    third = await customer(sim, email="x@example.com")
    listed = ok(await sim.stripe("GET", "/v1/customers", {"email": "x@example.com"}))
    assert [c["id"] for c in listed["data"]] == [third["id"], first["id"]]
    assert listed["url"] == "/v1/customers"
    page = ok(await sim.stripe("GET", "/v1/customers", {"limit": 1,
                                                        "starting_after": third["id"]}))
    assert [c["id"] for c in page["data"]] == [second["id"]] and page["has_more"]


async def test_a_deleted_customer_answers_its_stub_and_is_gone_elsewhere(sim: Sim) -> None:
    made = await customer(sim, email="gone@example.com")
    pm = await saved(sim, made["id"])
    stub = {"id": made["id"], "object": "customer", "deleted": True}
    assert ok(await sim.stripe("DELETE", f"/v1/customers/{made['id']}"), "customer") == stub
    assert ok(await sim.stripe("GET", f"/v1/customers/{made['id']}"), "customer") == stub
    refused(await sim.stripe("POST", f"/v1/customers/{made['id']}", {"name": "x"}), 404,
            "resource_missing", f"No such customer: '{made['id']}'", "customer")
    refused(await sim.stripe("DELETE", f"/v1/customers/{made['id']}"), 404,
            "resource_missing", f"No such customer: '{made['id']}'", "customer")
    assert ok(await sim.stripe("GET", "/v1/customers"))["data"] == []
    detached = ok(await sim.stripe("GET", f"/v1/payment_methods/{pm['id']}"))
    assert detached["customer"] is None
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "customer": made["id"]}), 400,
        "resource_missing", f"No such customer: '{made['id']}'", "customer")
    assert (await sim.event_types())[-1] == "customer.deleted"


async def test_customers_are_per_key(sim: Sim) -> None:
    made = await customer(sim, name="mine")
    other = await sim.stripe("GET", f"/v1/customers/{made['id']}", key=OTHER_KEY)
    refused(other, 404, "resource_missing", f"No such customer: '{made['id']}'", "customer")


async def test_create_with_a_payment_method_saves_it_as_the_default(sim: Sim) -> None:
    made = await customer(sim, payment_method="pm_card_visa",
                          invoice_settings={"default_payment_method": "pm_card_visa"})
    default = made["invoice_settings"]["default_payment_method"]
    assert default.startswith("pm_")
    methods = ok(await sim.stripe("GET", f"/v1/customers/{made['id']}/payment_methods"))
    assert [m["id"] for m in methods["data"]] == [default]
    assert methods["data"][0]["customer"] == made["id"]
    assert await sim.event_types() == ["customer.created", "payment_method.attached"]


async def test_the_default_method_must_be_saved_to_the_customer(sim: Sim) -> None:
    made = await customer(sim)
    loose = ok(await sim.stripe("POST", "/v1/payment_methods", {
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2040}}))
    message = (f"The customer does not have a payment method with the ID {loose['id']}. "
               "The payment method must be attached to the customer.")
    refused(await sim.stripe("POST", f"/v1/customers/{made['id']}", {
        "invoice_settings": {"default_payment_method": loose["id"]}}), 400,
        "parameter_invalid_string", message, "invoice_settings[default_payment_method]")
    pm = await saved(sim, made["id"], loose["id"])
    set_default = ok(await sim.stripe("POST", f"/v1/customers/{made['id']}", {
        "invoice_settings": {"default_payment_method": pm["id"]}}), "customer")
    assert set_default["invoice_settings"]["default_payment_method"] == pm["id"]
    events = ok(await sim.stripe("GET", "/v1/events", {"type": "customer.updated"}))
    assert events["data"][0]["data"]["previous_attributes"] == {
        "invoice_settings": {"default_payment_method": None}}  # in Stripe's words
    await sim.stripe("POST", f"/v1/payment_methods/{pm['id']}/detach")
    after = ok(await sim.stripe("GET", f"/v1/customers/{made['id']}"))
    assert after["invoice_settings"]["default_payment_method"] is None


async def test_customer_parameters_are_checked(sim: Sim) -> None:
    refused(await sim.stripe("POST", "/v1/customers", {"phone": "1" * 21}), 400,
            "parameter_invalid_string_length",
            f"Invalid string: {'1' * 21}; must be at most 20 characters", "phone")
    refused(await sim.stripe("POST", "/v1/customers", {"tax_id_data": "x"}), 400,
            "parameter_unknown", "Received unknown parameter: tax_id_data", "tax_id_data")
    assert ok(await sim.stripe("GET", "/v1/customers"))["data"] == []


# -- saving cards ------------------------------------------------------------------------------
async def test_attach_detach_and_the_lists(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = await saved(sim, cus)
    assert pm["customer"] == cus and pm["card"]["last4"] == "4242"
    again = await saved(sim, cus, pm["id"])
    assert again["id"] == pm["id"]
    listed = ok(await sim.stripe("GET", "/v1/payment_methods", {"customer": cus}))
    assert [m["id"] for m in listed["data"]] == [pm["id"]]
    assert listed["url"] == "/v1/payment_methods"
    assert ok(await sim.stripe("GET", "/v1/payment_methods",
                               {"customer": cus, "type": "sepa_debit"}))["data"] == []
    other = (await customer(sim))["id"]
    refused(await sim.stripe("POST", f"/v1/payment_methods/{pm['id']}/attach",
                             {"customer": other}), 400, "parameter_invalid_string",
            "The payment method you provided has already been attached to a customer.",
            "payment_method")
    detached = ok(await sim.stripe("POST", f"/v1/payment_methods/{pm['id']}/detach"),
                  "payment_method")
    assert detached["customer"] is None
    refused(await sim.stripe("POST", f"/v1/payment_methods/{pm['id']}/detach"), 400,
            "parameter_invalid_string", "The payment method you provided is not attached to "
            "a customer so detachment is impossible.", "payment_method")
    empty = ok(await sim.stripe("GET", f"/v1/customers/{cus}/payment_methods"))
    assert empty["data"] == [] and empty["url"] == f"/v1/customers/{cus}/payment_methods"
    assert await sim.event_types() == ["customer.created", "payment_method.attached",
                                       "customer.created", "payment_method.detached"]


async def test_attach_refuses_unknown_customers_and_methods(sim: Sim) -> None:
    refused(await sim.stripe("POST", "/v1/payment_methods/pm_card_visa/attach",
                             {"customer": "cus_DoesNotExist"}), 400, "resource_missing",
            NO_CUSTOMER, "customer")
    refused(await sim.stripe("GET", "/v1/customers/cus_DoesNotExist/payment_methods"), 404,
            "resource_missing", NO_CUSTOMER, "customer")
    refused(await sim.stripe("GET", "/v1/payment_methods", {"customer": "cus_DoesNotExist"}),
            400, "resource_missing", NO_CUSTOMER, "customer")
    cus = (await customer(sim))["id"]
    refused(await sim.stripe("POST", "/v1/payment_methods/pm_nothing/attach",
                             {"customer": cus}), 404, "resource_missing",
            "No such PaymentMethod: 'pm_nothing'", "payment_method")
    refused(await sim.stripe("POST", "/v1/payment_methods/pm_card_visa/attach"), 400,
            "parameter_missing", "Missing required param: customer.", "customer")


async def test_a_declining_card_is_not_saved_a_3ds_card_is(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    error = refused(await sim.stripe("POST", "/v1/payment_methods/pm_card_chargeDeclined/attach",
                                     {"customer": cus}), 402, "card_declined",
                    "Your card was declined.", error_type="card_error")
    assert error["decline_code"] == "generic_decline"
    assert ok(await sim.stripe("GET", f"/v1/customers/{cus}/payment_methods"))["data"] == []
    assert ok(await sim.stripe("GET", "/v1/payment_methods"))["data"] == []
    assert (await saved(sim, cus, "pm_card_authenticationRequired"))["customer"] == cus
    assert (await saved(sim, cus, "pm_card_chargeCustomerFail"))["customer"] == cus


async def test_update_a_saved_method(sim: Sim) -> None:
    loose = ok(await sim.stripe("POST", "/v1/payment_methods", {
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2040}}))
    refused(await sim.stripe("POST", f"/v1/payment_methods/{loose['id']}",
                             {"metadata": {"a": "1"}}), 400, "parameter_invalid_string",
            "You must save this PaymentMethod to a customer before you can update it.")
    cus = (await customer(sim))["id"]
    await saved(sim, cus, loose["id"])
    changed = ok(await sim.stripe("POST", f"/v1/payment_methods/{loose['id']}", {
        "billing_details": {"name": "Ming", "email": "ming@example.tw"},
        "card": {"exp_month": 3, "exp_year": 2041}, "metadata": {"a": "1"},
        "allow_redisplay": "always"}), "payment_method")
    assert (changed["billing_details"]["name"], changed["billing_details"]["email"]) == (
        "Ming", "ming@example.tw")
    assert (changed["card"]["exp_month"], changed["card"]["exp_year"]) == (3, 2041)
    assert changed["metadata"] == {"a": "1"} and changed["allow_redisplay"] == "always"
    event = (await sim.events())[0]
    assert event["type"] == "payment_method.updated"
    assert event["data"]["previous_attributes"]["card"] == {"exp_month": 12, "exp_year": 2040}
    error = refused(await sim.stripe("POST", f"/v1/payment_methods/{loose['id']}",
                                     {"card": {"exp_year": 2001}}), 402, "invalid_expiry_year",
                    "Your card's expiration year is invalid.", "card[exp_year]",
                    error_type="card_error")
    assert error
    assert ok(await sim.stripe("GET", f"/v1/payment_methods/{loose['id']}"))["card"][
        "exp_year"] == 2041


# -- PaymentIntents with customers ---------------------------------------------------------------
async def test_an_unknown_customer_is_refused_and_nothing_is_created(sim: Sim) -> None:
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "customer": "cus_DoesNotExist", "confirm": "true",
        "payment_method": "pm_card_visa"}), 400, "resource_missing", NO_CUSTOMER, "customer")
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []
    assert await sim.event_types() == []
    pay = ok(await sim.stripe("POST", "/v1/payment_intents", {"amount": 100,
                                                              "currency": "usd"}))
    refused(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}",
                             {"customer": "cus_DoesNotExist"}), 400, "resource_missing",
            NO_CUSTOMER, "customer")


async def test_a_saved_method_pays_only_for_its_customer(sim: Sim) -> None:
    cus, other = (await customer(sim))["id"], (await customer(sim))["id"]
    pm = (await saved(sim, cus))["id"]
    refused(await sim.pay(card=pm, customer=other), 400, "parameter_invalid_string",
            f"The customer does not have a payment method with the ID {pm}. The payment "
            "method must be attached to the customer.", "payment_method")
    refused(await sim.pay(card=pm), 400, "parameter_invalid_string",
            f"The payment method supplied ({pm}) belongs to the Customer {cus}. Please "
            "include the Customer in the `customer` parameter on the PaymentIntent.",
            "customer")
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []
    assert ok(await sim.pay(card=pm, customer=cus), "payment_intent")["customer"] == cus


async def test_payment_intent_fields(sim: Sim) -> None:
    pay = ok(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "automatic_payment_methods": {"enabled": "true"},
        "shipping": {"name": "Ming", "carrier": "DHL", "tracking_number": "T1",
                     "address": {"line1": "1 Road", "country": "TW"}},
        "statement_descriptor": "PAYLAB SHOP", "statement_descriptor_suffix": "ORDER 42",
        "receipt_email": "ming@example.tw", "setup_future_usage": "off_session"}),
        "payment_intent")
    assert pay["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    assert pay["payment_method_types"] == ["card"]
    assert pay["shipping"] == {
        "address": {"city": None, "country": "TW", "line1": "1 Road", "line2": None,
                    "postal_code": None, "state": None},
        "carrier": "DHL", "name": "Ming", "phone": None, "tracking_number": "T1"}
    assert (pay["statement_descriptor"], pay["statement_descriptor_suffix"]) == (
        "PAYLAB SHOP", "ORDER 42")
    assert (pay["receipt_email"], pay["setup_future_usage"]) == (
        "ming@example.tw", "off_session")
    changed = ok(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {
        "shipping": "", "setup_future_usage": "", "statement_descriptor_suffix": "X"}),
        "payment_intent")
    assert (changed["shipping"], changed["setup_future_usage"]) == (None, None)
    assert changed["statement_descriptor_suffix"] == "X"
    never = ok(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd",
        "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"}}))
    assert never["automatic_payment_methods"]["allow_redirects"] == "never"


async def test_payment_intent_field_refusals(sim: Sim) -> None:
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "automatic_payment_methods": {"enabled": "true"},
        "payment_method_types": ["card"]}), 400, "parameter_unknown",
        "You may only specify one of these parameters: automatic_payment_methods, "
        "payment_method_types.", "automatic_payment_methods")
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "statement_descriptor_suffix": "X" * 23}), 400,
        "parameter_invalid_string_length",
        f"Invalid string: {'X' * 23}; must be at most 22 characters",
        "statement_descriptor_suffix")
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "off_session": "true",
        "payment_method": "pm_card_visa"}), 400, "parameter_invalid_string",
        "You may only specify `off_session` when `confirm` is true.", "off_session")
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []


# -- off-session payments with saved cards -----------------------------------------------------
async def test_a_saved_visa_pays_off_session(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = (await saved(sim, cus))["id"]
    pay = ok(await off_session(sim, cus, pm), "payment_intent")
    assert (pay["status"], pay["customer"], pay["payment_method"]) == ("succeeded", cus, pm)


async def test_a_card_that_always_asks_fails_off_session_with_authentication_required(
        sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = (await saved(sim, cus, "pm_card_authenticationRequired"))["id"]
    answer = await off_session(sim, cus, pm)
    error = refused(answer, 402, "authentication_required", AUTH_REQUIRED,
                    error_type="card_error")
    assert error["decline_code"] == "authentication_required"
    assert error["payment_intent"]["status"] == "requires_payment_method"
    last = error["payment_intent"]["last_payment_error"]
    assert (last["code"], last["decline_code"], last["type"]) == (
        "authentication_required", "authentication_required", "card_error")
    assert error["payment_method"]["id"] == pm
    charge = ok(await sim.stripe("GET", f"/v1/charges/{error['charge']}"))
    assert (charge["status"], charge["failure_code"]) == ("failed", "authentication_required")
    assert (await sim.event_types())[-2:] == ["charge.failed", "payment_intent.payment_failed"]


async def test_a_card_asking_once_pays_off_session_after_a_setup(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    before = (await saved(sim, cus, "pm_card_authenticationRequiredOnSetup"))["id"]
    refused(await off_session(sim, cus, before), 402, "authentication_required",
            AUTH_REQUIRED, error_type="card_error")
    first = ok(await sim.pay(card="pm_card_authenticationRequiredOnSetup", customer=cus,
                             setup_future_usage="off_session"), "payment_intent")
    assert first["status"] == "requires_action"
    await pass_challenge(sim, first)
    done = ok(await sim.stripe("GET", f"/v1/payment_intents/{first['id']}"))
    assert done["status"] == "succeeded"
    method = ok(await sim.stripe("GET", f"/v1/payment_methods/{done['payment_method']}"))
    assert method["customer"] == cus
    later = ok(await off_session(sim, cus, method["id"]), "payment_intent")
    assert later["status"] == "succeeded"


async def test_a_charge_customer_fail_card_saves_then_declines(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = (await saved(sim, cus, "pm_card_chargeCustomerFail"))["id"]
    error = refused(await off_session(sim, cus, pm), 402, "card_declined",
                    "Your card was declined.", error_type="card_error")
    assert error["decline_code"] == "generic_decline"
    assert error["payment_intent"]["status"] == "requires_payment_method"


async def test_setup_future_usage_without_customer_sets_up_but_saves_to_nobody(
        sim: Sim) -> None:
    pay = ok(await sim.pay(card="pm_card_visa", setup_future_usage="on_session"))
    assert pay["status"] == "succeeded" and pay["setup_future_usage"] == "on_session"
    method = sim.domain.methods.get(sim.tenant, pay["payment_method"])
    assert method["customer"] is None and method["set_up"] is True


async def test_confirm_off_session_on_an_existing_payment(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = (await saved(sim, cus, "pm_card_authenticationRequired"))["id"]
    pay = ok(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 700, "currency": "usd", "customer": cus, "payment_method": pm}))
    answer = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                              {"off_session": "recurring"})
    refused(answer, 402, "authentication_required", AUTH_REQUIRED, error_type="card_error")
    on_session = ok(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                                     {"payment_method": pm}))
    assert on_session["status"] == "requires_action"


async def test_payments_are_filed_under_their_customer(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    mine = ok(await sim.pay(customer=cus))["id"]
    ok(await sim.pay())
    later = ok(await sim.stripe("POST", "/v1/payment_intents", {"amount": 900,
                                                                "currency": "usd"}))["id"]
    ok(await sim.stripe("POST", f"/v1/payment_intents/{later}", {"customer": cus}))
    docs, more = sim.domain.payments.page(sim.tenant, customer=cus)
    assert [d["id"] for d in docs] == [later, mine] and not more
    with pytest.raises(InvalidRequest) as missing:
        sim.domain.payments.page(sim.tenant, customer="cus_DoesNotExist")
    assert missing.value.param == "customer"


@pytest.mark.parametrize(("method", "path", "data"), [
    ("POST", "/v1/customers", {"balance": str(2 ** 70)}),
    ("POST", "/v1/customers", {"address": {"city": ["x"]}}),
    ("POST", "/v1/customers", {"shipping": {"address": {"line1": "x"}}}),
    ("POST", "/v1/customers", {"payment_method": "pm_card_chargeDeclined"}),
    ("POST", "/v1/customers", {"invoice_settings": {"default_payment_method": "pm_x"}}),
    ("POST", "/v1/customers", {"preferred_locales": {"a": "b"}}),
    ("GET", "/v1/customers", {"limit": 0}),
    ("GET", "/v1/customers", {"starting_after": "cus_nope"}),
    ("GET", "/v1/customers/cus_nope/payment_methods", {"type": "card"}),
    ("GET", "/v1/payment_methods", {"type": "no_such_type"}),
    ("POST", "/v1/payment_methods/pm_nope", {"metadata": {"a": "b"}}),
    ("POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": ""}),
    ("POST", "/v1/payment_methods/pm_nope/detach", {}),
    ("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd",
                                     "automatic_payment_methods": {"allow_redirects": "never"}}),
    ("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd", "off_session": "maybe",
                                     "confirm": "true"}),
    ("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd",
                                     "setup_future_usage": "later"}),
    ("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd",
                                     "shipping": {"name": "x"}}),
    ("DELETE", "/v1/customers/cus_nope", {}),
], ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None)
async def test_bad_input_gets_an_error_and_changes_nothing(sim: Sim, method: str, path: str,
                                                           data: dict[str, Any]) -> None:
    answer = await sim.stripe(method, path, data)
    assert 400 <= answer.status < 500, answer.body
    errors = contracts().errors("https://paylab.dev/contracts/stripe/error.schema.json",
                                answer.body)
    assert not errors, errors
    assert await sim.event_types() == []
    assert ok(await sim.stripe("GET", "/v1/customers"))["data"] == []
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []


REDIRECTS = ("This PaymentIntent is configured to accept payment methods enabled in your "
             "Dashboard. Because some of these payment methods might redirect your customer "
             "off of your page, you must provide a `return_url`. If you don't want to accept "
             "redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
             "`true` and `automatic_payment_methods[allow_redirects]` to `never` when creating "
             "Setup Intents and Payment Intents.")


async def test_automatic_payment_methods_need_a_return_url_to_confirm(sim: Sim) -> None:
    refused(await sim.pay(automatic_payment_methods={"enabled": "true"}), 400,
            "parameter_invalid_string", REDIRECTS)
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []
    pay = ok(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 900, "currency": "usd", "automatic_payment_methods": {"enabled": "true"}}))
    refused(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                             {"payment_method": "pm_card_visa"}), 400,
            "parameter_invalid_string", REDIRECTS)
    assert ok(await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}"))["status"] == (
        "requires_payment_method")
    done = ok(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm", {
        "payment_method": "pm_card_visa", "return_url": "https://shop.example/back"}))
    assert done["status"] == "succeeded"
    never = ok(await sim.pay(automatic_payment_methods={"enabled": "true",
                                                        "allow_redirects": "never"}))
    assert never["status"] == "succeeded"


async def test_automatic_payment_methods_exclude_a_confirmation_method(sim: Sim) -> None:
    refused(await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 100, "currency": "usd", "automatic_payment_methods": {"enabled": "true"},
        "confirmation_method": "manual"}), 400, "parameter_unknown",
        "You may only specify one of these parameters: automatic_payment_methods, "
        "confirmation_method.", "automatic_payment_methods")


DETACHED = ("The provided PaymentMethod was previously used with a PaymentIntent without "
            "Customer attachment, shared with a connected account without Customer attachment, "
            "or was detached from a Customer. It may not be used again. To use a PaymentMethod "
            "multiple times, you must attach it to a Customer first.")


async def test_a_detached_method_may_not_be_used_again(sim: Sim) -> None:
    cus = (await customer(sim))["id"]
    pm = (await saved(sim, cus))["id"]
    ok(await sim.stripe("POST", f"/v1/payment_methods/{pm}/detach"))
    refused(await sim.stripe("POST", f"/v1/payment_methods/{pm}/attach", {"customer": cus}),
            400, "parameter_invalid_string", DETACHED, "payment_method")
    refused(await sim.pay(card=pm), 400, "parameter_invalid_string", DETACHED,
            "payment_method")
    refused(await sim.pay(card=pm, customer=cus), 400, "parameter_invalid_string", DETACHED,
            "payment_method")
    assert ok(await sim.stripe("GET", "/v1/payment_intents"))["data"] == []
