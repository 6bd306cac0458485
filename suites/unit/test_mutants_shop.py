"""The shop's webhook receiver in detail: what it answers the gateway in every case (the
status decides whether the gateway retries), what a paid order records, why an event was
ignored, and how `Stripe-Signature` timestamps are read."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestClient
from paylab.shop.db import ShopDB
from paylab.shop.webhooks import apply, receiver, signed_at, verify
from paylab.simulator.webhooks.signing import stripe_signature_header

SECRET = "whsec_unit_shop_receiver"


@pytest.mark.parametrize("header", [
    "t=5=6=7,v1=ab", "t=5=6,v1=ab", "v1=a=b,t=9", "t=12,t=5=6=7", "x=t=3,t=4",
])
def test_timestamps_with_extra_equals_signs_read_as_the_sdk_reads_them(header: str) -> None:
    expected = stripe.WebhookSignature._get_timestamp_and_signatures(header, "v1")[0]
    assert signed_at(header) == expected


# -- verification -----------------------------------------------------------------------------
def signed(event: dict[str, Any], at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    return body, stripe_signature_header(SECRET, int(time.time()) if at is None else at, body)


def test_a_missing_signature_says_so() -> None:
    body = b'{"id": "evt_1"}'
    with pytest.raises(stripe.SignatureVerificationError) as refused:
        verify(body, None, SECRET, time.time())
    assert str(refused.value) == "missing Stripe-Signature"
    assert (refused.value.sig_header, refused.value.http_body) == (None, body.decode())


def test_a_timestamp_too_far_ahead_says_so() -> None:
    now = int(time.time())
    body, header = signed({"id": "evt_1", "object": "event"}, at=now + 301)
    with pytest.raises(stripe.SignatureVerificationError) as refused:
        verify(body, header, SECRET, now)
    assert str(refused.value) == "timestamp outside the tolerance"
    assert (refused.value.sig_header, refused.value.http_body) == (header, body.decode())


def test_five_minutes_either_way_is_still_fresh() -> None:
    now = int(time.time())
    body, header = signed({"id": "evt_1", "object": "event"}, at=now)
    assert verify(body, header, SECRET, now - 300)["id"] == "evt_1"
    assert verify(body, header, SECRET, now + 300)["id"] == "evt_1"


# -- applying events --------------------------------------------------------------------------
@pytest.fixture
def db() -> ShopDB:
    return ShopDB(":memory:")


@pytest.fixture
def order(db: ShopDB) -> dict[str, Any]:
    db.add_to_cart("c1", "tea", 2)
    order_id = db.create_order("c1", [{"product": "tea", "quantity": 2, "price": 900}], 1800,
                               "usd")
    db.set_session(order_id, "cs_test_7")
    return db.order(order_id) or {}


def session(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"id": order["checkout_session"], "object": "checkout.session",
            "client_reference_id": order["id"], "status": "complete",
            "payment_status": "paid", "amount_total": order["amount"],
            "currency": order["currency"], "payment_intent": "pi_7",
            "customer_details": {"email": "mei@example.com"}, **changes}


def event(kind: str, obj: dict[str, Any], event_id: str = "evt_7") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def applied(db: ShopDB, kind: str, obj: dict[str, Any], gateway_copy: dict | None,
            event_id: str = "evt_7") -> str:
    with db.recording(event_id, kind):
        return apply(db, event(kind, obj, event_id), gateway_copy)


def test_a_paid_order_records_its_payment_and_email(db: ShopDB, order: dict) -> None:
    copy = session(order)
    outcome = applied(db, "checkout.session.completed", copy, copy)
    assert outcome == f"order {order['id']} paid and fulfilled"
    paid = db.order(order["id"]) or {}
    assert (paid["status"], paid["payment_intent"], paid["email"]) == (
        "paid", "pi_7", "mei@example.com")


def test_a_paid_session_without_details_records_no_email(db: ShopDB, order: dict) -> None:
    copy = session(order, customer_details=None)
    applied(db, "checkout.session.completed", copy, copy)
    assert (db.order(order["id"]) or {})["email"] is None


@pytest.mark.parametrize(("changes", "outcome"), [
    ({"client_reference_id": None}, "ignored: not one of our orders"),
    ({"id": "cs_test_other"}, "ignored: not one of our orders"),
    ({"amount_total": 1}, "ignored: amount does not match the order"),
    ({"status": "open", "payment_status": "unpaid"},
     "ignored: the gateway says the session is open, unpaid"),
])
def test_why_a_completion_was_ignored(db: ShopDB, order: dict, changes: dict,
                                      outcome: str) -> None:
    copy = session(order, **changes)
    assert applied(db, "checkout.session.completed", copy, copy) == outcome
    assert (db.order(order["id"]) or {})["status"] == "pending"


def test_an_expiry_of_a_paid_order_is_ignored(db: ShopDB, order: dict) -> None:
    paid = session(order)
    applied(db, "checkout.session.completed", paid, paid)
    expired = session(order, status="expired")
    assert applied(db, "checkout.session.expired", expired, expired, "evt_8") == \
        "ignored: order no longer pending"
    assert (db.order(order["id"]) or {})["status"] == "paid"


def test_an_expiry_of_a_pending_order_expires_it_and_others_are_not_handled(
        db: ShopDB, order: dict) -> None:
    expired = session(order, status="expired")
    assert applied(db, "checkout.session.expired", expired, expired) == \
        f"order {order['id']} expired"
    assert (db.order(order["id"]) or {})["status"] == "expired"
    assert applied(db, "charge.succeeded", {"id": "ch_1"}, None, "evt_10") == \
        "ignored: not handled"


def test_failures_are_noted_with_the_gateways_message_or_a_default(db: ShopDB,
                                                                    order: dict) -> None:
    failed = {"id": "pi_7", "metadata": {"order_id": order["id"]}, "last_payment_error": {}}
    assert applied(db, "payment_intent.payment_failed", failed, None) == \
        f"payment failure noted on {order['id']}"
    assert (db.order(order["id"]) or {})["last_error"] == "The payment failed."
    anonymous = {"id": "pi_8", "metadata": {}, "last_payment_error": None}
    assert applied(db, "payment_intent.payment_failed", anonymous, None, "evt_9") == \
        "payment failure noted on no order"


# -- the receiver over HTTP -------------------------------------------------------------------
class Gateway:
    """The gateway's sessions; `down` fails lookups; `racing` records the event first, as a
    copy delivered while this one was being looked up would."""

    def __init__(self, db: ShopDB) -> None:
        self.db = db
        self.sessions: dict[str, dict[str, Any]] = {}
        self.down = False
        self.racing: dict[str, Any] | None = None

    async def session(self, session_id: str) -> dict[str, Any] | None:
        if self.down:
            raise stripe.APIConnectionError("could not connect to the gateway")
        if self.racing is not None:
            with self.db.recording(self.racing["id"], self.racing["type"]):
                pass
        return self.sessions.get(session_id)


@pytest.fixture
async def shop(db: ShopDB, aiohttp_client: Callable[..., Awaitable[TestClient]]
               ) -> tuple[TestClient, Gateway]:
    async def secret() -> str:
        return SECRET

    gateway = Gateway(db)
    app = web.Application()
    app.router.add_post("/hook", receiver(db, secret, gateway.session))
    return await aiohttp_client(app), gateway


async def deliver(client: TestClient, payload: dict[str, Any], header: str | None = None
                  ) -> tuple[int, Any]:
    body, signature = signed(payload)
    response = await client.post("/hook", data=body,
                                 headers={"Stripe-Signature": header or signature})
    return response.status, await response.json()


async def test_the_receiver_answers_every_case(db: ShopDB, order: dict, shop: tuple) -> None:
    client, gateway = shop
    completed = event("checkout.session.completed", session(order))
    assert await deliver(client, completed, header="t=1,v1=forged") == (
        400, {"error": "invalid signature"})
    gateway.down = True
    assert await deliver(client, completed) == (503, {"error": "gateway unavailable"})
    gateway.down = False
    assert await deliver(client, completed) == (400, {"error": "unknown checkout session"})
    assert not db.seen("evt_7")
    gateway.sessions[order["checkout_session"]] = session(order)
    assert await deliver(client, completed) == (200, {"received": True})
    assert await deliver(client, completed) == (200, {"received": True, "duplicate": True})
    assert (db.order(order["id"]) or {})["status"] == "paid"


async def test_a_copy_that_won_the_race_makes_this_one_a_duplicate(db: ShopDB, order: dict,
                                                                    shop: tuple) -> None:
    client, gateway = shop
    gateway.sessions[order["checkout_session"]] = session(order)
    completed = event("checkout.session.completed", session(order))
    gateway.racing = completed
    assert await deliver(client, completed) == (200, {"received": True, "duplicate": True})
    assert (db.order(order["id"]) or {})["status"] == "pending"  # the other copy's to apply


async def test_other_events_need_no_lookup(db: ShopDB, order: dict, shop: tuple) -> None:
    client, gateway = shop
    gateway.down = True  # never asked
    failed = event("payment_intent.payment_failed", {
        "id": "pi_7", "metadata": {"order_id": order["id"]},
        "last_payment_error": {"message": "Your card was declined."}})
    assert await deliver(client, failed) == (200, {"received": True})
    assert (db.order(order["id"]) or {})["last_error"] == "Your card was declined."
