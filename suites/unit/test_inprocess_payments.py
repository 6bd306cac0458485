"""PaymentIntents, charges and refunds through the HTTP API of an in-process simulator:
what a merchant's integration sees, status by status and error by error."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.simulator.gateways.stripe.wire import KEY_HINT
from paylab.suites.unit.inprocess import KEY, OTHER_KEY, Answer, ClientFactory, Sim, start

UNEXPECTED = "payment_intent_unexpected_state"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def stripe_error(answer: Answer, status: int, code: str, message: str,
                 param: str | None = None, error_type: str = "invalid_request_error") -> dict:
    """Assert Stripe's error envelope, exactly as clients read it."""
    assert answer.status == status, answer.body
    error = answer.error
    assert (error["type"], error["code"], error["message"]) == (error_type, code, message)
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    assert error.get("param") == param
    return error


async def charge_of(sim: Sim, payment: dict) -> dict[str, Any]:
    answer = await sim.stripe("GET", f"/v1/charges/{payment['latest_charge']}")
    assert answer.status == 200, answer.body
    return answer.body


# -- the happy paths --------------------------------------------------------------------------
async def test_a_confirmed_payment_succeeds_with_one_captured_charge(sim: Sim) -> None:
    answer = await sim.pay(2000, "USD", description="Tea", metadata={"order": "42"},
                           receipt_email="buyer@example.com")
    assert answer.status == 200, answer.body
    pay = answer.body
    assert pay["object"] == "payment_intent" and pay["id"].startswith("pi_")
    assert (pay["status"], pay["amount"], pay["currency"]) == ("succeeded", 2000, "usd")
    assert (pay["amount_received"], pay["amount_capturable"]) == (2000, 0)
    assert pay["capture_method"] == "automatic" and pay["confirmation_method"] == "automatic"
    assert pay["client_secret"].startswith(pay["id"] + "_secret_")
    assert len(pay["client_secret"]) == len(pay["id"]) + len("_secret_") + 24
    assert (pay["description"], pay["metadata"], pay["receipt_email"]) == (
        "Tea", {"order": "42"}, "buyer@example.com")
    assert pay["last_payment_error"] is None and pay["next_action"] is None
    assert pay["payment_method"].startswith("pm_") and pay["payment_method_types"] == ["card"]
    assert pay["canceled_at"] is None and pay["review"] is None
    charge = await charge_of(sim, pay)
    assert (charge["amount"], charge["amount_captured"], charge["amount_refunded"]) == (
        2000, 2000, 0)
    assert charge["captured"] and charge["paid"] and not charge["refunded"]
    assert charge["status"] == "succeeded" and charge["balance_transaction"].startswith("txn_")
    assert (charge["failure_code"], charge["failure_message"]) == (None, None)
    assert (charge["payment_intent"], charge["payment_method"]) == (
        pay["id"], pay["payment_method"])
    assert (charge["description"], charge["metadata"], charge["receipt_email"]) == (
        "Tea", {"order": "42"}, "buyer@example.com")
    assert charge["outcome"] == {
        "type": "authorized", "network_status": "approved_by_network", "reason": None,
        "risk_level": "normal", "risk_score": 20, "seller_message": "Payment complete.",
        "rule": None}
    card = charge["payment_method_details"]["card"]
    assert (card["brand"], card["last4"], card["funding"], card["country"]) == (
        "visa", "4242", "credit", "US")
    assert card["three_d_secure"] is None
    assert await sim.event_types() == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]


async def test_an_unconfirmed_payment_waits_for_a_method_then_for_confirmation(sim: Sim) -> None:
    created = await sim.stripe("POST", "/v1/payment_intents", {"amount": 1500,
                                                               "currency": "eur"})
    pay = created.body
    assert (pay["status"], pay["payment_method"], pay["latest_charge"]) == (
        "requires_payment_method", None, None)
    missing = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm")
    stripe_error(missing, 400, UNEXPECTED,
                 "You cannot confirm this PaymentIntent because it's missing a payment method. "
                 "You can either update the PaymentIntent with a payment method and then "
                 "confirm it again, or confirm it again directly with a payment method.",
                 "payment_method")
    assert missing.error["payment_intent"]["status"] == "requires_payment_method"
    updated = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}",
                               {"payment_method": "pm_card_mastercard"})
    assert updated.body["status"] == "requires_confirmation"
    confirmed = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm", {
        "return_url": "https://shop.example/back", "receipt_email": "a@example.com"})
    assert confirmed.body["status"] == "succeeded"
    assert confirmed.body["receipt_email"] == "a@example.com"
    assert confirmed.body["payment_method"] == updated.body["payment_method"]
    assert (await charge_of(sim, confirmed.body))["payment_method_details"]["card"][
        "brand"] == "mastercard"
    assert await sim.event_types() == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]


