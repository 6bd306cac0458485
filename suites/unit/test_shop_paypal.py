"""The reference shop on PayPal: one OAuth token while it lives, the order it creates
(intent CAPTURE, the cart's items, return and cancel URLs, PayPal-Request-Id), the
return that captures once (reloads and overlapping returns included) and checks the
captured amount, and the webhook receiver, which asks PayPal to verify each event and
fulfils on PAYMENT.CAPTURE.COMPLETED only if the return did not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from paylab.shop.wallets import paypal
from paylab.shop.wallets.http import Http
from paylab.suites.unit.shop_wallet_fakes import APPROVE, CLIENT_ID, CLIENT_SECRET, FakePayPal
from paylab.suites.unit.shop_wallets import (
    SHOP,
    check_out,
    db_of,
    status,
    wallet_shop,
)


def test_values_are_paypals_decimal_strings() -> None:
    assert paypal.value_of(1850, "usd") == "18.50" and paypal.value_of(5, "EUR") == "0.05"
    assert paypal.value_of(1850, "TWD") == "19" and paypal.value_of(500, "JPY") == "500"


@pytest.fixture
def fake() -> FakePayPal:
    return FakePayPal()


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 aiohttp_server: Callable[..., Awaitable[TestServer]],
                 monkeypatch: pytest.MonkeyPatch, fake: FakePayPal) -> TestClient:
    return await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, fake.app())


async def test_checkout_creates_the_order_and_sends_the_browser_to_approve_it(
        client: TestClient, fake: FakePayPal) -> None:
    order, response = await check_out(client, "paypal", (("gaiwan", 2), ("alishan-oolong", 1)))
    paypal_order = db_of(client).wallet_payment(order)["transaction_id"]
    assert (response.status, response.headers["Location"]) == (303, APPROVE + paypal_order)
    (_, _, headers, body), = fake.seen.to("/paypal/v2/checkout/orders")
    assert headers["PayPal-Request-Id"] == f"{order}-create"
    sent, payment = json.loads(body), db_of(client).wallet_payment(order)
    unit, = sent["purchase_units"]
    assert sent["intent"] == "CAPTURE" and (payment["value"], payment["currency"]) == (
        "76.50", "USD")
    assert unit["amount"] == {"currency_code": "USD", "value": "76.50", "breakdown": {
        "item_total": {"currency_code": "USD", "value": "76.50"}}}
    assert [(i["name"], i["quantity"], i["unit_amount"]["value"]) for i in unit["items"]] == [
        ("Porcelain Gaiwan", "2", "29.00"), ("Alishan High-Mountain Oolong", "1", "18.50")]
    assert (unit["invoice_id"], unit["custom_id"]) == (payment["reference"], order)
    context = sent["payment_source"]["paypal"]["experience_context"]
    back = f"{SHOP}/return/paypal/{order}"
    assert (context["return_url"], context["cancel_url"]) == (
        back, f"{back}/cancel/{payment['cancel_key']}")
    assert fake.webhooks == [{"id": "WH-0", "url": f"{SHOP}/notify/paypal", "event_types": [
        {"name": "CHECKOUT.ORDER.APPROVED"}, {"name": "PAYMENT.CAPTURE.COMPLETED"},
        {"name": "PAYMENT.CAPTURE.DENIED"}]}]
    await check_out(client, "paypal")
    assert fake.tokens == 1 and len(fake.webhooks) == 1  # the token and webhook kept


async def test_a_token_is_kept_until_it_is_about_to_expire_and_renewed_on_401(
        aiohttp_server: Callable[..., Awaitable[TestServer]], fake: FakePayPal) -> None:
    server, now = await aiohttp_server(fake.app()), [0.0]
    http = Http()
    client = paypal.PayPal(http, str(server.make_url("/paypal")), CLIENT_ID, CLIENT_SECRET,
                           clock=lambda: now[0])
    try:
        fake.lifetime = 3600
        assert await client.token() == await client.token() == "A21.token-1"
        now[0] = 3600 - 61
        assert await client.token() == "A21.token-1"
        now[0] = 3600 - 59  # inside the last minute: a new one
        assert await client.token() == "A21.token-2"
        fake.tokens += 1  # PayPal revoked it: 401, then the call again with a new one
        assert (await client.order("none")).status == 404
        assert fake.tokens == 4  # token-3 (revoked) and token-4 asked for by the retry
    finally:
        await http.close()


async def back_from_paypal(client: TestClient, order: str, token: str | None = None
                           ) -> tuple[int, str, str]:
    token = token or db_of(client).wallet_payment(order)["transaction_id"]
    got = await client.get(f"/return/paypal/{order}", params={"token": token,
                                                             "PayerID": "PAYER7"},
                           allow_redirects=False)
    return got.status, got.headers.get("Location", ""), await got.text()


async def test_the_return_captures_once_and_fulfils_once(client: TestClient,
                                                         fake: FakePayPal) -> None:
    order, _ = await check_out(client, "paypal")
    both = await asyncio.gather(back_from_paypal(client, order), back_from_paypal(client, order))
    assert [b[:2] for b in both] == [(303, f"/orders/{order}")] * 2
    assert (await back_from_paypal(client, order))[:2] == (303, f"/orders/{order}")  # reload
    assert await status(client, order) == ("paid", 1)
    captures = fake.seen.to("/paypal/v2/checkout/orders/5O19")
    assert [(c[1].rsplit("/", 1)[1], c[2]["PayPal-Request-Id"]) for c in captures] == [
        ("capture", f"{order}-capture")]
    db = db_of(client)
    assert db.order(order)["payment_intent"] == f"CAP-{db.wallet_payment(order)['transaction_id']}"
    body, headers = fake.event(db.wallet_payment(order)["transaction_id"])
    got = await client.post("/notify/paypal", data=body, headers=headers)
    assert got.status == 200 and await status(client, order) == ("paid", 1)


async def test_another_orders_token_captures_nothing(client: TestClient, fake: FakePayPal) -> None:
    order, _ = await check_out(client, "paypal")
    other, _ = await check_out(client, "paypal")
    got, _, page = await back_from_paypal(
        client, order, db_of(client).wallet_payment(other)["transaction_id"])
    assert got == 400 and "does not belong to this order" in page
    assert not fake.seen.to("/paypal/v2/checkout/orders/5O19")
    assert await status(client, order) == ("pending", 0)


@pytest.mark.parametrize(("capture", "error", "words"), [
    ({"amount": {"currency_code": "USD", "value": "1.00"}}, None, "another amount"),
    ({"amount": {"currency_code": "TWD", "value": "18.50"}}, None, "another amount"),
    ({}, (422, {"name": "UNPROCESSABLE_ENTITY", "message": "<b>declined</b>", "details": [
        {"issue": "INSTRUMENT_DECLINED"}]}), "&lt;b&gt;declined&lt;/b&gt; (INSTRUMENT_DECLINED)"),
], ids=["another amount", "another currency", "declined"])
async def test_a_capture_that_is_not_the_orders_payment_fulfils_nothing(
        client: TestClient, fake: FakePayPal, capture: dict[str, Any],
        error: tuple[int, Any] | None, words: str) -> None:
    fake.capture.update(capture)
    fake.capture_error = error
    order, _ = await check_out(client, "paypal")
    got, _, page = await back_from_paypal(client, order)
    assert got == 200 and 'data-testid="payment-failed"' in page and words in page
    assert await status(client, order) == ("pending", 0)


async def test_an_order_captured_already_is_read_back(client: TestClient,
                                                      fake: FakePayPal) -> None:
    fake.capture_error = (422, {"name": "UNPROCESSABLE_ENTITY", "details": [
        {"issue": "ORDER_ALREADY_CAPTURED"}]})
    order, _ = await check_out(client, "paypal")
    assert (await back_from_paypal(client, order))[:2] == (303, f"/orders/{order}")
    assert await status(client, order) == ("paid", 1)


async def test_a_pending_capture_is_fulfilled_by_the_verified_webhook_once(
        client: TestClient, fake: FakePayPal) -> None:
    fake.capture["status"] = "PENDING"
    order, _ = await check_out(client, "paypal")
    assert (await back_from_paypal(client, order))[:2] == (303, f"/orders/{order}")
    assert await status(client, order) == ("pending", 0)
    paypal_order = db_of(client).wallet_payment(order)["transaction_id"]
    body, headers = fake.event(paypal_order, status="COMPLETED")
    for _ in range(2):  # PayPal redelivers
        got = await client.post("/notify/paypal", data=body, headers=headers)
        assert (got.status, await got.json()) == (200, {"received": True})
    assert await status(client, order) == ("paid", 1)
    assert json.loads(fake.seen.to("/paypal/v1/notifications/verify")[0][3])["webhook_id"] == \
        "WH-0"


async def test_an_approval_whose_shopper_never_returns_is_captured_once(
        client: TestClient, fake: FakePayPal) -> None:
    order, _ = await check_out(client, "paypal")
    paypal_order = db_of(client).wallet_payment(order)["transaction_id"]
    body, headers = fake.approval(paypal_order)
    answers = await asyncio.gather(  # PayPal's delivery, its retry, and the late return
        client.post("/notify/paypal", data=body, headers=headers),
        client.post("/notify/paypal", data=body, headers=headers),
        client.get(f"/return/paypal/{order}", params={"token": paypal_order},
                   allow_redirects=False))
    assert [a.status for a in answers] == [200, 200, 303]
    assert await status(client, order) == ("paid", 1)
    captures = fake.seen.to("/paypal/v2/checkout/orders/5O19")
    assert [c[2]["PayPal-Request-Id"] for c in captures] == [f"{order}-capture"]
    other, _ = await check_out(client, "paypal")
    fake.capture_error = (422, {"name": "UNPROCESSABLE_ENTITY", "details": [
        {"issue": "INSTRUMENT_DECLINED"}]})
    got = await client.post("/notify/paypal", headers=headers, data=fake.approval(
        db_of(client).wallet_payment(other)["transaction_id"])[0])
    assert got.status == 400  # the headers sign the first order's approval, not this one
    body, headers = fake.approval(db_of(client).wallet_payment(other)["transaction_id"])
    assert (await client.post("/notify/paypal", data=body, headers=headers)).status == 200
    assert await status(client, other) == ("pending", 0)
    assert "INSTRUMENT_DECLINED" in db_of(client).order(other)["last_error"]


@pytest.mark.parametrize(("change", "code"), [
    ("signature", 400), ("body", 400), ("amount", 400), ("not json", 400),
    ("unverifiable", 503), ("another order", 200), ("denied", 200), ("no headers", 400),
    ("verify 400", 400)])
async def test_a_webhook_that_is_not_this_orders_payment_pays_nothing(
        client: TestClient, fake: FakePayPal, change: str, code: int) -> None:
    order, _ = await check_out(client, "paypal")
    paypal_order = db_of(client).wallet_payment(order)["transaction_id"]
    body, headers = fake.event(
        paypal_order, related="5O199999TN364715T" if change == "another order" else None,
        **({"amount": {"currency_code": "USD", "value": "0.01"}} if change == "amount" else {}),
        **({"kind": "PAYMENT.CAPTURE.DENIED"} if change == "denied" else {}))
    if change == "signature":
        headers["PAYPAL-TRANSMISSION-SIG"] = "forged"
    if change == "body":
        body = body.replace(b'"COMPLETED"', b'"COMPLETED" ')
    if change == "not json":
        body = b"{"
    if change == "unverifiable":
        fake.verify_status = 500
    if change == "verify 400":  # PayPal refuses to verify what it did not send
        fake.verify_status = 400
    if change == "no headers":
        headers = {}
    got = await client.post("/notify/paypal", data=body, headers=headers)
    assert got.status == code
    assert await status(client, order) == ("pending", 0)
    if change == "denied":
        assert db_of(client).order(order)["last_error"] == "PayPal denied the payment."


async def test_only_the_payments_own_cancel_url_cancels_it(client: TestClient,
                                                           fake: FakePayPal) -> None:
    order, _ = await check_out(client, "paypal")
    key = db_of(client).wallet_payment(order)["cancel_key"]
    assert (await client.get(f"/return/paypal/{order}/cancel/nope")).status == 404
    gone = await client.get(f"/return/paypal/{order}/cancel/{key}", allow_redirects=False)
    assert (gone.status, gone.headers["Location"]) == (303, f"/orders/{order}")
    assert await status(client, order) == ("canceled", 0)
    assert (await back_from_paypal(client, order))[:2] == (303, f"/orders/{order}")
    assert not fake.seen.to("/paypal/v2/checkout/orders/5O19")  # nothing captured


@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", "/return/paypal/<script>alert(1)</script>?token=<b>", None),
    ("GET", "/return/linepay/ord_x?transactionId=" + "9" * 5000, None),
    ("GET", "/return/jkopay/%00?platform_order_id=<script>", None),
    ("GET", "/return/paypal/ord_x/cancel/%FF%FE", None),
    ("POST", "/notify/paypal", b"\xff\xfe"),
    ("POST", "/notify/paypal", b"[" * 100_000 + b"]" * 100_000),
    ("POST", "/notify/jkopay", b"[" * 100_000 + b"]" * 100_000),
], ids=["script order", "long transaction", "nul order", "bad key bytes", "not utf-8",
        "nested event", "nested callback"])
async def test_hostile_returns_and_callbacks_get_answers_not_500s(
        client: TestClient, fake: FakePayPal, method: str, url: str, body: bytes | None) -> None:
    got = await client.request(method, url, data=body, allow_redirects=False)
    text = await got.text()
    assert got.status in (400, 404), (got.status, text[:300])
    assert "<script>" not in text and "<b>" not in text
    assert not fake.seen.calls  # nothing was asked of PayPal
