"""Balance transactions and the balance through the official stripe SDK: a payment's fee
and net (expanded from the PaymentIntent), a refund's entry, the balance moving from
pending to available with the virtual clock, and a tenant's fee override (control API).

Every response is checked against contracts/ by the layer's autouse check."""

from __future__ import annotations

import pytest
import stripe
from paylab.suites.plugins.simulator import Control

DAY = 86400


def _pay(client: stripe.StripeClient, amount: int, card: str = "pm_card_visa"
         ) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "payment_method": card, "confirm": True,
        "expand": ["latest_charge.balance_transaction"]})


def test_a_payment_shows_its_fee_and_net(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, 2000)
    txn = pi.latest_charge.balance_transaction
    assert (txn.object, txn.type, txn.reporting_category) == (
        "balance_transaction", "charge", "charge")
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (2000, 88, 1912, "usd")
    assert [(d.type, d.amount) for d in txn.fee_details] == [("stripe_fee", 88)]
    assert txn.source == pi.latest_charge.id and txn.status == "pending"
    fetched = stripe_client.v1.balance_transactions.retrieve(txn.id,
                                                             params={"expand": ["source"]})
    assert fetched.source.id == pi.latest_charge.id and fetched.fee == 88
    international = _pay(stripe_client, 2000, "pm_card_gb")
    assert international.latest_charge.balance_transaction.fee == 88 + 30  # +1.5%


def test_a_refund_has_its_own_entry(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, 3000)
    refund = stripe_client.v1.refunds.create(params={
        "payment_intent": pi.id, "amount": 1000, "expand": ["balance_transaction"]})
    txn = refund.balance_transaction
    assert (txn.type, txn.amount, txn.fee, txn.net) == ("refund", -1000, 0, -1000)
    assert txn.source == refund.id
    listed = stripe_client.v1.balance_transactions.list(params={"limit": 10})
    assert [t.type for t in listed.data] == ["refund", "charge"]
    only = stripe_client.v1.balance_transactions.list(params={"type": "refund"})
    assert [t.id for t in only.data] == [txn.id]
    with_sources = stripe_client.v1.balance_transactions.list(
        params={"source": pi.latest_charge.id, "expand": ["data.source"]})
    assert [t.source.id for t in with_sources.data] == [pi.latest_charge.id]


def test_the_balance_becomes_available_when_the_clock_passes(
        stripe_client: stripe.StripeClient, control: Control) -> None:
    before = stripe_client.v1.balance.retrieve()
    assert [(b.currency, b.amount) for b in before.pending] == [("usd", 0)]
    pi = _pay(stripe_client, 5000)  # fee 175: net 4825
    txn = pi.latest_charge.balance_transaction
    pending = stripe_client.v1.balance.retrieve()
    assert (pending.pending[0].amount, pending.available[0].amount) == (4825, 0)
    assert pending.pending[0].source_types.card == 4825
    control.clock.advance(txn.available_on - control.clock.now() + 1)
    after = stripe_client.v1.balance.retrieve()
    assert (after.pending[0].amount, after.available[0].amount) == (0, 4825)
    assert stripe_client.v1.balance_transactions.retrieve(txn.id).status == "available"


def test_a_tenant_fee_override_changes_the_next_fee(
        stripe_client: stripe.StripeClient, control: Control, api_key: str) -> None:
    first = _pay(stripe_client, 2000).latest_charge.balance_transaction
    state = control.request("PUT", "fees", params={"tenant": api_key}, json={
        "methods": {"card": {"percent": 2.2, "fixed": {"usd": 5}}}})
    assert state["overridden"] and state["schedule"]["methods"]["card"]["percent"] == 2.2
    second = _pay(stripe_client, 2000).latest_charge.balance_transaction
    assert (first.fee, second.fee) == (88, 44 + 5)
    assert stripe_client.v1.balance_transactions.retrieve(first.id).fee == 88
    shown = control.request("GET", "fees", params={"credential": api_key})
    assert shown["override"] == {"methods": {"card": {"percent": 2.2, "fixed": {"usd": 5}}}}
    cleared = control.request("DELETE", "fees", params={"tenant": api_key})
    assert cleared["cleared"] and cleared["schedule"] == cleared["default"]
    assert _pay(stripe_client, 2000).latest_charge.balance_transaction.fee == 88


def test_expand_beyond_four_levels_is_refused(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, 1000)
    path = "latest_charge.balance_transaction.source.payment_intent.latest_charge"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.retrieve(pi.id, params={"expand": [path]})
    assert (refused.value.code, refused.value.param) == ("property_expansion_max_depth",
                                                         "expand")
    assert refused.value.user_message == (
        f"You cannot expand more than 4 levels of a property. Property: {path}")