async def test_a_payment_created_with_a_method_waits_for_confirmation(sim: Sim) -> None:
    created = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 1500, "currency": "usd", "payment_method": "pm_card_visa"})
    assert created.body["status"] == "requires_confirmation"
    assert created.body["latest_charge"] is None
    confirmed = await sim.stripe("POST", f"/v1/payment_intents/{created.body['id']}/confirm",
                                 {"capture_method": "manual"})
    assert confirmed.body["status"] == "requires_capture"
    assert confirmed.body["capture_method"] == "manual"


async def test_manual_capture_holds_then_captures_part_and_releases_the_rest(sim: Sim) -> None:
    held = (await sim.pay(2000, capture_method="manual")).body
    assert (held["status"], held["amount_capturable"], held["amount_received"]) == (
        "requires_capture", 2000, 0)
    charge = await charge_of(sim, held)
    assert charge["paid"] and not charge["captured"]
    assert (charge["amount_captured"], charge["balance_transaction"]) == (0, None)
    too_much = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/capture",
                                {"amount_to_capture": 2001})
    stripe_error(too_much, 400, "amount_too_large",
                 "The amount to capture must be less than or equal to the amount capturable "
                 "(2000).", "amount_to_capture")
    captured = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/capture",
                                {"amount_to_capture": 1500})
    assert (captured.body["status"], captured.body["amount_received"],
            captured.body["amount_capturable"]) == ("succeeded", 1500, 0)
    charge = await charge_of(sim, held)
    assert charge["captured"] and (charge["amount_captured"], charge["amount_refunded"]) == (
        1500, 500)
    assert await sim.event_types() == [
        "payment_intent.created", "charge.succeeded",
        "payment_intent.amount_capturable_updated", "charge.captured",
        "payment_intent.succeeded"]
    captured_event = (await sim.events(type="charge.captured"))[0]
    assert captured_event["data"]["previous_attributes"] == {
        "captured": False, "amount_captured": 0}
    succeeded = (await sim.events(type="payment_intent.succeeded"))[0]
    assert succeeded["data"]["previous_attributes"] == {"status": "requires_capture"}
    again = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/capture")
    error = stripe_error(again, 400, UNEXPECTED,
                         "You cannot capture this PaymentIntent because it has a status of "
                         "succeeded. Only a PaymentIntent with one of the following statuses "
                         "may be captured: requires_capture.")
    assert (error["payment_intent"]["id"], error["payment_intent"]["status"]) == (
        held["id"], "succeeded")


async def test_a_full_capture_takes_everything_capturable(sim: Sim) -> None:
    held = (await sim.pay(2000, capture_method="manual")).body
    captured = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/capture")
    assert captured.body["amount_received"] == 2000
    charge = await charge_of(sim, held)
    assert (charge["amount_captured"], charge["amount_refunded"]) == (2000, 0)


async def test_canceling_a_hold_releases_it_to_the_card(sim: Sim) -> None:
    held = (await sim.pay(2000, capture_method="manual")).body
    canceled = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/cancel",
                                {"cancellation_reason": "requested_by_customer"})
    assert canceled.status == 200, canceled.body
    pay = canceled.body
    assert (pay["status"], pay["cancellation_reason"], pay["amount_capturable"]) == (
        "canceled", "requested_by_customer", 0)
    assert isinstance(pay["canceled_at"], int) and pay["canceled_at"] >= pay["created"]
    charge = await charge_of(sim, held)
    assert charge["refunded"] and charge["amount_refunded"] == 2000
    assert await sim.event_types() == [
        "payment_intent.created", "charge.succeeded",
        "payment_intent.amount_capturable_updated", "charge.refunded",
        "payment_intent.canceled"]
    refunded = (await sim.events(type="charge.refunded"))[0]
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    again = await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/cancel")
    stripe_error(again, 400, UNEXPECTED,
                 "You cannot cancel this PaymentIntent because it has a status of canceled. "
                 "Only a PaymentIntent with one of the following statuses may be canceled: "
                 "requires_payment_method, requires_capture, requires_confirmation, "
                 "requires_action.")


async def test_canceling_before_any_charge_touches_no_charge(sim: Sim) -> None:
    pay = (await sim.stripe("POST", "/v1/payment_intents", {"amount": 900,
                                                            "currency": "usd"})).body
    canceled = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/cancel")
    assert canceled.body["status"] == "canceled" and canceled.body["cancellation_reason"] is None
    assert await sim.event_types() == ["payment_intent.created", "payment_intent.canceled"]


