"""The core's neutral words and the Stripe adapter's mapping of them, both ways."""

from __future__ import annotations

import pytest
from paylab.simulator.control import journal_view
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.gateways import names
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.suites.unit.conftest import TENANT


def test_every_status_and_event_kind_has_exactly_one_stripe_word() -> None:
    assert set(words.STATUS) == set(v.PAYMENT_STATUSES)
    assert len(set(words.STATUS.values())) == len(v.PAYMENT_STATUSES)
    assert set(words.EVENT_TYPE) == set(v.EVENT_KINDS)
    assert len(set(words.EVENT_TYPES)) == len(v.EVENT_KINDS)
    assert words.status(v.AUTHORIZED) == "requires_capture"
    assert words.status(v.PENDING) == "processing"
    assert words.event_type(v.PAYMENT_AUTHORIZED) == "payment_intent.amount_capturable_updated"
    assert words.event_type(v.CHECKOUT_EXPIRED) == "checkout.session.expired"


def test_the_core_words_avoid_stripe_object_names() -> None:
    for word in (*v.PAYMENT_STATUSES, *v.EVENT_KINDS):
        assert "payment_intent" not in word and "requires_" not in word
        assert "checkout.session" not in word


def test_enabled_events_round_trip_and_unknown_names_stay_unknown() -> None:
    stripe_names = ["*", "payment_intent.succeeded", "checkout.session.completed"]
    kinds = words.event_kinds(stripe_names)
    assert kinds == ["*", "payment.succeeded", "checkout.completed"]
    assert words.enabled_events(kinds) == stripe_names
    # a Stripe name the simulator does not emit must not match a neutral kind by accident
    assert words.event_kinds(["payment.created"]) == ["unknown:payment.created"]
    assert words.endpoint_changes({"url": "https://x/"}) == {"url": "https://x/"}
    assert words.endpoint_changes({"enabled_events": ["charge.refunded"]}) == {
        "enabled_events": ["charge.refunded"]}


def test_type_filters_expand_stripe_families_into_core_kinds() -> None:
    assert words.type_filter(["payment_intent.*"]) == [
        "payment.created", "payment.needs_action", "payment.pending", "payment.succeeded",
        "payment.failed", "payment.canceled", "payment.authorized"]
    assert words.type_filter(["checkout.session.*", "refund.created"]) == [
        "checkout.completed", "checkout.expired", "refund.created"]
    assert words.type_filter(["nothing.*"]) == []
    assert words.type_filter(["payment.created"]) == ["unknown:payment.created"]


def test_request_parameters_and_error_params_translate_both_ways() -> None:
    assert words.core_params({"payment_intent": "pi_1", "amount": 5}) == {
        "payment": "pi_1", "amount": 5}
    assert words.core_params({"payment_intent_data": {}}) == {"payment_data": {}}
    assert words.param("payment") == "payment_intent"
    assert words.param(("payment", 0)) == ("payment_intent", 0)
    assert words.param("amount") == "amount"
    assert words.param(None) is None
    assert words.param(()) == ()


def test_state_errors_are_worded_from_their_context() -> None:
    update = InvalidState(v.INVALID_STATE, "neutral", object=v.PAYMENT, id="pi_1",
                          status=v.NEEDS_ACTION, verb="update", field="amount")
    assert words.code(update.code) == "payment_intent_unexpected_state"
    assert words.message(update) == (
        "You cannot update amount on a PaymentIntent with a status of requires_action.")
    capture = InvalidState(v.INVALID_STATE, "neutral", status=v.CANCELED, verb="capture",
                           allowed=(v.AUTHORIZED,))
    assert words.message(capture) == (
        "You cannot capture this PaymentIntent because it has a status of canceled. Only a "
        "PaymentIntent with one of the following statuses may be captured: requires_capture.")
    missing = InvalidRequest(v.MISSING_PARAMETER, "neutral", param="payment",
                             names=("payment", "charge"))
    assert words.message(missing) == ("One of the following params should be provided for "
                                      "this request: payment_intent or charge.")
    other = InvalidRequest("parameter_invalid_integer", "as given")
    assert (words.code(other.code), words.message(other)) == ("parameter_invalid_integer",
                                                              "as given")


@pytest.mark.parametrize(("gateway", "kind", "name"), [
    ("stripe", "payment.succeeded", "payment_intent.succeeded"),
    ("stripe", "order.created", "order.created"),
    ("no_such_gateway", "payment.succeeded", "payment.succeeded"),
    (None, "payment.succeeded", "payment.succeeded"),
])
def test_events_are_named_in_their_gateway_s_words(gateway: str | None, kind: str,
                                                   name: str) -> None:
    assert names.event_name(gateway, kind) == name


def test_the_dashboard_labels_events_in_their_gateway_s_words(domain: Domain) -> None:
    payment = domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    event = domain.events.page(TENANT)[0][0]
    assert (event["type"], event["object"]["id"]) == ("payment.created", payment["id"])
    row = {"direction": "out", "tenant": TENANT, "request_id": event["id"], "seq": 7}
    assert journal_view.labels(domain, [row]) == {"7": "payment_intent.created"}
