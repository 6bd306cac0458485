"""Customers, saved cards and off-session payments through the official stripe SDK: an
integration that keeps its shoppers' cards works against the simulator unchanged."""

from __future__ import annotations

import urllib.parse

import pytest
import requests
import stripe
from paylab.suites.plugins.contracts import WireContracts

AUTH_REQUIRED = "Your card was declined. This transaction requires authentication."


def test_customer_create_retrieve_update_list_delete(stripe_client: stripe.StripeClient,
                                                    wire_contracts: WireContracts) -> None:
    customers = stripe_client.v1.customers
    made = customers.create(params={
        "name": "林小明", "email": "ming@example.tw", "phone": "+886912345678",
        "metadata": {"crm": "42"}, "address": {"city": "Taipei", "country": "TW"},
        "preferred_locales": ["zh-TW"]})
    assert made.id.startswith("cus_") and made.object == "customer"
    assert (made.name, made.email, made.address.city) == ("林小明", "ming@example.tw", "Taipei")
    wire_contracts.check("stripe/customer", made.to_dict())
    assert customers.retrieve(made.id).email == "ming@example.tw"
    changed = customers.update(made.id, params={"description": "VIP", "metadata": {"crm": ""}})
    assert changed.description == "VIP" and changed.metadata.to_dict() == {}
    other = customers.create(params={"email": "someone@example.com"})
    listed = customers.list(params={"email": "ming@example.tw"})
    assert [c.id for c in listed.data] == [made.id]
    assert [c.id for c in customers.list(params={"limit": 10}).data] == [other.id, made.id]
    gone = customers.delete(made.id)
    assert (gone.id, gone.deleted) == (made.id, True)
    again = customers.retrieve(made.id)
    assert again.to_dict() == {"id": made.id, "object": "customer", "deleted": True}
    wire_contracts.check("stripe/customer", again.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as missing:
        customers.update(made.id, params={"name": "x"})
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_attach_list_detach(stripe_client: stripe.StripeClient) -> None:
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    assert pm.customer == cus.id and pm.card.last4 == "4242"
    mine = stripe_client.v1.customers.payment_methods.list(cus.id)
    assert [m.id for m in mine.data] == [pm.id]
    by_customer = stripe_client.v1.payment_methods.list(params={"customer": cus.id,
                                                                "type": "card"})
    assert [m.id for m in by_customer.data] == [pm.id]
    updated = stripe_client.v1.payment_methods.update(pm.id, params={
        "billing_details": {"name": "Ming"}, "card": {"exp_month": 4, "exp_year": 2040}})
    assert updated.billing_details.name == "Ming" and updated.card.exp_year == 2040
    expanded = stripe_client.v1.payment_methods.retrieve(pm.id, params={"expand": ["customer"]})
    assert expanded.customer.id == cus.id
    other = stripe_client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as elsewhere:
        stripe_client.v1.payment_methods.attach(pm.id, params={"customer": other.id})
    assert "already been attached to a customer" in elsewhere.value.user_message
    assert stripe_client.v1.payment_methods.detach(pm.id).customer is None
    assert stripe_client.v1.customers.payment_methods.list(cus.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as not_attached:
        stripe_client.v1.payment_methods.detach(pm.id)
    assert not_attached.value.param == "payment_method"


def test_a_declining_card_cannot_be_saved(stripe_client: stripe.StripeClient) -> None:
    cus = stripe_client.v1.customers.create()
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_methods.attach("pm_card_chargeDeclined",
                                                params={"customer": cus.id})
    assert (declined.value.code, declined.value.error.decline_code) == (
        "card_declined", "generic_decline")
    assert stripe_client.v1.customers.payment_methods.list(cus.id).data == []


def test_an_unknown_customer_is_refused(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(params={
            "amount": 1000, "currency": "usd", "customer": "cus_DoesNotExist"})
    error = refused.value
    assert (error.http_status, error.code, error.param) == (400, "resource_missing", "customer")
    assert error.user_message == "No such customer: 'cus_DoesNotExist'"
    assert stripe_client.v1.payment_intents.list().data == []


def test_saved_visa_pays_off_session(stripe_client: stripe.StripeClient) -> None:
    cus = stripe_client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    pm = stripe_client.v1.customers.payment_methods.list(cus.id).data[0]
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 1999, "currency": "usd", "customer": cus.id, "payment_method": pm.id,
        "off_session": True, "confirm": True, "expand": ["customer"]})
    assert pi.status == "succeeded" and pi.customer.id == cus.id


def test_3ds_card_needs_authentication_off_session(stripe_client: stripe.StripeClient) -> None:
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_authenticationRequired",
                                                 params={"customer": cus.id})
    with pytest.raises(stripe.CardError) as failed:
        stripe_client.v1.payment_intents.create(params={
            "amount": 1999, "currency": "eur", "customer": cus.id, "payment_method": pm.id,
            "off_session": True, "confirm": True})
    error = failed.value
    assert (error.code, error.error.decline_code, error.http_status) == (
        "authentication_required", "authentication_required", 402)
    assert error.user_message == AUTH_REQUIRED
    intent = error.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "authentication_required"


