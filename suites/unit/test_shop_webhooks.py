"""The reference shop's webhook rules: verify, refuse replays, believe only the gateway's
own copy of a session, apply each event once (recording and applying it in one
transaction), never let a late or reordered event undo or repeat a fulfilment."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from aiohttp import web
from paylab.shop.db import ShopDB
from paylab.shop.webhooks import apply, receiver, signed_at, verify
from paylab.simulator.webhooks.signing import stripe_signature_header

SECRET = "whsec_unit_shop"


def signed(event: dict, at: int | None = None, secret: str = SECRET) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    return body, stripe_signature_header(secret, at or int(time.time()), body)


def gateway_session(order: dict, **changes: object) -> dict:
    """The gateway's copy of the order's session, paid, with `changes`."""
    return {"id": order["checkout_session"], "object": "checkout.session",
            "client_reference_id": order["id"], "status": "complete", "payment_status": "paid",
            "amount_total": order["amount"], "currency": order["currency"],
            "payment_intent": "pi_1", "customer_details": {"email": "a@b.example"}, **changes}


def session_event(order: dict, kind: str = "checkout.session.completed", event_id: str = "evt_1",
                  **changes: object) -> dict:
    obj = gateway_session(order, **changes)
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def handle(db: ShopDB, event: dict, session: dict | None = None) -> str:
    """Apply an event as the receiver does, the gateway's copy being the event's own
    object unless `session` is given."""
    with db.recording(event["id"], event["type"]) as first_time:
        if not first_time:
            return "duplicate"
        if session is None and event["type"].startswith("checkout.session."):
            session = event["data"]["object"]
        return apply(db, event, session)


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


def test_the_first_timestamp_is_the_one_checked() -> None:
    """`t=+FUTURE,t=NOW`: stripe-python verifies the signature against the first `t`
    (int() reads `+FUTURE`); that is the timestamp the tolerance applies to."""
    now = int(time.time())
    body, header = signed({"id": "evt_1", "object": "event", "type": "x", "data": {}},
                          at=now + 3600)
    tricked = header.replace(f"t={now + 3600}", f"t=+{now + 3600},t={now}")
    with pytest.raises(stripe.SignatureVerificationError):
        verify(body, tricked, SECRET, now)


def test_completion_fulfils_once_however_often_it_arrives(db: ShopDB, order: dict) -> None:
    event = session_event(order)
    assert "paid and fulfilled" in handle(db, event)
    assert handle(db, event) == "duplicate"
    assert "already paid" in handle(db, session_event(order, event_id="evt_copy"))
    assert db.order(order["id"])["status"] == "paid"
    assert db.fulfilment_count(order["id"]) == 1
    assert db.cart("c1") == []


def test_a_late_expiry_cannot_undo_a_payment(db: ShopDB, order: dict) -> None:
    handle(db, session_event(order))
    handle(db, session_event(order, kind="checkout.session.expired", event_id="evt_2",
                             status="expired"))
    assert db.order(order["id"])["status"] == "paid"


def test_expiry_then_completion_does_not_resurrect(db: ShopDB, order: dict) -> None:
    handle(db, session_event(order, kind="checkout.session.expired", event_id="evt_2",
                             status="expired"))
    handle(db, session_event(order))
    assert db.order(order["id"])["status"] == "expired"
    assert db.fulfilment_count(order["id"]) == 0


def test_an_expiry_the_gateway_denies_changes_nothing(db: ShopDB, order: dict) -> None:
    event = session_event(order, kind="checkout.session.expired", event_id="evt_2")
    assert "ignored" in handle(db, event, gateway_session(order, status="open",
                                                          payment_status="unpaid"))
    assert db.order(order["id"])["status"] == "pending"


@pytest.mark.parametrize("changes", [{"amount_total": 1}, {"currency": "twd"},
                                     {"payment_status": "unpaid"}, {"status": "open"},
                                     {"id": "cs_test_other"},
                                     {"client_reference_id": "ord_nope"}])
def test_mismatched_sessions_change_nothing(db: ShopDB, order: dict, changes: dict) -> None:
    handle(db, session_event(order, **changes))
    assert db.order(order["id"])["status"] == "pending"
    assert db.fulfilment_count(order["id"]) == 0


def test_the_gateway_decides_not_the_event_body(db: ShopDB, order: dict) -> None:
    """A body claiming `paid` is not believed when the gateway's session is unpaid."""
    outcome = handle(db, session_event(order), gateway_session(
        order, status="open", payment_status="unpaid"))
    assert outcome == "ignored: the gateway says the session is open, unpaid"
    assert db.order(order["id"])["status"] == "pending"