# -- declines ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("card", "code", "decline_code", "message"), [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card",
     "Your card has expired."),
])
async def test_a_decline_is_a_card_error_and_leaves_the_payment_retryable(
        sim: Sim, card: str, code: str, decline_code: str, message: str) -> None:
    answer = await sim.pay(2000, card=card)
    error = stripe_error(answer, 402, code, message, error_type="card_error")
    assert error["decline_code"] == decline_code and error["charge"].startswith("ch_")
    pay = error["payment_intent"]
    assert (pay["status"], pay["payment_method"], pay["latest_charge"]) == (
        "requires_payment_method", None, error["charge"])
    assert pay["last_payment_error"]["type"] == "card_error"
    assert pay["last_payment_error"]["decline_code"] == decline_code
    assert pay["last_payment_error"]["payment_method"]["id"] == error["payment_method"]["id"]
    charge = (await sim.stripe("GET", f"/v1/charges/{error['charge']}")).body
    assert (charge["status"], charge["paid"], charge["captured"]) == ("failed", False, False)
    assert (charge["failure_code"], charge["failure_message"]) == (code, message)
    assert charge["outcome"]["type"] == "issuer_declined"
    assert charge["outcome"]["network_status"] == "declined_by_network"
    assert charge["outcome"]["reason"] == decline_code
    assert charge["outcome"]["seller_message"] == (
        "The bank did not return any further details with this decline.")
    assert charge["amount_captured"] == 0
    assert await sim.event_types() == [
        "payment_intent.created", "charge.failed", "payment_intent.payment_failed"]
    retried = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                               {"payment_method": "pm_card_visa"})
    assert retried.body["status"] == "succeeded"
    assert retried.body["last_payment_error"] is None
    assert retried.body["latest_charge"] != error["charge"]


async def test_a_blocked_card_is_refused_as_fraudulent(sim: Sim) -> None:
    answer = await sim.pay(2000, card="pm_card_chargeDeclinedFraudulent")
    error = stripe_error(answer, 402, "card_declined", "Your card was declined.",
                         error_type="card_error")
    assert error["decline_code"] == "fraudulent"
    charge = (await sim.stripe("GET", f"/v1/charges/{error['charge']}")).body
    assert charge["outcome"] == {
        "type": "blocked", "network_status": "not_sent_to_network",
        "reason": "highest_risk_level", "risk_level": "highest", "risk_score": 94,
        "seller_message": "Stripe blocked this payment as too risky.", "rule": None}


async def test_an_elevated_risk_card_succeeds_with_its_risk(sim: Sim) -> None:
    pay = (await sim.pay(2000, card="pm_card_riskLevelElevated")).body
    outcome = (await charge_of(sim, pay))["outcome"]
    assert (outcome["risk_level"], outcome["risk_score"]) == ("elevated", 70)


# -- 3-D Secure -------------------------------------------------------------------------------
async def challenge(sim: Sim, pay: dict, result: str) -> Answer:
    url = pay["next_action"]["redirect_to_url"]["url"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    shown = await sim.page("GET", url)
    assert shown.status == 200 and "4242" not in shown.text
    return await sim.page("POST", "/stripe/3ds/authenticate", {
        "payment_intent": query["payment_intent"], "client_secret": query["client_secret"],
        "result": result})


async def test_three_d_secure_passed_then_succeeds_and_returns(sim: Sim) -> None:
    pay = (await sim.pay(2000, card="pm_card_threeDSecure2Required",
                         return_url="https://shop.example/done?order=7")).body
    assert pay["status"] == "requires_action" and pay["latest_charge"] is None
    action = pay["next_action"]
    assert action["type"] == "redirect_to_url"
    assert action["redirect_to_url"]["return_url"] == "https://shop.example/done?order=7"
    assert action["redirect_to_url"]["url"].startswith(
        "http://127.0.0.1:8080/stripe/3ds/authenticate?payment_intent=" + pay["id"])
    back = await challenge(sim, pay, "passed")
    assert back.status == 303
    target = urllib.parse.urlsplit(back.headers["Location"])
    assert target.path == "/done"
    assert dict(urllib.parse.parse_qsl(target.query)) == {
        "order": "7", "payment_intent": pay["id"],
        "payment_intent_client_secret": pay["client_secret"], "redirect_status": "succeeded"}
    done = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body
    assert done["status"] == "succeeded" and done["next_action"] is None
    charge = await charge_of(sim, done)
    assert charge["payment_method_details"]["card"]["three_d_secure"] == {
        "authenticated": True, "result": "authenticated"}
    assert await sim.event_types() == [
        "payment_intent.created", "payment_intent.requires_action", "charge.succeeded",
        "payment_intent.succeeded"]
    finished = await challenge_again(sim, pay)
    assert finished.status == 409


async def challenge_again(sim: Sim, pay: dict) -> Answer:
    return await sim.page("GET", pay["next_action"]["redirect_to_url"]["url"])


@pytest.mark.parametrize("result", ["failed", "abandoned"])
async def test_three_d_secure_failed_or_abandoned_needs_a_new_method(sim: Sim,
                                                                      result: str) -> None:
    pay = (await sim.pay(2000, card="pm_card_threeDSecure2Required",
                         return_url="https://shop.example/done")).body
    back = await challenge(sim, pay, result)
    assert back.status == 303
    assert "redirect_status=failed" in back.headers["Location"]
    failed = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body
    assert (failed["status"], failed["payment_method"]) == ("requires_payment_method", None)
    error = failed["last_payment_error"]
    assert (error["type"], error["code"]) == (
        "invalid_request_error", "payment_intent_authentication_failure")
    assert error["message"] == (
        "The provided PaymentMethod has failed authentication. You can provide "
        "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
        "again.")
    assert error["payment_method"]["id"] == pay["payment_method"]
    assert "decline_code" not in error and "charge" not in error
    assert await sim.event_types() == [
        "payment_intent.created", "payment_intent.requires_action",
        "payment_intent.payment_failed"]


async def test_three_d_secure_then_a_decline_card(sim: Sim) -> None:
    pay = (await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "confirm": "true",
        "payment_method_data": {"type": "card", "card": {
            "number": "4000008400001629", "exp_month": 12, "exp_year": 2040, "cvc": "123"}},
    })).body
    assert pay["status"] == "requires_action"
    back = await challenge(sim, pay, "passed")
    assert back.status == 200 and "Authentication failed" in back.text
    declined = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body
    assert declined["status"] == "requires_payment_method"
    assert declined["last_payment_error"]["decline_code"] == "generic_decline"