def _pass_3ds(pi: stripe.PaymentIntent) -> None:
    """The shopper passes the 3-D Secure challenge page (what the browser would post)."""
    url = pi.next_action.redirect_to_url.url
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    answer = requests.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data={
        "payment_intent": query["payment_intent"], "client_secret": query["client_secret"],
        "result": "passed"}, allow_redirects=False, timeout=10)
    assert answer.status_code in (200, 303), answer.text


def test_card_asking_once_pays_off_session_after_setup(stripe_client: stripe.StripeClient
                                                       ) -> None:
    cus = stripe_client.v1.customers.create()
    first = stripe_client.v1.payment_intents.create(params={
        "amount": 500, "currency": "eur", "customer": cus.id,
        "payment_method": "pm_card_authenticationRequiredOnSetup",
        "setup_future_usage": "off_session", "confirm": True,
        "return_url": "https://shop.example/back"})
    assert first.status == "requires_action" and first.setup_future_usage == "off_session"
    _pass_3ds(first)
    done = stripe_client.v1.payment_intents.retrieve(first.id)
    assert done.status == "succeeded"
    saved = stripe_client.v1.customers.payment_methods.list(cus.id).data
    assert [m.id for m in saved] == [done.payment_method]
    later = stripe_client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "eur", "customer": cus.id,
        "payment_method": done.payment_method, "off_session": True, "confirm": True})
    assert later.status == "succeeded"


def test_card_asking_once_fails_off_session_without_setup(stripe_client: stripe.StripeClient
                                                          ) -> None:
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_authenticationRequiredOnSetup",
                                                 params={"customer": cus.id})
    with pytest.raises(stripe.CardError) as failed:
        stripe_client.v1.payment_intents.create(params={
            "amount": 2500, "currency": "eur", "customer": cus.id, "payment_method": pm.id,
            "off_session": True, "confirm": True})
    assert failed.value.code == "authentication_required"


def test_charge_customer_fail_card_attaches_then_declines(stripe_client: stripe.StripeClient
                                                          ) -> None:
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                                 params={"customer": cus.id})
    assert pm.customer == cus.id
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.create(params={
            "amount": 800, "currency": "usd", "customer": cus.id, "payment_method": pm.id,
            "off_session": True, "confirm": True})
    assert (declined.value.code, declined.value.error.decline_code) == (
        "card_declined", "generic_decline")


def test_automatic_payment_methods_and_fields(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 1099, "currency": "usd", "automatic_payment_methods": {"enabled": True},
        "shipping": {"name": "Ming", "address": {"line1": "1 Road", "country": "TW"}},
        "statement_descriptor_suffix": "ORDER 42", "receipt_email": "ming@example.tw"})
    assert pi.automatic_payment_methods.enabled is True
    assert pi.automatic_payment_methods.allow_redirects == "always"
    assert pi.payment_method_types == ["card"]
    assert pi.shipping.name == "Ming" and pi.shipping.address.country == "TW"
    assert pi.statement_descriptor_suffix == "ORDER 42"
    confirmed = stripe_client.v1.payment_intents.confirm(pi.id, params={
        "payment_method": "pm_card_visa", "return_url": "https://shop.example/back"})
    assert confirmed.status == "succeeded"
