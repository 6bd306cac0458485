"""JKOPay's server APIs in process: entry (fields, re-entry, 101), refund (idempotency by
refund_order_id, 103, 105, 113, 922, 100), inquiry in its GET and POST forms (0, 1, 101,
102, refund history, 108), authentication and store isolation; every answer against its
contract, and no refusal changes anything."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start
from paylab.suites.unit.jkopay_client import JkoPay, sign


@pytest.fixture
async def jko(aiohttp_client: ClientFactory) -> JkoPay:
    sim: Sim = await start(aiohttp_client)
    return JkoPay(sim)


def valid(short: str, body: Any) -> None:
    errors = contracts().errors(contract_id(short), body)
    assert not errors, errors


async def paid(jko: JkoPay, no: str = "order-1", amount: int = 1200) -> None:
    url = await jko.payment_url(no, amount)
    assert (await jko.press(url, "approve")).status in (200, 303)


async def other_store(jko: JkoPay) -> JkoPay:
    made = await jko.sim.control("POST", "/merchants", {"gateway": "jkopay"})
    assert made.status == 201, made.body
    return JkoPay(jko.sim, made.body["merchant_id"], made.body["hash_key"],
                  made.body["hash_iv"])


async def test_entry_answers_a_payment_url_and_qr_valid_twenty_minutes(jko: JkoPay) -> None:
    before = int(jko.sim.domain.clock.now())  # the clock runs on: the entry is in between
    answer = await jko.entry("order-1", 1200, result_url="https://shop.example/jko")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith(
        "application/json")
    valid("jkopay/entry_response", answer.body)
    result = answer.body["result_object"]
    assert result["payment_url"].startswith("http://127.0.0.1:8080/jkopay/onlinepay/ord_")
    assert "token=" in result["payment_url"] and "token=" in result["qr_img"]
    assert before + 1200 <= result["qr_timeout"] <= int(jko.sim.domain.clock.now()) + 1200
    order = jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")
    assert order is not None and (order["amount"], order["confirm"]) == (1200, False)


async def test_valid_time_bounds_the_window(jko: JkoPay) -> None:
    from paylab.simulator.gateways.jkopay.wire import taiwan_time
    at = jko.sim.domain.clock.now()
    answer = await jko.entry("order-v", 100, valid_time=taiwan_time(at + 300))
    assert answer.body["result_object"]["qr_timeout"] == int(at) + 300
    past = await jko.entry("order-p", 100, valid_time=taiwan_time(jko.sim.domain.clock.now()
                                                                  - 1))
    assert past.body["result"] == "201"


async def test_a_reentry_returns_the_same_url_and_refreshes_nothing(jko: JkoPay) -> None:
    first = await jko.entry("order-1", 1200)
    await jko.sim.control("POST", "/clock/advance", {"seconds": 300})
    again = await jko.entry("order-1", 1200)
    assert again.body == first.body


@pytest.mark.parametrize(("change", "code"), [
    ({"final_price": 1100}, "201"), ({"total_price": 1300}, "201"), ({"unredeem": 5}, "201")])
async def test_a_reentry_with_other_amounts_is_refused(jko: JkoPay, change: dict[str, Any],
                                                       code: str) -> None:
    await jko.entry("order-1", 1200)
    answer = await jko.post("/platform/entry", {**jko.order("order-1", 1200), **change})
    assert (answer.status, answer.body["result"]) == (200, code), answer.body
    valid("jkopay/error", answer.body)
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")["amount"] == 1200


async def test_a_paid_order_entered_again_is_101(jko: JkoPay) -> None:
    await paid(jko)
    answer = await jko.entry("order-1", 1200)
    assert answer.body["result"] == "101" and answer.body["result_object"] is None


@pytest.mark.parametrize(("body", "code"), [
    ({"currency": "USD"}, "201"), ({"final_price": 0}, "201"), ({"final_price": "ten"}, "200"),
    ({"final_price": 12.5}, "201"), ({"final_price": True}, "200"),
    ({"platform_order_id": "x" * 61}, "200"), ({"platform_order_id": ""}, "200"),
    ({"final_price": 1300}, "201"), ({"unredeem": 1300}, "201"), ({"nonsense": 1}, "200"),
    ({"result_url": "ftp://x"}, "201"), ({"payment_type": "regular"}, "201"),
    ({"valid_time": "tomorrow"}, "201"), ({"products": [{"name": "tea"}]}, "200"),
    ({"result_url": "http://127.0.0.1:8080/_sim/reset"}, "201")])
async def test_bad_entry_fields_are_refused_without_an_order(jko: JkoPay, body: dict[str, Any],
                                                             code: str) -> None:
    answer = await jko.post("/platform/entry", {**jko.order("bad-1", 1200), **body})
    assert (answer.status, answer.body["result"]) == (200, code), answer.body
    valid("jkopay/error", answer.body)
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "bad-1") is None


async def test_a_missing_field_and_a_broken_body_are_200(jko: JkoPay) -> None:
    body = jko.order("bad-2")
    del body["unredeem"]
    missing = await jko.post("/platform/entry", body)
    assert missing.body["result"] == "200" and "unredeem" in missing.body["message"]
    for raw in (b"{", b"[]", b'{"a":1,"a":2}', b"\xff"):
        broken = await jko.post("/platform/entry", raw=raw)
        assert (broken.status, broken.body["result"]) == (200, "200"), raw


async def test_the_body_store_must_be_the_keys_store(jko: JkoPay) -> None:
    other = await other_store(jko)
    answer = await jko.post("/platform/entry", jko.order("x-1") | {"store_id": other.store_id})
    assert (answer.status, answer.body["result"]) == (403, "201")


async def test_refunds_are_once_per_refund_order_id(jko: JkoPay) -> None:
    await paid(jko)
    first = await jko.refund("order-1", "refund-1", 500)
    valid("jkopay/refund_response", first.body)
    again = await jko.refund("order-1", "refund-1", 500)
    assert again.body == first.body
    order = jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")
    assert order["refunded_amount"] == 500 and len(order["refunds"]) == 1
    other = await jko.refund("order-1", "refund-1", 400)
    assert other.body["result"] == "105"
    second = await jko.refund("order-1", "refund-2", 700)
    assert second.body["result"] == "000"
    assert second.body["result_object"]["refund_tradeNo"] != first.body["result_object"][
        "refund_tradeNo"]


@pytest.mark.parametrize(("amount", "code"), [(0, "103"), (-5, "103"), (1201, "922"),
                                              (701, "113")])
async def test_refund_amount_codes(jko: JkoPay, amount: int, code: str) -> None:
    await paid(jko)
    assert (await jko.refund("order-1", "refund-a", 500)).body["result"] == "000"
    answer = await jko.refund("order-1", "refund-b", amount)
    assert (answer.status, answer.body["result"]) == (200, code), answer.body
    valid("jkopay/error", answer.body)
    order = jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")
    assert order["refunded_amount"] == 500


async def test_refunds_of_unknown_unpaid_and_other_stores_orders(jko: JkoPay) -> None:
    assert (await jko.refund("nope", "r", 1)).body["result"] == "100"
    await jko.entry("unpaid", 300)
    assert (await jko.refund("unpaid", "r", 1)).body["result"] == "113"
    await paid(jko, "mine", 300)
    other = await other_store(jko)
    assert (await other.refund("mine", "r", 1)).body["result"] == "100"
    assert (await other.inquiry_get("mine")).body["result_object"]["transactions"][0][
        "status"] == 102
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "mine")[
        "refunded_amount"] == 0


async def test_inquiry_in_both_forms(jko: JkoPay) -> None:
    await paid(jko, "paid-1", 900)
    await jko.refund("paid-1", "rf-1", 100)
    await jko.entry("waiting-1", 200)
    got = await jko.inquiry_get("paid-1", "waiting-1", "unknown-1")
    valid("jkopay/inquiry_response", got.body)
    rows = got.body["result_object"]["transactions"]
    assert [(r["platform_order_id"], r["status"]) for r in rows] == [
        ("paid-1", 0), ("waiting-1", 101), ("unknown-1", 102)]
    assert rows[0]["final_price"] == 900 and rows[0]["debit_amount"] == 900
    assert [(h["refund_order_id"], h["debit_amount"]) for h in rows[0]["refund_history"]] == [
        ("rf-1", 100)]
    posted = await jko.inquiry_post("paid-1")
    valid("jkopay/inquiry_response", posted.body)
    assert posted.body["result_object"]["transactions"] == rows[:1]
    # kurorido's client requests `?=platform_order_ids=...` and signs without the `=`
    quirky = await jko.inquiry_get(query="=platform_order_ids=paid-1")
    assert quirky.body["result_object"]["transactions"] == rows[:1]


async def test_inquiry_refusals(jko: JkoPay) -> None:
    bad = await jko.inquiry_get("a", digest="0" * 64)
    assert (bad.status, bad.body["result"]) == (403, "201")
    many = await jko.inquiry_get(*[f"o{i}" for i in range(21)])
    assert many.body["result"] == "108"
    empty = await jko.inquiry_get(query="platform_order_ids=,")
    assert empty.body["result"] == "200"
    nothing = await jko.post("/platform/inquiry", {"store_id": jko.store_id})
    assert nothing.body["result"] == "200"


async def test_unrouted_paths_answer_in_jkopays_envelope(jko: JkoPay) -> None:
    answer = await jko.post("/platform/nothing", {})
    assert answer.status == 404 and answer.body["result"] == "999"
    valid("jkopay/error", answer.body)
    wrong = await jko.sim._send("PUT", "/jkopay/platform/entry")
    assert wrong.status == 405 and wrong.body["result"] == "999"


async def test_a_get_inquiry_may_sign_the_query_as_sent_or_as_written(jko: JkoPay) -> None:
    await jko.entry("訂單-1,x", 300)  # a comma would split the list: found as two ids
    await jko.entry("訂單-2", 300)
    written = "platform_order_ids=訂單-2"
    sent = "platform_order_ids=" + urllib.parse.quote("訂單-2")
    for signed in (written, sent):
        answer = await jko.inquiry_get(query=sent, digest=sign(jko.secret, signed.encode()))
        assert answer.status == 200, answer.body
        assert answer.body["result_object"]["transactions"][0]["status"] == 101
    other = await jko.inquiry_get(query=sent, digest=sign(jko.secret, b"platform_order_ids=x"))
    assert other.status == 403