async def test_a_challenge_link_needs_the_client_secret(sim: Sim) -> None:
    pay = (await sim.pay(2000, card="pm_card_threeDSecure2Required")).body
    wrong = await sim.page("GET", f"/stripe/3ds/authenticate?payment_intent={pay['id']}"
                                  "&client_secret=nope")
    assert wrong.status == 404
    refused = await sim.page("POST", "/stripe/3ds/authenticate", {
        "payment_intent": pay["id"], "client_secret": pay["client_secret"], "result": "maybe"})
    assert refused.status == 400
    still = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body
    assert still["status"] == "requires_action"
    authenticate = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                                    {"payment_method": "pm_card_visa"})
    assert authenticate.body["status"] == "succeeded"


# -- updates ----------------------------------------------------------------------------------
async def test_updates_change_editable_fields_and_merge_metadata(sim: Sim) -> None:
    pay = (await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 1000, "currency": "usd", "description": "first",
        "metadata": {"a": "1", "b": "2"}})).body
    customer = (await sim.stripe("POST", "/v1/customers", {"name": "Tea buyer"})).body["id"]
    updated = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {
        "amount": 1200, "currency": "EUR", "description": "", "metadata": {"a": "", "c": "3"},
        "statement_descriptor": "TEA SHOP", "customer": customer})
    assert updated.status == 200, updated.body
    doc = updated.body
    assert (doc["amount"], doc["currency"], doc["description"]) == (1200, "eur", None)
    assert doc["metadata"] == {"b": "2", "c": "3"}
    assert (doc["statement_descriptor"], doc["customer"]) == ("TEA SHOP", customer)
    assert doc["status"] == "requires_payment_method"
    cleared = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {"metadata": ""})
    assert cleared.body["metadata"] == {}
    too_small = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {"amount": 10})
    stripe_error(too_small, 400, "amount_too_small", "Amount must be at least 0.50 EUR",
                 "amount")
    assert (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body["amount"] == 1200
    recurrency = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}",
                                  {"currency": "GBP", "receipt_email": "a@example.com",
                                   "capture_method": "manual"})
    assert (recurrency.body["amount"], recurrency.body["currency"]) == (1200, "gbp")
    assert recurrency.body["receipt_email"] == "a@example.com"
    assert recurrency.body["capture_method"] == "manual"
    reamount = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {"amount": 1300})
    assert (reamount.body["amount"], reamount.body["currency"]) == (1300, "gbp")


async def test_money_fields_are_frozen_once_paid(sim: Sim) -> None:
    pay = (await sim.pay(2000)).body
    refused = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {"amount": 3000})
    stripe_error(refused, 400, UNEXPECTED,
                 "You cannot update amount on a PaymentIntent with a status of succeeded.",
                 "amount")
    by_name = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {
        "payment_method": "pm_card_visa", "capture_method": "manual"})
    assert by_name.error["param"] == "capture_method"
    assert by_name.error["payment_intent"]["status"] == "succeeded"
    card = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                     "exp_year": 2040}}
    for field, value in (("currency", "eur"), ("payment_method", "pm_card_visa"),
                         ("payment_method_data", card)):
        frozen = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}", {field: value})
        assert (frozen.status, frozen.error["param"]) == (400, field)
    paid = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).body
    assert (paid["amount"], paid["currency"]) == (2000, "usd")
    described = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}",
                                 {"description": "still editable"})
    assert described.body["description"] == "still editable"


