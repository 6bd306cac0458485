"""The reference shop's webhook rules: verify, refuse replays, apply each event once,
never let a late or reordered event undo or repeat a fulfilment."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from aiohttp import web

from shop.db import ShopDB
from shop.webhooks import apply, receiver, verify
from simulator.webhooks.signing import stripe_signature_header

SECRET = "whsec_unit_shop"


def signed(event: dict, at: int | None = None, secret: str = SECRET) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    return body, stripe_signature_header(secret, at or int(time.time()), body)


def session_event(order: dict, kind: str = "checkout.session.completed", event_id: str = "evt_1",
                  **changes: object) -> dict:
    obj = {"id": order["checkout_session"], "object": "checkout.session",
           "client_reference_id": order["id"], "payment_status": "paid",
           "amount_total": order["amount"], "currency": order["currency"],
           "payment_intent": "pi_1", "customer_details": {"email": "a@b.example"}, **changes}
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


@pytest.fixture
def db() -> ShopDB:
    return ShopDB(":memory:")


@pytest.fixture
def order(db: ShopDB) -> dict:
    db.add_to_cart("c1", "tea", 2)
    order_id = db.create_order("c1", [{"product": "tea", "quantity": 2, "price": 900}], 1800,
                               "usd")
    db.set_session(order_id, "cs_test_1")
    return db.order(order_id)


def test_a_correct_signature_verifies() -> None:
    body, header = signed({"id": "evt_1", "object": "event", "type": "x", "data": {}})
    assert verify(body, header, SECRET, time.time())["id"] == "evt_1"


@pytest.mark.parametrize("attack", ["tampered", "other secret", "stale", "future",
                                    "missing", "v0 only"])
def test_forgeries_and_replays_are_refused(attack: str) -> None:
    now = int(time.time())
    body, header = signed({"id": "evt_1", "object": "event", "type": "x", "data": {}})
    if attack == "tampered":
        body = body.replace(b"evt_1", b"evt_2")
    elif attack == "other secret":
        body, header = signed({"id": "evt_1"}, secret="whsec_someone_else")
    elif attack == "stale":
        body, header = signed({"id": "evt_1"}, at=now - 301)
    elif attack == "future":
        body, header = signed({"id": "evt_1"}, at=now + 301)
    elif attack == "missing":
        header = ""
    elif attack == "v0 only":
        header = header.replace("v1=", "v0=")
    with pytest.raises(stripe.SignatureVerificationError):
        verify(body, header or None, SECRET, now)


def test_completion_fulfils_once_however_often_it_arrives(db: ShopDB, order: dict) -> None:
    event = session_event(order)
    assert "paid and fulfilled" in apply(db, event)
    assert "already paid" in apply(db, event)
    assert "already paid" in apply(db, session_event(order, event_id="evt_copy"))
    assert db.order(order["id"])["status"] == "paid"
    assert db.fulfilment_count(order["id"]) == 1
    assert db.cart("c1") == []


def test_a_late_expiry_cannot_undo_a_payment(db: ShopDB, order: dict) -> None:
    apply(db, session_event(order))
    apply(db, session_event(order, kind="checkout.session.expired", event_id="evt_2"))
    assert db.order(order["id"])["status"] == "paid"


def test_expiry_then_completion_does_not_resurrect(db: ShopDB, order: dict) -> None:
    apply(db, session_event(order, kind="checkout.session.expired", event_id="evt_2"))
    apply(db, session_event(order))
    assert db.order(order["id"])["status"] == "expired"
    assert db.fulfilment_count(order["id"]) == 0


@pytest.mark.parametrize("changes", [{"amount_total": 1}, {"currency": "twd"},
                                     {"payment_status": "unpaid"}, {"id": "cs_test_other"},
                                     {"client_reference_id": "ord_nope"}])
def test_mismatched_events_change_nothing(db: ShopDB, order: dict, changes: dict) -> None:
    apply(db, session_event(order, **changes))
    assert db.order(order["id"])["status"] == "pending"
    assert db.fulfilment_count(order["id"]) == 0


def test_a_failed_payment_is_noted_and_the_order_stays_payable(db: ShopDB, order: dict) -> None:
    apply(db, {"id": "evt_3", "type": "payment_intent.payment_failed", "data": {"object": {
        "id": "pi_9", "metadata": {"order_id": order["id"]},
        "last_payment_error": {"message": "Your card has insufficient funds."}}}})
    after = db.order(order["id"])
    assert (after["status"], after["last_error"]) == ("pending",
                                                      "Your card has insufficient funds.")


def test_seen_events_are_recorded_once(db: ShopDB) -> None:
    assert db.first_time("evt_1", "x") and not db.first_time("evt_1", "x")


async def test_an_event_whose_handling_failed_is_handled_on_the_retry(
        db: ShopDB, order: dict, aiohttp_client) -> None:
    async def secret() -> str:
        return SECRET

    app = web.Application()
    app.router.add_post("/hook", receiver(db, secret))
    client = await aiohttp_client(app)
    broken = session_event(order)
    del broken["data"]["object"]["payment_status"]  # the shop's handler trips over this
    body, header = signed(broken)
    first = await client.post("/hook", data=body, headers={"Stripe-Signature": header})
    assert first.status == 500
    body, header = signed(session_event(order))  # the gateway retries the same event id
    retry = await client.post("/hook", data=body, headers={"Stripe-Signature": header})
    assert (retry.status, await retry.json()) == (200, {"received": True})
    assert db.order(order["id"])["status"] == "paid"
