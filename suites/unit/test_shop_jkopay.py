"""The reference shop on JKOPay: its digest on the published vector, the Entry it sends,
the result_url receiver (a genuine callback fulfils once, a replay changes nothing; a bad
digest, another store, an unknown order or another amount are refused) and the
result_display_url return, which asks the inquiry API while the callback is on its way."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from paylab.shop.wallets import jkopay
from paylab.simulator.webhooks.signing import jkopay_digest
from paylab.suites.unit.shop_wallet_fakes import API_KEY, JKOPAY_URL, SECRET_KEY, STORE, FakeJKOPay
from paylab.suites.unit.shop_wallets import (
    SHOP,
    check_out,
    db_of,
    status,
    wallet_shop,
)


def test_the_digest_matches_the_published_vector(vectors: dict[str, Any]) -> None:
    case, = vectors["jkopay_digest"]
    body = case["body"].encode()
    assert jkopay.digest(case["secret"], body) == case["expected"] == \
        jkopay_digest(case["secret"], body)
    assert jkopay.verify(case["secret"], body, case["expected"])
    assert not jkopay.verify(case["secret"], body.replace(b":10,", b":11,", 1), case["expected"])
    assert not jkopay.verify(case["secret"], body, case["expected"].upper())
    assert not jkopay.verify(case["secret"][:-1], body, case["expected"])
    assert not jkopay.verify(case["secret"], body, None)


@pytest.fixture
def fake() -> FakeJKOPay:
    return FakeJKOPay()


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 aiohttp_server: Callable[..., Awaitable[TestServer]],
                 monkeypatch: pytest.MonkeyPatch, fake: FakeJKOPay) -> TestClient:
    return await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, fake.app())


def transaction(reference: str, **fields: Any) -> dict[str, Any]:
    """A transaction as JKOPay's result_url callback and inquiry show it: paid, NT$592."""
    return {"platform_order_id": reference, "status": 0, "tradeNo": "JK2612021234",
            "trans_time": "2026-12-02 16:30:00", "currency": "TWD", "final_price": 592,
            "redeem_amount": 0, "redeem_detail": {"jko_coin_amount": 0,
                                                  "official_coupon_amount": 0,
                                                  "store_coupon_amount": 0},
            "debit_amount": 592, "channel_type": "account", **fields}


async def callback(client: TestClient, body: bytes, secret: str = SECRET_KEY,
                   **headers: str) -> tuple[int, Any]:
    sent = {"Content-Type": "application/json", "digest": jkopay_digest(secret, body),
            **headers}
    got = await client.post("/notify/jkopay", data=body, headers=sent)
    return got.status, await got.json()


def paid(reference: str, **fields: Any) -> bytes:
    return json.dumps({"transaction": transaction(reference, **fields)}).encode()


async def test_checkout_enters_the_order_and_sends_the_browser_to_jkopay(
        client: TestClient, fake: FakeJKOPay) -> None:
    order, response = await check_out(client, "jkopay", (("gaiwan", 2), ("alishan-oolong", 1)))
    assert (response.status, response.headers["Location"]) == (303, JKOPAY_URL)
    (_, _, headers, body), = fake.seen.to("/jkopay/platform/entry")
    assert headers["digest"] == jkopay_digest(SECRET_KEY, body) and headers["api-key"] == API_KEY
    sent, payment = json.loads(body), db_of(client).wallet_payment(order)
    assert sent["platform_order_id"] == payment["reference"] and sent["store_id"] == STORE
    assert (sent["currency"], sent["total_price"], sent["final_price"], sent["unredeem"]) == (
        "TWD", 2448, 2448, 2448)
    assert [(p["name"], p["unit_count"], p["unit_price"], p["unit_final_price"])
            for p in sent["products"]] == [("Porcelain Gaiwan", 2, 928, 928, ),
                                           ("Alishan High-Mountain Oolong", 1, 592, 592)]
    assert sent["result_url"] == f"{SHOP}/notify/jkopay"
    assert sent["result_display_url"] == f"{SHOP}/return/jkopay/{order}"


async def test_a_genuine_callback_fulfils_once_and_a_replay_changes_nothing(
        client: TestClient) -> None:
    order, _ = await check_out(client, "jkopay")
    body = paid(db_of(client).wallet_payment(order)["reference"])
    assert await callback(client, body) == (200, {"received": True})
    assert await callback(client, body) == (200, {"received": True})  # JKOPay retries
    assert await callback(client, body, **{"api-key": API_KEY}) == (200, {"received": True})
    assert await status(client, order) == ("paid", 1)
    db = db_of(client)
    assert db.order(order)["payment_intent"] == "JK2612021234"
    assert db.cart(db.order(order)["cart"]) == []