# -- refunds ----------------------------------------------------------------------------------
async def test_partial_refunds_up_to_the_captured_amount(sim: Sim) -> None:
    pay = (await sim.pay(2000)).body
    first = await sim.stripe("POST", "/v1/refunds", {
        "payment_intent": pay["id"], "amount": 500, "reason": "requested_by_customer",
        "metadata": {"ticket": "9"}})
    assert first.status == 200, first.body
    refund = first.body
    assert refund["id"].startswith("re_") and refund["object"] == "refund"
    assert (refund["amount"], refund["currency"], refund["status"]) == (500, "usd", "succeeded")
    assert (refund["charge"], refund["payment_intent"]) == (pay["latest_charge"], pay["id"])
    assert (refund["reason"], refund["metadata"]) == ("requested_by_customer", {"ticket": "9"})
    assert refund["balance_transaction"] == "txn_" + refund["id"][3:]
    charge = await charge_of(sim, pay)
    assert charge["amount_refunded"] == 500 and not charge["refunded"]
    too_much = await sim.stripe("POST", "/v1/refunds", {"charge": pay["latest_charge"],
                                                        "amount": 1501})
    stripe_error(too_much, 400, "amount_too_large",
                 "Refund amount (15.01 USD) is greater than unrefunded amount on charge "
                 "(15.00 USD)", "amount")
    rest = await sim.stripe("POST", "/v1/refunds", {"charge": pay["latest_charge"]})
    assert rest.body["amount"] == 1500
    charge = await charge_of(sim, pay)
    assert charge["amount_refunded"] == 2000 and charge["refunded"]
    done = await sim.stripe("POST", "/v1/refunds", {"payment_intent": pay["id"]})
    stripe_error(done, 400, "charge_already_refunded",
                 f"Charge {pay['latest_charge']} has already been refunded.", "payment_intent")
    by_charge = await sim.stripe("POST", "/v1/refunds", {"charge": pay["latest_charge"]})
    assert by_charge.error["param"] == "charge"
    events = await sim.events(type="charge.refunded")
    assert [e["data"]["previous_attributes"] for e in events] == [
        {"amount_refunded": 500, "refunded": False}, {"amount_refunded": 0, "refunded": False}]
    assert [e["data"]["object"]["amount_refunded"] for e in events] == [2000, 500]
    other = (await sim.pay(3000)).body
    await sim.stripe("POST", "/v1/refunds", {"payment_intent": other["id"], "amount": 100})
    listed = await sim.stripe("GET", "/v1/refunds", {"payment_intent": pay["id"]})
    assert [r["amount"] for r in listed.body["data"]] == [1500, 500]
    by_charge_list = await sim.stripe("GET", "/v1/refunds", {"charge": other["latest_charge"]})
    assert [r["amount"] for r in by_charge_list.body["data"]] == [100]
    every = await sim.stripe("GET", "/v1/refunds", {"limit": 2})
    assert [r["amount"] for r in every.body["data"]] == [100, 1500] and every.body["has_more"]
    one = await sim.stripe("GET", f"/v1/refunds/{refund['id']}")
    assert one.body == refund
    ledger = await sim.control("GET", "/ledger", query={"tenant": KEY})
    assert [(p["refunded"], p["refund_count"]) for p in ledger.body["payments"]] == [
        (2000, 2), (100, 1)]


async def test_a_refund_needs_one_captured_charge(sim: Sim) -> None:
    neither = await sim.stripe("POST", "/v1/refunds", {})
    stripe_error(neither, 400, "parameter_missing",
                 "One of the following params should be provided for this request: "
                 "payment_intent or charge.", "payment_intent")
    pay = (await sim.pay(2000)).body
    both = await sim.stripe("POST", "/v1/refunds", {"payment_intent": pay["id"],
                                                    "charge": pay["latest_charge"]})
    stripe_error(both, 400, "parameter_unknown",
                 "You may only specify one of these parameters: charge, payment_intent.",
                 "payment_intent")
    unpaid = (await sim.stripe("POST", "/v1/payment_intents", {"amount": 900,
                                                               "currency": "usd"})).body
    nothing = await sim.stripe("POST", "/v1/refunds", {"payment_intent": unpaid["id"]})
    stripe_error(nothing, 400, "charge_not_refundable",
                 f"This PaymentIntent ({unpaid['id']}) does not have a successful charge to "
                 "refund.", "payment_intent")
    held = (await sim.pay(2000, capture_method="manual")).body
    uncaptured = await sim.stripe("POST", "/v1/refunds", {"charge": held["latest_charge"]})
    assert uncaptured.error["code"] == "charge_not_refundable"
    declined = (await sim.pay(2000, card="pm_card_chargeDeclined")).error
    failed = await sim.stripe("POST", "/v1/refunds", {"charge": declined["charge"]})
    assert failed.error["code"] == "charge_not_refundable"
    missing = await sim.stripe("POST", "/v1/refunds", {"payment_intent": "pi_missing"})
    stripe_error(missing, 404, "resource_missing", "No such payment_intent: 'pi_missing'",
                 "payment_intent")
    no_charge = await sim.stripe("POST", "/v1/refunds", {"charge": "ch_missing"})
    stripe_error(no_charge, 404, "resource_missing", "No such charge: 'ch_missing'", "charge")