def test_a_failed_payment_is_noted_and_the_order_stays_payable(db: ShopDB, order: dict) -> None:
    handle(db, {"id": "evt_3", "type": "payment_intent.payment_failed", "data": {"object": {
        "id": "pi_9", "metadata": {"order_id": order["id"]},
        "last_payment_error": {"message": "Your card has insufficient funds."}}}})
    after = db.order(order["id"])
    assert (after["status"], after["last_error"]) == ("pending",
                                                      "Your card has insufficient funds.")


def test_seen_events_are_recorded_once(db: ShopDB) -> None:
    assert db.first_time("evt_1", "x") and not db.first_time("evt_1", "x")
    assert db.seen("evt_1") and not db.seen("evt_2")


def test_a_failure_while_applying_records_nothing(db: ShopDB, order: dict) -> None:
    """The event is seen and its order paid in one transaction: both or neither."""
    def pay_then_trip() -> None:
        with db.recording("evt_1", "checkout.session.completed"):
            db.mark_paid(order["id"], "pi_1", None, "evt_1")
            raise KeyError("the handler trips after marking the order paid")

    with pytest.raises(KeyError):
        pay_then_trip()
    assert not db.seen("evt_1")
    assert db.order(order["id"])["status"] == "pending"
    assert db.fulfilment_count(order["id"]) == 0


def test_fulfilment_only_happens_inside_the_event_transaction(db: ShopDB, order: dict) -> None:
    with pytest.raises(RuntimeError):
        db.mark_paid(order["id"], "pi_1", None, "evt_1")


def test_the_first_t_is_read_as_stripe_python_reads_it() -> None:
    assert signed_at("t=+200,t=100,v1=ab") == 200
    assert signed_at("v1=ab,t=100=7, t=5") == 100
    header = "t=+200,t=100,v1=ab"
    assert signed_at(header) == stripe.WebhookSignature._get_timestamp_and_signatures(
        header, "v1")[0]


class FakeGateway:
    """The gateway's sessions for the receiver; `down` makes lookups fail like a network
    error or a 5xx does."""

    def __init__(self, *sessions: dict) -> None:
        self.sessions = {s["id"]: s for s in sessions}
        self.down = False
        self.lookups = 0

    async def session(self, session_id: str) -> dict | None:
        self.lookups += 1
        if self.down:
            raise stripe.APIConnectionError("could not connect to the gateway")
        return self.sessions.get(session_id)


async def post(client, event: dict):
    body, header = signed(event)
    return await client.post("/hook", data=body, headers={"Stripe-Signature": header})


@pytest.fixture
async def hook(db: ShopDB, order: dict, aiohttp_client):
    """A client of the receiver, and the fake gateway behind it."""
    async def secret() -> str:
        return SECRET

    gateway = FakeGateway(gateway_session(order))
    app = web.Application()
    app.router.add_post("/hook", receiver(db, secret, gateway.session))
    return await aiohttp_client(app), gateway


async def test_the_receiver_fulfils_from_the_gateways_copy(db: ShopDB, order: dict,
                                                           hook) -> None:
    client, gateway = hook
    event = session_event(order, payment_status="unpaid")  # the body understates: no matter
    first = await post(client, event)
    assert (first.status, await first.json()) == (200, {"received": True})
    assert db.order(order["id"])["status"] == "paid"
    again = await post(client, event)
    assert (await again.json())["duplicate"] and gateway.lookups == 1


async def test_an_unknown_session_is_refused_and_not_recorded(db: ShopDB, order: dict,
                                                              hook) -> None:
    client, _ = hook
    answer = await post(client, session_event(order, id="cs_test_invented"))
    assert answer.status == 400
    assert not db.seen("evt_1")
    assert db.order(order["id"])["status"] == "pending"


async def test_an_unreachable_gateway_gets_a_retry_that_is_handled(db: ShopDB, order: dict,
                                                                   hook) -> None:
    client, gateway = hook
    gateway.down = True
    first = await post(client, session_event(order))
    assert first.status == 503 and not db.seen("evt_1")
    gateway.down = False
    retry = await post(client, session_event(order))  # the gateway retries the same event id
    assert (retry.status, await retry.json()) == (200, {"received": True})
    assert db.order(order["id"])["status"] == "paid"


async def test_an_event_whose_handling_failed_is_handled_on_the_retry(
        db: ShopDB, order: dict, hook) -> None:
    client, gateway = hook
    broken = gateway_session(order)
    del broken["payment_status"]  # the shop's handler trips over this
    gateway.sessions[broken["id"]] = broken
    first = await post(client, session_event(order))
    assert first.status == 500 and not db.seen("evt_1")
    gateway.sessions[broken["id"]] = gateway_session(order)
    retry = await post(client, session_event(order))
    assert (retry.status, await retry.json()) == (200, {"received": True})
    assert db.order(order["id"])["status"] == "paid"