@pytest.mark.parametrize(("change", "why"), [
    ({"secret": SECRET_KEY[::-1]}, "invalid digest"),
    ({"api-key": "0" * 32}, "invalid digest"),
    ({"fields": {"final_price": 1}}, "amount mismatch"),
    ({"fields": {"final_price": "592.5"}}, "amount mismatch"),
    ({"fields": {"currency": "USD"}}, "amount mismatch"),
    ({"fields": {"store_id": "another-store"}}, "another store"),
    ({"reference": "PL0000000000000000"}, "unknown order"),
], ids=["bad digest", "another api-key", "another amount", "a fraction", "another currency",
        "another store", "unknown order"])
async def test_a_callback_the_shop_cannot_trust_is_refused_and_changes_nothing(
        client: TestClient, change: dict[str, Any], why: str) -> None:
    order, _ = await check_out(client, "jkopay")
    reference = change.get("reference") or db_of(client).wallet_payment(order)["reference"]
    body = paid(reference, **change.get("fields", {}))
    headers = {"api-key": change["api-key"]} if "api-key" in change else {}
    got = await callback(client, body, change.get("secret", SECRET_KEY), **headers)
    assert got == (400, {"error": why})
    assert await status(client, order) == ("pending", 0)


async def test_a_callback_that_is_no_json_is_refused(client: TestClient) -> None:
    assert await callback(client, b"<xml/>") == (400, {"error": "no transaction"})
    assert await callback(client, b"[1]") == (400, {"error": "no transaction"})


async def test_not_paid_cancels_the_order_and_a_paid_one_stays_paid(client: TestClient) -> None:
    order, _ = await check_out(client, "jkopay")
    reference = db_of(client).wallet_payment(order)["reference"]
    assert (await callback(client, paid(reference, status=1)))[0] == 200  # processing
    assert await status(client, order) == ("pending", 0)
    assert (await callback(client, paid(reference, status=101)))[0] == 200
    assert await status(client, order) == ("canceled", 0)
    assert (await callback(client, paid(reference)))[0] == 200  # acknowledged, not applied
    assert await status(client, order) == ("canceled", 0)
    other, _ = await check_out(client, "jkopay")  # the cart kept: two of the tea now
    reference = db_of(client).wallet_payment(other)["reference"]
    assert (await callback(client, paid(reference, final_price=1184)))[0] == 200
    assert (await callback(client, paid(reference, status=101)))[0] == 200  # late, reordered
    assert await status(client, other) == ("paid", 1)


async def test_the_display_return_asks_the_inquiry_while_the_callback_is_late(
        client: TestClient, fake: FakeJKOPay) -> None:
    order, _ = await check_out(client, "jkopay")
    reference = db_of(client).wallet_payment(order)["reference"]
    fake.inquiry = transaction(reference, final_price=591)  # not the order's amount
    back = await client.get(f"/return/jkopay/{order}", params={"platform_order_id": reference},
                            allow_redirects=False)
    assert (back.status, back.headers["Location"]) == (303, f"/orders/{order}")
    assert await status(client, order) == ("pending", 0)
    fake.inquiry = transaction(reference)
    back = await client.get(f"/return/jkopay/{order}", allow_redirects=False)
    assert (back.status, back.headers["Location"]) == (303, f"/orders/{order}")
    assert await status(client, order) == ("paid", 1)
    assert await callback(client, paid(reference)) == (200, {"received": True})
    assert await status(client, order) == ("paid", 1)
    _, path, headers, _ = fake.seen.to("/jkopay/platform/inquiry")[0]
    query = path.split("?", 1)[1]
    assert query == f"platform_order_ids={reference}"
    assert headers["digest"] == jkopay_digest(SECRET_KEY, query.encode())


async def test_the_display_return_without_an_inquiry_answer_shows_the_order(
        client: TestClient, fake: FakeJKOPay) -> None:
    order, _ = await check_out(client, "jkopay")
    back = await client.get(f"/return/jkopay/{order}", allow_redirects=False)
    assert (back.status, back.headers["Location"]) == (303, f"/orders/{order}")
    assert await status(client, order) == ("pending", 0)
    missing = await client.get("/return/jkopay/ord_nothere", allow_redirects=False)
    assert missing.status == 404