async def test_a_partly_captured_hold_refunds_only_what_was_captured(sim: Sim) -> None:
    held = (await sim.pay(2000, capture_method="manual")).body
    await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/capture",
                     {"amount_to_capture": 1200})
    refund = await sim.stripe("POST", "/v1/refunds", {"payment_intent": held["id"]})
    assert refund.body["amount"] == 1200
    charge = await charge_of(sim, held)
    assert charge["refunded"] and charge["amount_refunded"] == 2000


# -- API keys and tenants ---------------------------------------------------------------------
@pytest.mark.parametrize(("authorization", "code", "message"), [
    (None, "api_key_missing",
     "You did not provide an API key. You need to provide your API key in the Authorization "
     "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
     "https://stripe.com/docs/api#authentication for details."),
    ("Bearer sk_live_abcdefghijklmnop", "api_key_live_mode",
     "This simulator only runs in test mode; live mode keys (sk_live_...) are refused. Use a "
     "key starting with sk_test_."),
    ("Bearer pk_test_abcdefghijklmnop", "secret_key_required",
     "This API call cannot be made with a publishable API key. Please use a secret API key. "
     "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."),
    ("Bearer sk_test_bad-key-1234", "api_key_invalid",
     f"Invalid API Key provided: sk_test_****1234. {KEY_HINT}"),
    ("Bearer short", "api_key_invalid", f"Invalid API Key provided: ****. {KEY_HINT}"),
    ("Token sk_test_abc", "api_key_invalid",
     "Invalid Authorization header. Use 'Authorization: Bearer YOUR_SECRET_KEY'."),
    ("Basic !!!", "api_key_invalid",
     "Invalid Authorization header. Use 'Authorization: Bearer YOUR_SECRET_KEY'."),
])
async def test_bad_credentials_get_a_401_saying_why(sim: Sim, authorization: str | None,
                                                    code: str, message: str) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = await sim._send("GET", "/stripe/v1/payment_intents", headers=headers)
    stripe_error(answer, 401, code, message)


async def test_basic_auth_and_bearer_reach_the_same_tenant_and_revocation_is_undone(
        sim: Sim) -> None:
    import base64

    pay = (await sim.pay(2000)).body
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    seen = await sim._send("GET", f"/stripe/v1/payment_intents/{pay['id']}",
                           headers={"Authorization": f"Basic {basic}"})
    assert seen.body["id"] == pay["id"]
    revoked = await sim.control("POST", "/keys/revoke", {"api_key": KEY})
    assert revoked.body == {"tenant": sim.tenant, "revoked": True}
    refused = await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")
    stripe_error(refused, 401, "api_key_expired", "Expired API Key provided: sk_test_****unit")
    await sim.control("POST", "/keys/revoke", {"api_key": KEY, "revoked": False})
    assert (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}")).status == 200


async def test_each_key_is_its_own_tenant(sim: Sim) -> None:
    pay = (await sim.pay(2000)).body
    hidden = await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}", key=OTHER_KEY)
    stripe_error(hidden, 404, "resource_missing", f"No such payment_intent: '{pay['id']}'",
                 "intent")
    assert (await sim.stripe("GET", "/v1/payment_intents", key=OTHER_KEY)).body["data"] == []
    refund = await sim.stripe("POST", "/v1/refunds", {"payment_intent": pay["id"]},
                              key=OTHER_KEY)
    assert refund.status == 404


