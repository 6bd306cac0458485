"""The checkout against paylab's simulator: paid, declined, an outage, a blip, a webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from merchant.orders import Orders
from merchant.payments import pay

OUTAGE = Path(__file__).parent / "scenarios" / "outage.yaml"
#: The first create fails with a 503, the next one works: a blip the client's retries hide.
BLIP = """
name: blip
rules:
  - name: one-503
    match: {method: POST, path: "/v1/payment_intents"}
    lifetime: {sequence: [{error: {status: 503}}, pass]}
"""


def test_a_good_card_pays(shop_client, paylab_control):
    payment = pay(shop_client, "order-1", 2500, "eur", "pm_card_visa")

    assert payment.status == "paid"
    [row] = paylab_control.ledger()["payments"]  # what the gateway really recorded
    assert (row["id"], row["captured"], row["currency"]) == (payment.intent_id, 2500, "eur")


def test_a_declined_card_is_told_why(shop_client):
    payment = pay(shop_client, "order-2", 2500, "eur", "pm_card_chargeDeclinedInsufficientFunds")

    assert payment.status == "declined"
    assert "insufficient funds" in payment.message.lower()


@pytest.mark.paylab_scenario(OUTAGE)
def test_an_outage_asks_the_shopper_to_try_again(shop_client, paylab_control):
    payment = pay(shop_client, "order-3", 2500, "eur", "pm_card_visa")

    assert payment.status == "try_again"
    assert paylab_control.ledger()["payments"] == []  # nothing was charged


def test_a_blip_is_retried_and_charges_once(shop_client, paylab_control):
    with paylab_control.scenario(BLIP):
        payment = pay(shop_client, "order-4", 990, "usd", "pm_card_visa")

    assert payment.status == "paid"
    assert len(paylab_control.ledger()["payments"]) == 1
    creates = [e for e in paylab_control.journal(direction="in") if e["method"] == "POST"]
    statuses = [e["status"] for e in creates]
    assert statuses == [503, 200]


def test_the_order_ships_when_the_webhook_arrives(shop_client, paylab_webhooks):
    orders = Orders()
    payment = pay(shop_client, "order-5", 4200, "usd", "pm_card_visa")

    event = paylab_webhooks.wait_for_event("payment_intent.succeeded")  # signature verified
    orders.handle(event)
    orders.handle(event)  # a duplicate delivery changes nothing

    assert orders.paid == {"order-5": payment.intent_id}
    assert orders.shipped == ["order-5"]
