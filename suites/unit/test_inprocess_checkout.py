"""Checkout Sessions through the API and the hosted page of an in-process simulator:
creation rules, paying (declines, 3-D Secure, double submits), completion and expiry."""

from __future__ import annotations

import html
import urllib.parse
from typing import Any

import pytest
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, eventually, start

SUCCESS = "https://shop.example/orders/7?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cart?canceled=1"
CARD = {"email": "mei@example.com", "cardnumber": "4242 4242 4242 4242", "expiry": "12 / 34",
        "cvc": "123", "name": "Mei Lin"}


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def tea(quantity: int = 2, amount: int = 900, currency: str = "usd",
        name: str = "Alishan oolong") -> dict[str, Any]:
    return {"quantity": quantity, "price_data": {
        "currency": currency, "unit_amount": amount,
        "product_data": {"name": name, "description": "50 g"}}}


async def open_session(sim: Sim, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"mode": "payment", "success_url": SUCCESS, "cancel_url": CANCEL,
                              "line_items": [tea()], **extra}
    answer = await sim.stripe("POST", "/v1/checkout/sessions", params)
    assert answer.status == 200, answer.body
    return answer.body


async def submit(sim: Sim, session: dict, **fields: str) -> Answer:
    return await sim.page("POST", session["url"], {**CARD, **fields})


async def session_now(sim: Sim, session: dict) -> dict[str, Any]:
    return (await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}")).body


async def test_a_session_totals_its_line_items_and_opens_a_bearer_page(sim: Sim) -> None:
    session = await open_session(sim, client_reference_id="order-7",
                                 customer_email="mei@example.com", metadata={"order": "7"},
                                 line_items=[tea(2, 900), tea(1, 450, name="Green")])
    assert session["id"].startswith("cs_test_") and len(session["id"]) == 8 + 58
    assert session["object"] == "checkout.session"
    assert (session["status"], session["payment_status"], session["mode"]) == (
        "open", "unpaid", "payment")
    assert (session["amount_subtotal"], session["amount_total"], session["currency"]) == (
        2250, 2250, "usd")
    assert (session["client_reference_id"], session["customer_email"]) == (
        "order-7", "mei@example.com")
    assert session["metadata"] == {"order": "7"} and session["payment_intent"] is None
    assert session["expires_at"] == session["created"] + 24 * 3600
    page_url = urllib.parse.urlsplit(session["url"])
    assert page_url.path == f"/stripe/checkout/{session['id']}"
    token = dict(urllib.parse.parse_qsl(page_url.query))["token"]
    assert len(token) == 32
    shown = await sim.page("GET", session["url"])
    assert shown.status == 200 and "Alishan oolong" in shown.text and "$22.50" in shown.text
    forged = await sim.page("GET", f"/stripe/checkout/{session['id']}?token=guess")
    assert forged.status == 404
    items = (await sim.stripe("GET",
                              f"/v1/checkout/sessions/{session['id']}/line_items")).body
    assert [(i["description"], i["quantity"], i["amount_total"]) for i in items["data"]] == [
        ("Alishan oolong", 2, 1800), ("Green", 1, 450)]
    assert items["data"][0]["price"]["product_data"] == {"name": "Alishan oolong",
                                                        "description": "50 g"}


async def test_a_plain_amount_makes_one_line_item(sim: Sim) -> None:
    answer = await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": SUCCESS, "amount": 1234, "currency": "EUR", "description": "Gift"})
    assert answer.status == 200, answer.body
    session = answer.body
    assert (session["amount_total"], session["currency"]) == (1234, "eur")
    items = (await sim.stripe("GET",
                              f"/v1/checkout/sessions/{session['id']}/line_items")).body
    assert [(i["description"], i["quantity"]) for i in items["data"]] == [("Gift", 1)]


@pytest.mark.parametrize(("params", "code", "message", "param"), [
    ({"line_items": []}, "parameter_missing", "Missing required param: line_items.",
     "line_items"),
    ({"line_items": [{"quantity": 1}]}, "parameter_missing",
     "Missing required param: line_items[0][price_data].", "line_items[0][price_data]"),
    ({"line_items": [tea(currency="usd"), tea(currency="eur")]}, "parameter_invalid_string",
     "All line items must use the same currency.", "line_items"),
    ({"line_items": [tea(1, 10)]}, "amount_too_small", "Amount must be at least 0.50 USD",
     "amount"),
])
async def test_bad_sessions_are_refused_naming_the_field(sim: Sim, params: dict, code: str,
                                                         message: str, param: str) -> None:
    body = {"success_url": SUCCESS, **params}
    if not params.get("line_items"):
        body.pop("line_items")
    answer = await sim.stripe("POST", "/v1/checkout/sessions", body)
    assert answer.status == 400, answer.body
    assert (answer.error["code"], answer.error["message"], answer.error.get("param")) == (
        code, message, param)