# -- lists, expansion, payment methods ---------------------------------------------------------
async def test_lists_page_newest_first_both_ways(sim: Sim) -> None:
    ids = [(await sim.pay(1000 + i)).body["id"] for i in range(5)]
    first = (await sim.stripe("GET", "/v1/payment_intents", {"limit": 2})).body
    assert [p["id"] for p in first["data"]] == ids[:2:-1][:2] == [ids[4], ids[3]]
    assert first["has_more"] and first["url"] == "/v1/payment_intents"
    older = (await sim.stripe("GET", "/v1/payment_intents",
                              {"limit": 2, "starting_after": ids[3]})).body
    assert [p["id"] for p in older["data"]] == [ids[2], ids[1]] and older["has_more"]
    last = (await sim.stripe("GET", "/v1/payment_intents",
                             {"limit": 2, "starting_after": ids[1]})).body
    assert [p["id"] for p in last["data"]] == [ids[0]] and not last["has_more"]
    newer = (await sim.stripe("GET", "/v1/payment_intents",
                              {"limit": 2, "ending_before": ids[0]})).body
    assert [p["id"] for p in newer["data"]] == [ids[2], ids[1]] and newer["has_more"]
    both = await sim.stripe("GET", "/v1/payment_intents",
                            {"starting_after": ids[0], "ending_before": ids[4]})
    stripe_error(both, 400, "parameter_unknown",
                 "You may only specify one of these parameters: ending_before, starting_after.",
                 "ending_before")
    unknown = await sim.stripe("GET", "/v1/payment_intents", {"starting_after": "pi_nope"})
    stripe_error(unknown, 404, "resource_missing", "No such payment_intent: 'pi_nope'",
                 "starting_after")
    charges = (await sim.stripe("GET", "/v1/charges", {"payment_intent": ids[2]})).body
    assert [c["payment_intent"] for c in charges["data"]] == [ids[2]]
    assert len((await sim.stripe("GET", "/v1/charges", {"limit": 100})).body["data"]) == 5
    two = (await sim.stripe("GET", "/v1/charges", {"limit": 2})).body
    assert len(two["data"]) == 2 and two["has_more"]


async def test_lists_filter_by_creation_time(sim: Sim) -> None:
    first = (await sim.pay(1000)).body
    await sim.control("POST", "/clock/advance", {"seconds": 100})
    second = (await sim.pay(1000)).body
    assert second["created"] >= first["created"] + 100

    async def created(**bounds: int) -> list[str]:
        query = {f"created[{op}]": at for op, at in bounds.items()}
        return [p["id"] for p in (await sim.stripe("GET", "/v1/payment_intents",
                                                   query)).body["data"]]

    at = second["created"]
    assert await created(gte=at) == [second["id"]]
    assert await created(gt=at) == []
    assert await created(lt=at) == [first["id"]]
    assert await created(lte=at) == [second["id"], first["id"]]
    exact = await sim.stripe("GET", "/v1/payment_intents", {"created": first["created"]})
    assert [p["id"] for p in exact.body["data"]] == [first["id"]]


async def test_expand_inlines_related_objects(sim: Sim) -> None:
    pay = (await sim.pay(2000)).body
    expanded = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}", {
        "expand": ["latest_charge", "payment_method"]})).body
    assert expanded["latest_charge"]["id"] == pay["latest_charge"]
    assert expanded["payment_method"]["card"]["last4"] == "4242"
    listed = (await sim.stripe("GET", "/v1/payment_intents",
                               {"expand": ["data.latest_charge"]})).body
    assert listed["data"][0]["latest_charge"]["object"] == "charge"
    nested = (await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}", {
        "expand": ["customer", "latest_charge.balance_transaction"]})).body
    assert nested["customer"] is None  # expandable now; this payment names none
    assert nested["latest_charge"]["balance_transaction"]["object"] == "balance_transaction"
    refused = await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}",
                               {"expand": ["description"]})
    stripe_error(refused, 400, "parameter_invalid_string",
                 "This property cannot be expanded (description).", "expand")


async def test_payment_methods_validate_raw_cards(sim: Sim) -> None:
    created = await sim.stripe("POST", "/v1/payment_methods", {
        "type": "card", "card": {"number": "3782 822463 10005", "exp_month": 4,
                                 "exp_year": 2040, "cvc": "1234"},
        "billing_details": {"name": "Mei", "email": "mei@example.com"},
        "metadata": {"k": "v"}})
    assert created.status == 200, created.body
    method = created.body
    assert method["id"].startswith("pm_") and method["type"] == "card"
    assert (method["card"]["brand"], method["card"]["last4"]) == ("amex", "0005")
    assert (method["card"]["exp_month"], method["card"]["exp_year"]) == (4, 2040)
    assert method["billing_details"]["name"] == "Mei"
    assert method["metadata"] == {"k": "v"} and "behaviour" not in method["card"]
    fetched = await sim.stripe("GET", f"/v1/payment_methods/{method['id']}")
    assert fetched.body == method
    bad = await sim.stripe("POST", "/v1/payment_methods", {
        "type": "card", "card": {"number": "4242424242424241", "exp_month": 4,
                                 "exp_year": 2040}})
    error = stripe_error(bad, 402, "incorrect_number", "Your card number is incorrect.",
                         "card[number]", error_type="card_error")
    assert "decline_code" not in error
    nested = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method_data": {
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 13,
                                     "exp_year": 2040}}})
    assert nested.error["param"] == "payment_method_data[card][exp_month]"
    missing = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_unknown"})
    stripe_error(missing, 404, "resource_missing", "No such PaymentMethod: 'pm_unknown'",
                 "payment_method")
    reused = await sim.pay(2000, card=method["id"])
    assert reused.body["payment_method"] == method["id"]


