"""Stripe's Search API through the official SDK: `PaymentIntent.search`, `Charge.search`,
`Customer.search`, auto-paging over `next_page`, and the errors an integration sees.
Every response is validated against contracts/stripe/search_result.schema.json."""

from __future__ import annotations

import pytest
import stripe
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator


def pay(client: stripe.StripeClient, amount: int, card: str = "pm_card_visa",
        **extra: object) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "payment_method": card, "confirm": True,
        **extra})


def test_payment_intents_search_and_auto_paging(stripe_client: stripe.StripeClient) -> None:
    made = [pay(stripe_client, 1000 + i, metadata={"batch": "b7"}) for i in range(5)]
    pay(stripe_client, 999, metadata={"batch": "other"})
    pis = stripe_client.v1.payment_intents
    first = pis.search(params={"query": 'metadata["batch"]:"b7" AND amount>=1000',
                               "limit": 2})
    assert isinstance(first, stripe.SearchResultObject)
    assert first.object == "search_result" and first.url == "/v1/payment_intents/search"
    assert [p.id for p in first.data] == [made[4].id, made[3].id]
    assert first.has_more and first.next_page
    every = [p.id for p in first.auto_paging_iter()]
    assert every == [p.id for p in reversed(made)]
    counted = pis.search(params={"query": "amount>1000", "expand": ["total_count"]})
    assert counted.total_count == 4 and not counted.has_more and counted.next_page is None


def test_the_global_sdk_style_searches_too(simulator: LiveSimulator, api_key: str,
                                           http: EvidenceSession,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", api_key)
    monkeypatch.setattr(stripe, "api_base", simulator.stripe_url)
    monkeypatch.setattr(stripe, "default_http_client", stripe.RequestsClient(session=http))
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    pi = stripe.PaymentIntent.create(amount=4321, currency="eur", payment_method="pm_card_visa",
                                     confirm=True)
    found = stripe.PaymentIntent.search(query='currency:"eur" status:"succeeded"')
    assert [p.id for p in found.auto_paging_iter()] == [pi.id]
    charges = stripe.Charge.search(query="amount:4321")
    assert [c.payment_intent for c in charges.data] == [pi.id]
    expanded = stripe.PaymentIntent.search(query="amount:4321", expand=["data.latest_charge"])
    assert expanded.data[0].latest_charge.id == charges.data[0].id


def test_charges_search_by_card_and_refund(stripe_client: stripe.StripeClient) -> None:
    visa = pay(stripe_client, 2500)
    master = pay(stripe_client, 2600, card="pm_card_mastercard")
    stripe_client.v1.refunds.create(params={"payment_intent": master.id})
    charges = stripe_client.v1.charges
    found = charges.search(params={"query": 'payment_method_details.card.last4:"4242"'})
    assert [c.id for c in found.data] == [visa.latest_charge]
    assert found.url == "/v1/charges/search"
    refunded = charges.search(params={"query": 'refunded:"true"'})
    assert [c.payment_intent for c in refunded.data] == [master.id]
    assert [c.id for c in charges.search(params={"query": "-refunded:true"}).data] == [
        visa.latest_charge]


def test_customers_search(stripe_client: stripe.StripeClient) -> None:
    customers = stripe_client.v1.customers
    amy = customers.create(params={"email": "amy@rocketrides.io", "name": "Amy Tan",
                                   "metadata": {"tier": "gold"}})
    bo = customers.create(params={"email": "bo@rocketrides.io", "phone": "+15550001111"})
    customers.create(params={"email": "cy@example.com"})
    found = customers.search(params={"query": 'email~"rocketrides"'})
    assert [c.id for c in found.data] == [bo.id, amy.id]
    assert found.url == "/v1/customers/search" and found.data[0].object == "customer"
    assert [c.id for c in customers.search(
        params={"query": 'metadata["tier"]:"gold" OR phone~"0001"'}).data] == [bo.id, amy.id]
    assert [c.id for c in customers.search(params={"query": 'name:"amy tan"'}).data] == [amy.id]


@pytest.mark.parametrize(("params", "param", "start"), [
    ({"query": "asdf"}, "query", "We were unable to parse your search query."),
    ({"query": 'foo:"bar"'}, "query",
     "Field `foo` is an unsupported search field for resource `payment_intents`."),
    ({"query": 'currency~"usd"'}, "query", "The `~` operator is not supported on `currency`"),
    ({"query": "amount>1", "page": "not-a-cursor"}, "page", "Invalid page:"),
    ({"query": "amount>1", "limit": 101}, "limit", "This value must be less than"),
])
def test_refusals_are_stripes_invalid_request_errors(
        stripe_client: stripe.StripeClient, params: dict, param: str, start: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.search(params=params)
    assert caught.value.http_status == 400 and caught.value.param == param
    assert str(caught.value.user_message).startswith(start)