# a minute past the day: the clock may move on between reading it here and the call
@pytest.mark.parametrize("lifetime", [29 * 60, 24 * 3600 + 60])
async def test_expires_at_must_fall_between_30_minutes_and_a_day(sim: Sim,
                                                                 lifetime: int) -> None:
    now = int(sim.domain.clock.now())
    answer = await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": SUCCESS, "line_items": [tea()], "expires_at": now + lifetime})
    assert answer.status == 400
    assert answer.error["message"] == (
        "expires_at must be between 30 minutes and 24 hours from now.")
    assert answer.error["param"] == "expires_at"


async def test_paying_completes_the_session_and_redirects_once(sim: Sim) -> None:
    session = await open_session(sim, client_reference_id="order-7",
                                 payment_intent_data={"description": "Order 7",
                                                      "metadata": {"order": "7"}})
    paid = await submit(sim, session)
    assert paid.status == 303
    assert paid.headers["Location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"])
    done = await session_now(sim, session)
    assert (done["status"], done["payment_status"], done["url"]) == ("complete", "paid", None)
    assert done["customer_details"] == {"email": "mei@example.com", "name": "Mei Lin"}
    pay = (await sim.stripe("GET", f"/v1/payment_intents/{done['payment_intent']}")).body
    assert (pay["status"], pay["amount"], pay["description"]) == ("succeeded", 1800, "Order 7")
    assert pay["metadata"] == {"order": "7"} and pay["receipt_email"] == "mei@example.com"
    again = await submit(sim, session)
    assert again.status == 303 and again.headers["Location"] == paid.headers["Location"]
    shown = await sim.page("GET", session["url"])
    assert shown.status == 200 and "already been made" in shown.text
    assert len((await sim.stripe("GET", "/v1/payment_intents")).body["data"]) == 1
    types = await sim.event_types()
    assert types.count("checkout.session.completed") == 1
    assert types[-1] == "checkout.session.completed"
    other = await open_session(sim)
    await submit(sim, other)
    found = (await sim.stripe("GET", "/v1/checkout/sessions",
                              {"payment_intent": pay["id"]})).body["data"]
    assert [s["id"] for s in found] == [session["id"]]
    assert len((await sim.stripe("GET", "/v1/checkout/sessions")).body["data"]) == 2
    expired = await sim.stripe("POST", f"/v1/checkout/sessions/{session['id']}/expire")
    assert expired.status == 400
    assert expired.error["code"] == "checkout_session_not_open"
    assert expired.error["message"] == (
        "Only Checkout Sessions with a status in ['open'] can be expired. This Checkout "
        "Session has a status of 'complete'.")


async def test_a_declined_card_keeps_the_session_open_for_another(sim: Sim) -> None:
    session = await open_session(sim)
    declined = await submit(sim, session, cardnumber="4000 0000 0000 9995")
    assert declined.status == 402 and "Your card has insufficient funds." in declined.text
    still = await session_now(sim, session)
    assert still["status"] == "open" and still["payment_intent"] is not None
    paid = await submit(sim, session, cardnumber="5555555555554444", email="")
    assert paid.status == 303
    done = await session_now(sim, session)
    assert done["status"] == "complete" and done["payment_intent"] == still["payment_intent"]
    assert done["customer_details"]["email"] is None
    assert len((await sim.stripe("GET", "/v1/payment_intents")).body["data"]) == 1


async def test_the_form_is_checked_on_the_server(sim: Sim) -> None:
    session = await open_session(sim)
    answer = await submit(sim, session, cardnumber="4242", expiry="13/30", cvc="1",
                          name=" ")
    assert answer.status == 400
    shown = html.unescape(answer.text)
    for message in ("Your card number is incomplete.",
                    "Your card's expiration date is invalid.",
                    "Your card's security code is incomplete.",
                    "Enter the name on your card."):
        assert message in shown
    assert (await session_now(sim, session))["payment_intent"] is None


