"""API versions through the official SDK: `stripe_version` on the client or per request
gets that version's shape (charges and refunds embedded before 2022-11-15) and is echoed,
a version Stripe never released is refused, a newer one is served the latest;
`stripe_account` is refused (no connected accounts); answers are indented like Stripe's."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from paylab.simulator.gateways.stripe.versions import LATEST
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator

OLD = "2022-08-01"  # the last version before PaymentIntents stopped listing their charges


@pytest.fixture
def client_for(simulator: LiveSimulator, api_key: str, http: EvidenceSession) -> Any:
    """An SDK client of this test's tenant with client-wide options (stripe_version...)."""
    def make(**options: Any) -> stripe.StripeClient:
        return stripe.StripeClient(api_key, base_addresses={"api": simulator.stripe_url},
                                   http_client=stripe.RequestsClient(session=http),
                                   max_network_retries=0, **options)
    return make


def _paid(client: stripe.StripeClient, amount: int = 2000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": True})


def test_an_old_version_gets_charges_on_the_intent_and_refunds_on_the_charge(
        client_for: Any) -> None:
    old = client_for(stripe_version=OLD)
    paid = _paid(old)
    assert paid.last_response.headers["Stripe-Version"] == OLD
    assert [c.id for c in paid.charges.data] == [paid.latest_charge]
    assert (paid.charges.total_count, paid.charges.url) == (
        1, f"/v1/charges?payment_intent={paid.id}")
    refund = old.v1.refunds.create(params={"payment_intent": paid.id, "amount": 700})
    charge = old.v1.charges.retrieve(paid.latest_charge)
    assert [r.id for r in charge.refunds.data] == [refund.id]
    assert charge.refunds.url == f"/v1/charges/{charge.id}/refunds"
    again = old.v1.payment_intents.retrieve(paid.id)
    assert again.charges.data[0].refunds.data[0].amount == 700

    latest = client_for()
    now = latest.v1.payment_intents.retrieve(paid.id)
    assert "charges" not in now and "refunds" not in latest.v1.charges.retrieve(charge.id)
    assert now.last_response.headers["Stripe-Version"] == LATEST


def test_the_version_can_be_set_per_request(client_for: Any) -> None:
    client = client_for()
    paid = _paid(client)
    old = client.v1.payment_intents.retrieve(paid.id, options={"stripe_version": OLD})
    assert old.last_response.headers["Stripe-Version"] == OLD and old.charges.total_count == 1
    events = client.v1.events.list(params={"type": "payment_intent.succeeded"},
                                   options={"stripe_version": OLD})
    assert events.data[0].api_version == OLD
    assert events.data[0].data.object.charges.data[0].id == paid.latest_charge


@pytest.mark.parametrize("version", ["1999-01-01", "garbage", "2022-08-02"])
def test_a_version_stripe_never_released_is_refused(client_for: Any, version: str) -> None:
    client = client_for(stripe_version=version)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    assert refused.value.http_status == 400
    assert refused.value.user_message == f"Invalid Stripe API version: {version}"
    assert refused.value.param == "Stripe-Version"
    assert client_for().v1.payment_intents.list().data == []  # nothing was created


def test_a_version_newer_than_the_latest_is_served_the_latest(client_for: Any) -> None:
    paid = _paid(client_for(stripe_version="2099-01-01"))
    assert paid.last_response.headers["Stripe-Version"] == LATEST
    assert paid.status == "succeeded" and "charges" not in paid


def test_stripe_account_is_refused_as_an_account_the_key_cannot_reach(
        client_for: Any, api_key: str) -> None:
    client = client_for(stripe_account="acct_1032D82eZvKYlo2C")
    with pytest.raises(stripe.PermissionError) as refused:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    assert (refused.value.http_status, refused.value.error.code) == (403, "account_invalid")
    assert refused.value.user_message == (
        f"The provided key '{api_key[:8]}****{api_key[-4:]}' does not have access to "
        "account 'acct_1032D82eZvKYlo2C' (or that account does not exist). Application "
        "access may have been revoked.")
    per_request = client_for()
    with pytest.raises(stripe.PermissionError):
        per_request.v1.payment_intents.list(options={"stripe_account": "acct_other"})
    assert per_request.v1.payment_intents.list().data == []


def test_answers_are_indented_with_two_spaces(client_for: Any) -> None:
    paid = _paid(client_for())
    text = paid.last_response.body
    assert text.startswith('{\n  "id": "pi_') and text.endswith("\n}")
    assert '\n  "charges"' not in text and '\n    "tip": {}\n' in text


def test_the_global_stripe_api_version_is_honoured(simulator: LiveSimulator, api_key: str,
                                                   http: EvidenceSession,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's module-level configuration (`stripe.api_version`), as older code sets it."""
    monkeypatch.setattr(stripe, "api_key", api_key)
    monkeypatch.setattr(stripe, "api_base", simulator.stripe_url)
    monkeypatch.setattr(stripe, "api_version", OLD)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    monkeypatch.setattr(stripe, "default_http_client", stripe.RequestsClient(session=http))
    paid = stripe.PaymentIntent.create(amount=1500, currency="usd",
                                       payment_method="pm_card_visa", confirm=True)
    assert paid.last_response.headers["Stripe-Version"] == OLD
    assert [c.id for c in paid.charges.data] == [paid.latest_charge]