@pytest.mark.parametrize(("amount", "currency", "code", "message", "param"), [
    (49, "usd", "amount_too_small", "Amount must be at least 0.50 USD", "amount"),
    (999, "twd", "amount_too_small", "Amount must be at least 10.00 TWD", "amount"),
    (100_000_000, "jpy", "parameter_invalid_integer",
     "This value must be less than or equal to 99999999.", "amount"),
    (1000, "xyz", "parameter_invalid_string",
     "Invalid currency: xyz. Stripe currently supports these currencies: aud, cad, chf, cny, "
     "dkk, eur, gbp, hkd, jpy, krw, myr, nok, nzd, sek, sgd, thb, twd, usd", "currency"),
])
async def test_amounts_outside_the_currency_limits_are_refused(
        sim: Sim, amount: int, currency: str, code: str, message: str, param: str) -> None:
    answer = await sim.pay(amount, currency)
    stripe_error(answer, 400, code, message, param)
    assert await sim.event_types() == []


# -- idempotency ------------------------------------------------------------------------------
async def test_an_idempotent_retry_replays_the_first_answer(sim: Sim) -> None:
    first = await sim.pay(2000, idempotency_key="order-1")
    again = await sim.pay(2000, idempotency_key="order-1")
    assert again.status == 200 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Idempotency-Key"] == "order-1"
    assert "Idempotent-Replayed" not in first.headers
    assert len((await sim.stripe("GET", "/v1/payment_intents")).body["data"]) == 1
    other = await sim.pay(2500, idempotency_key="order-1")
    stripe_error(other, 400, "idempotency_key_reused",
                 "Keys for idempotent requests can only be used with the same parameters they "
                 "were first used with. Try using a key other than 'order-1' if you meant to "
                 "execute a different request.", error_type="idempotency_error")
    elsewhere = await sim.stripe("POST", "/v1/refunds", {"payment_intent": first.body["id"]},
                                 idempotency_key="order-1")
    stripe_error(elsewhere, 400, "idempotency_key_reused",
                 "Keys for idempotent requests can only be used for the same endpoint they "
                 "were first used for ('POST /stripe/v1/payment_intents' vs 'POST "
                 "/stripe/v1/refunds'). Try using a key other than 'order-1' if you meant to "
                 "execute a different request.", error_type="idempotency_error")
    mine = await sim.pay(2000, idempotency_key="order-1", key=OTHER_KEY)
    assert mine.status == 200 and mine.body["id"] != first.body["id"]


async def test_errors_are_replayed_but_refused_requests_can_be_retried(sim: Sim) -> None:
    declined = await sim.pay(2000, card="pm_card_chargeDeclined", idempotency_key="k1")
    replayed = await sim.pay(2000, card="pm_card_chargeDeclined", idempotency_key="k1")
    assert (replayed.status, replayed.body) == (402, declined.body)
    invalid = await sim.stripe("POST", "/v1/payment_intents", {"currency": "usd"},
                               idempotency_key="k2")
    stripe_error(invalid, 400, "parameter_missing", "Missing required param: amount.",
                 "amount")
    fixed = await sim.stripe("POST", "/v1/payment_intents", {"currency": "usd",
                                                             "amount": 700},
                             idempotency_key="k2")
    assert fixed.status == 200, fixed.body
    too_long = await sim.pay(2000, idempotency_key="x" * 256)
    stripe_error(too_long, 400, "idempotency_key_invalid",
                 "Idempotency-Key must be 1 to 255 characters long.")
    assert (await sim.pay(2000, idempotency_key="x" * 255)).status == 200


async def test_a_request_id_is_on_every_answer_and_in_the_events(sim: Sim) -> None:
    answer = await sim.pay(2000, idempotency_key="abc")
    request_id = answer.headers["Request-Id"]
    assert request_id.startswith("req_") and len(request_id) == 18
    assert answer.headers["Stripe-Version"] == "2026-10-28.endive"
    event = (await sim.events())[0]
    assert event["request"] == {"id": request_id, "idempotency_key": "abc"}
    retrieved = await sim.stripe("GET", f"/v1/events/{event['id']}")
    assert retrieved.body == event
    assert event["api_version"] == "2026-10-28.endive" and event["livemode"] is False


async def test_events_filter_by_type_and_wildcard(sim: Sim) -> None:
    await sim.pay(2000)
    await sim.pay(2000, card="pm_card_chargeDeclined")
    charge_types = [e["type"] for e in await sim.events(**{"types[]": "charge.*"})]
    assert sorted(charge_types) == ["charge.failed", "charge.succeeded"]
    succeeded = await sim.events(type="payment_intent.succeeded")
    assert [e["type"] for e in succeeded] == ["payment_intent.succeeded"]
    assert await sim.events(**{"types[]": "review.*"}) == []
    missing = await sim.stripe("GET", "/v1/events/evt_missing")
    assert missing.status == 404
