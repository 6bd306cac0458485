"""Webhook replay and forgery against the merchant's endpoint: the same delivery replayed,
stale and future timestamps, a tampered body, another secret, a v0-only downgrade and a
missing header. The merchant must refuse every forgery and fulfil nothing twice; a
deliberately careless receiver must fail, which proves the probes can."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import stripe
from aiohttp import web
from paylab.suites.plugins.shop import Shop, ShopClient
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.security.webhook_probes import ATTACKS, completed_delivery, run_probe


@pytest.fixture(scope="module")
def paid_order(shop: Shop, simulator: LiveSimulator) -> tuple[str, int]:
    """A paid order at the merchant and the delivery that paid it."""
    if not shop.api_key:
        pytest.skip("set PAYLAB_MERCHANT_API_KEY so the probes can find the merchant's "
                    "deliveries")
    order_id = ShopClient(shop).paid_order()
    return order_id, completed_delivery(simulator, shop.api_key, order_id)


@pytest.mark.parametrize("attack", ATTACKS)
def test_merchant_refuses_replays_and_forgeries(shop: Shop, simulator: LiveSimulator,
                                                paid_order: tuple[str, int],
                                                attack: str) -> None:
    order_id, delivery = paid_order
    client = ShopClient(shop)
    if "fulfilments" not in client.status(order_id):
        pytest.skip("the merchant's /orders/<id>/status reports no `fulfilments` count, so "
                    "a second fulfilment could not be seen")

    def fulfilments() -> int:
        return client.status(order_id)["fulfilments"]

    assert fulfilments() == 1, "the paid order was not fulfilled exactly once to begin with"

    verdict = run_probe(simulator, delivery, attack, fulfilments)
    assert verdict.ok, verdict.reason
    assert client.status(order_id)["status"] == "paid"


class CarelessReceiver:
    """A receiver that checks nothing: no signature, no timestamp, no duplicates."""

    def __init__(self) -> None:
        self.fulfilled: Counter[str] = Counter()
        self.sink = WebhookSink()
        self.sink.handler = self._handle

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            event = json.loads(await request.read())
            if event.get("type") == "checkout.session.completed":
                self.fulfilled[event["data"]["object"]["client_reference_id"]] += 1
        except (ValueError, KeyError, TypeError):
            pass
        return web.Response(text="ok")


@pytest.fixture
def careless() -> Iterator[CarelessReceiver]:
    receiver = CarelessReceiver()
    receiver.sink.start()
    yield receiver
    receiver.sink.stop()


def test_a_careless_receiver_fails_every_probe(simulator: LiveSimulator,
                                               careless: CarelessReceiver) -> None:
    key = f"sk_test_careless_{uuid.uuid4().hex[:8]}"
    api = stripe.StripeClient(key, base_addresses={"api": simulator.stripe_url})
    api.v1.webhook_endpoints.create(params={"url": f"{careless.sink.url}/hook",
                                            "enabled_events": ["checkout.session.completed"]})
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://careless.example/ok", "amount": 2500, "currency": "usd",
        "client_reference_id": "order-careless"})
    requests.post(session.url, allow_redirects=False, timeout=10, data={
        "cardnumber": "4242424242424242", "expiry": "12/34", "cvc": "123", "name": "C"})
    deadline = time.monotonic() + 10
    while careless.fulfilled["order-careless"] < 1:
        assert time.monotonic() < deadline, "the real delivery never arrived"
        time.sleep(0.05)
    delivery = completed_delivery(simulator, key, "order-careless")
    verdicts = [run_probe(simulator, delivery, attack,
                          lambda: careless.fulfilled["order-careless"]) for attack in ATTACKS]
    assert [v.attack for v in verdicts if v.ok] == [], "every probe must catch this receiver"
