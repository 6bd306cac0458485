"""The reference shop on LINE Pay: its signing on the published vectors, the Request it
sends (signed over the API path, a fresh nonce each call, packages from the cart), and the
confirmUrl return: Confirm with the shop's own amount, fulfil once on `0000` (a reload or
two at once confirm once), a clear page on a refusal, nothing for a transactionId that is
not the order's, cancel only through the payment's own cancelUrl."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from paylab.shop.wallets import linepay
from paylab.simulator.webhooks.signing import linepay_signature
from paylab.suites.unit.shop_wallet_fakes import (
    CHANNEL,
    CHANNEL_SECRET,
    LINEPAY_URL,
    TX,
    FakeLinePay,
)
from paylab.suites.unit.shop_wallets import (
    SHOP,
    check_out,
    db_of,
    status,
    wallet_shop,
)


def test_the_signature_matches_the_published_vectors(vectors: dict[str, Any]) -> None:
    cases = vectors["linepay_signature"]
    assert len(cases) >= 2
    for case in cases:
        payload = case["body"] if case["method"] == "POST" else case["query"]
        got = linepay.signature(case["channel_secret"], case["uri"], payload, case["nonce"])
        assert got == case["expected"] == linepay_signature(
            case["channel_secret"], case["uri"], payload, case["nonce"])
        assert linepay.signature(case["channel_secret"], case["uri"], payload + " ",
                                 case["nonce"]) != case["expected"]


def test_every_call_has_a_fresh_nonce_and_signs_the_bare_path() -> None:
    first = linepay.headers(CHANNEL, CHANNEL_SECRET, "/v3/payments/request", "{}")
    second = linepay.headers(CHANNEL, CHANNEL_SECRET, "/v3/payments/request", "{}")
    assert first["X-LINE-Authorization-Nonce"] != second["X-LINE-Authorization-Nonce"]
    for made in (first, second):
        assert made["X-LINE-ChannelId"] == CHANNEL
        assert made["X-LINE-Authorization"] == linepay_signature(
            CHANNEL_SECRET, "/v3/payments/request", "{}", made["X-LINE-Authorization-Nonce"])


@pytest.fixture
def fake() -> FakeLinePay:
    return FakeLinePay()


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 aiohttp_server: Callable[..., Awaitable[TestServer]],
                 monkeypatch: pytest.MonkeyPatch, fake: FakeLinePay) -> TestClient:
    return await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, fake.app())


async def test_the_cart_offers_the_three_wallets(client: TestClient) -> None:
    await client.post("/cart/add", data={"product": "gaiwan"}, allow_redirects=False)
    text = await (await client.get("/cart")).text()
    for value, label in (("linepay", "LINE Pay"), ("jkopay", "JKOPay"), ("paypal", "PayPal")):
        assert (f'<input type="radio" name="pay_with" value="{value}" '
                f'data-testid="pay-with-{value}"> {label}</label>') in text
    assert text.count(" checked>") == 1


async def test_checkout_requests_the_cart_and_sends_the_browser_to_line_pay(
        client: TestClient, fake: FakeLinePay) -> None:
    order, response = await check_out(client, "linepay", (("gaiwan", 2), ("alishan-oolong", 1)))
    assert (response.status, response.headers["Location"]) == (303, LINEPAY_URL)
    (_, _, headers, body), = fake.seen.to("/linepay/v3/payments/request")
    sent = json.loads(body)
    payment = db_of(client).wallet_payment(order)
    assert sent["orderId"] == payment["reference"] and (sent["amount"], sent["currency"]) == (
        2 * 928 + 592, "TWD")  # $29.00 and $18.50 at 32 TWD/USD
    package, = sent["packages"]
    assert package["amount"] == sent["amount"] == sum(
        p["quantity"] * p["price"] for p in package["products"])
    assert [(p["id"], p["quantity"], p["price"]) for p in package["products"]] == [
        ("gaiwan", 2, 928), ("alishan-oolong", 1, 592)]
    back = f"{SHOP}/return/linepay/{order}"
    assert sent["redirectUrls"] == {"confirmUrl": back,
                                    "cancelUrl": f"{back}/cancel/{payment['cancel_key']}"}
    assert payment["transaction_id"] == str(TX) and (payment["value"], payment["currency"]) == (
        "2448", "TWD")  # the 19 digits exactly
    assert headers["Content-Type"] == "application/json"


async def confirm_return(client: TestClient, order: str, transaction: int | str = TX
                         ) -> tuple[int, str, str]:
    reference = db_of(client).wallet_payment(order)["reference"]
    got = await client.get(f"/return/linepay/{order}",
                           params={"transactionId": str(transaction), "orderId": reference},
                           allow_redirects=False)
    return got.status, got.headers.get("Location", ""), await got.text()


async def test_confirm_fulfils_once_and_reloads_confirm_nothing_more(
        client: TestClient, fake: FakeLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    both = await asyncio.gather(confirm_return(client, order), confirm_return(client, order))
    assert [b[:2] for b in both] == [(303, f"/orders/{order}")] * 2
    assert (await confirm_return(client, order))[:2] == (303, f"/orders/{order}")  # a reload
    assert await status(client, order) == ("paid", 1)
    (_, path, _, body), = fake.seen.to("/linepay/v3/payments/")[1:]  # after the request
    assert path == f"/linepay/v3/payments/{TX}/confirm"
    assert json.loads(body) == {"amount": 592, "currency": "TWD"}
    db = db_of(client)
    assert db.cart(db.order(order)["cart"]) == [] and db.order(order)["payment_intent"] == str(TX)
    page = await (await client.get(f"/orders/{order}")).text()
    assert "LINE Pay</strong>" in page and "NT$592" in page


@pytest.mark.parametrize(("code", "words"), [
    ("1153", "differs from this order"), ("1150", "no such payment"),
    ("1172", "already has a payment"), ("1142", "balance is too low")])
async def test_a_refused_confirm_shows_why_and_pays_nothing(
        client: TestClient, fake: FakeLinePay, code: str, words: str) -> None:
    order, _ = await check_out(client, "linepay")
    fake.confirm_code = code
    fake.details = {"returnCode": "0000", "info": []}  # 1172: LINE Pay shows no payment
    got, _, page = await confirm_return(client, order)
    assert got == 200 and 'data-testid="payment-failed"' in page
    assert f"LINE Pay refused the payment ({code})" in page and words in page
    assert await status(client, order) == ("pending", 0)
    assert db_of(client).order(order)["last_error"].startswith(f"LINE Pay {code}")


async def test_an_unknown_code_shows_line_pays_words_escaped(
        client: TestClient, fake: FakeLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    fake.confirm_code, fake.message = "1199", "<script>alert(1)</script>"
    _, _, page = await confirm_return(client, order)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


async def test_confirmed_before_counts_only_if_the_details_show_the_orders_payment(
        client: TestClient, fake: FakeLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    reference = db_of(client).wallet_payment(order)["reference"]
    fake.confirm_code = "1172"
    item = {"transactionId": TX, "orderId": reference, "currency": "TWD",
            "transactionType": "PAYMENT", "payStatus": "CAPTURE",
            "payInfo": [{"method": "BALANCE", "amount": 591}]}
    fake.details = {"returnCode": "0000", "info": [item]}
    assert (await confirm_return(client, order))[0] == 200  # one dollar short
    assert await status(client, order) == ("pending", 0)
    item["payInfo"] = [{"method": "BALANCE", "amount": 500}, {"method": "DISCOUNT", "amount": 92}]
    assert (await confirm_return(client, order))[:2] == (303, f"/orders/{order}")
    assert await status(client, order) == ("paid", 1)
    assert fake.seen.to(f"/linepay/v3/payments?transactionId={TX}")


@pytest.mark.parametrize("transaction", [2026120212345678848, 1, "", "1/../../x"],
                         ids=["rounded by a double", "another", "none", "a path"])
async def test_a_transaction_that_is_not_the_orders_is_refused(
        client: TestClient, fake: FakeLinePay, transaction: int | str) -> None:
    order, _ = await check_out(client, "linepay")
    got, _, page = await confirm_return(client, order, transaction)
    assert got == 400 and "does not belong to this order" in page
    assert fake.seen.to("/linepay/v3/payments/") == fake.seen.to("/linepay/v3/payments/request")
    assert await status(client, order) == ("pending", 0)


async def test_only_the_payments_own_cancel_url_cancels_it(
        client: TestClient, fake: FakeLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    key = db_of(client).wallet_payment(order)["cancel_key"]
    wrong = await client.get(f"/return/linepay/{order}/cancel/{key[:-1]}x", allow_redirects=False)
    assert wrong.status == 404 and await status(client, order) == ("pending", 0)
    right = await client.get(f"/return/linepay/{order}/cancel/{key}", allow_redirects=False)
    assert (right.status, right.headers["Location"]) == (303, f"/orders/{order}")
    assert await status(client, order) == ("canceled", 0)
    got, _, page = await confirm_return(client, order)  # approved after all? not any more
    assert got == 200 and "This order is canceled." in page
    assert len(fake.seen.calls) == 1  # the request only: no confirm


async def test_a_shop_signing_with_another_secret_is_refused_and_its_order_canceled(
        aiohttp_client: Callable[..., Awaitable[TestClient]],
        aiohttp_server: Callable[..., Awaitable[TestServer]],
        monkeypatch: pytest.MonkeyPatch, fake: FakeLinePay) -> None:
    client = await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, fake.app(),
                               linepay_channel_secret=CHANNEL_SECRET[::-1])
    order, response = await check_out(client, "linepay")
    text = await response.text()
    assert response.status == 502 and "LINE Pay refused the payment (1106" in text
    assert await status(client, order) == ("canceled", 0)


async def test_line_pay_out_of_reach_at_checkout_is_a_page_and_no_open_order(
        client: TestClient, fake: FakeLinePay) -> None:
    fake.request_status = 502
    order, response = await check_out(client, "linepay")
    assert response.status == 503 and "We could not reach LINE Pay" in await response.text()
    assert await status(client, order) == ("canceled", 0)