async def test_three_d_secure_on_the_hosted_page(sim: Sim) -> None:
    session = await open_session(sim)
    challenged = await submit(sim, session, cardnumber="4000000000003220")
    assert challenged.status == 303
    url = challenged.headers["Location"]
    assert "/stripe/3ds/authenticate?" in url
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    shown = await sim.page("GET", url)
    assert shown.status == 200 and "Test merchant" in shown.text
    back = await sim.page("POST", "/stripe/3ds/authenticate", {**query, "result": "passed"})
    assert back.status == 303
    return_url = back.headers["Location"]
    assert urllib.parse.urlsplit(return_url).path == f"/stripe/checkout/{session['id']}/return"
    assert (await session_now(sim, session))["status"] == "complete"
    landed = await sim.page("GET", return_url)
    assert landed.status == 303 and landed.headers["Location"].startswith(
        "https://shop.example/orders/7")


async def test_a_failed_challenge_returns_to_the_form(sim: Sim) -> None:
    session = await open_session(sim)
    challenged = await submit(sim, session, cardnumber="4000000000003220")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        challenged.headers["Location"]).query))
    back = await sim.page("POST", "/stripe/3ds/authenticate", {**query, "result": "failed"})
    landed = await sim.page("GET", back.headers["Location"])
    assert landed.status == 402 and "unable to authenticate" in landed.text
    assert (await session_now(sim, session))["status"] == "open"


async def test_manual_capture_sessions_complete_unpaid(sim: Sim) -> None:
    session = await open_session(sim, payment_intent_data={"capture_method": "manual"})
    assert (await submit(sim, session)).status == 303
    done = await session_now(sim, session)
    assert (done["status"], done["payment_status"]) == ("complete", "unpaid")


async def test_expiring_a_session_cancels_its_unpaid_payment(sim: Sim) -> None:
    session = await open_session(sim)
    await submit(sim, session, cardnumber="4000000000000002")
    expired = await sim.stripe("POST", f"/v1/checkout/sessions/{session['id']}/expire")
    assert expired.status == 200, expired.body
    assert (expired.body["status"], expired.body["url"]) == ("expired", None)
    pay = (await sim.stripe("GET",
                            f"/v1/payment_intents/{expired.body['payment_intent']}")).body
    assert (pay["status"], pay["cancellation_reason"]) == ("canceled", "abandoned")
    assert (await sim.event_types())[-2:] == ["payment_intent.canceled",
                                             "checkout.session.expired"]
    gone = await sim.page("GET", session["url"])
    assert gone.status == 410 and "expired" in gone.text
    late = await submit(sim, session)
    assert late.status == 410


async def test_an_unpaid_session_expires_by_itself_at_expires_at(sim: Sim) -> None:
    now = int(sim.domain.clock.now())
    session = await open_session(sim, expires_at=now + 3600)
    untouched = await open_session(sim)
    await sim.control("POST", "/clock/advance", {"seconds": 3599})
    assert (await session_now(sim, session))["status"] == "open"
    await sim.control("POST", "/clock/advance", {"seconds": 2})

    async def expired() -> bool:
        return (await session_now(sim, session))["status"] == "expired"

    await eventually(expired)
    assert (await session_now(sim, untouched))["status"] == "open"
    assert (await sim.event_types()).count("checkout.session.expired") == 1


async def test_a_session_past_its_time_cannot_be_paid(sim: Sim) -> None:
    session = await open_session(sim)
    sim.domain.clock.advance(24 * 3600 + 5)  # past expiry, before the timer fires
    late = await submit(sim, session)
    assert late.status in (400, 410)
    assert (await sim.stripe("GET", "/v1/payment_intents")).body["data"] == []


async def test_sessions_page_newest_first(sim: Sim) -> None:
    ids = [(await open_session(sim))["id"] for _ in range(3)]
    page = (await sim.stripe("GET", "/v1/checkout/sessions", {"limit": 2})).body
    assert [s["id"] for s in page["data"]] == [ids[2], ids[1]] and page["has_more"]
    missing = await sim.stripe("GET", "/v1/checkout/sessions/cs_test_missing")
    assert missing.status == 404 and missing.error["param"] == "session"


async def test_a_card_paylab_does_not_emulate_is_refused_before_any_payment_exists(
        sim: Sim) -> None:
    session = await open_session(sim)
    refused = await submit(sim, session, cardnumber="4000 0000 0000 0259")  # creates a dispute
    assert refused.status == 400 and "does not emulate disputes" in refused.text
    assert (await sim.stripe("GET", "/v1/payment_intents")).body["data"] == []
    assert (await session_now(sim, session))["status"] == "open"
    assert (await submit(sim, session)).status == 303  # another card still pays
