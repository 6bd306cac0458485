"""LINE Pay in process, the Request API and its gate: signed headers (1106 for a bad or
missing signature, an unknown channel or a reused nonce), the amount checks (2101 naming
the field, 1124 for a fraction TWD cannot carry), a repeated orderId (1172), and the
answer: a 19-digit transactionId written as an exact JSON integer, a 12-digit
paymentAccessToken and paymentUrl.web on the simulator carrying the page token. A refusal
creates nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.suites.unit import linepay_client as lp
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start

REQUEST = "/v3/payments/request"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client, public_url="https://sim.example")


def orders(sim: Sim) -> int:
    return len(sim.domain.orders.page(lp.TENANT, limit=100)[0])


async def test_a_request_answers_a_transaction_id_past_2_53_written_exactly(sim: Sim) -> None:
    answer = await lp.call(sim, "POST", REQUEST, lp.body())
    assert answer.status == 200 and answer.body["returnCode"] == "0000"
    contracts().check(contract_id("linepay/request_response"), answer.body)
    info = answer.body["info"]
    tid = info["transactionId"]
    assert isinstance(tid, int) and tid > 2**53 and len(str(tid)) == 19
    assert f'"transactionId":{tid}' in answer.text  # an integer, every digit written
    assert re.fullmatch(r"[0-9]{12}", info["paymentAccessToken"])
    order = sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")
    assert info["paymentUrl"]["web"] == (
        f"https://sim.example/linepay/web/payment/wait?transactionReserveId={order['id']}"
        f"&token={order['page_token']}")
    assert info["paymentUrl"]["app"] == f"line://pay/payment/{order['id']}"
    assert (order["status"], order["amount"], order["currency"]) == ("created", 1000, "twd")


@pytest.mark.parametrize("amount", [1000.0, 1000])
async def test_integral_floats_are_amounts_as_the_python_sdk_sends_them(sim: Sim, amount: Any
                                                                        ) -> None:
    assert (await lp.reserve(sim, amount=amount))["transactionId"]


async def test_usd_takes_cents(sim: Sim) -> None:
    await lp.reserve(sim, "USD-1", 10.5, currency="USD")
    assert sim.domain.orders.find_by_merchant_order(lp.TENANT, "USD-1")["amount"] == 1050


@pytest.mark.parametrize("currency", ["TWD", "JPY"])
async def test_a_fraction_of_a_dollar_or_yen_is_1124(sim: Sim, currency: str) -> None:
    answer = await lp.call(sim, "POST", REQUEST, lp.body(amount=100.5, currency=currency))
    assert answer.body["returnCode"] == "1124" and "amount" in answer.body["returnMessage"]
    assert answer.status == 200 and orders(sim) == 0


def _broken(change: str) -> dict[str, Any]:
    doc = lp.body()
    if change == "total":
        doc["amount"] = 999
    elif change == "package":
        doc["packages"][0]["amount"] = 900
        doc["amount"] = 900
    elif change == "missing":
        del doc["redirectUrls"]
    elif change == "type":
        doc["amount"] = "1000"
    elif change == "currency":
        doc["currency"] = "EUR"
    elif change == "product":
        doc["packages"][0]["products"][0]["quantity"] = 0
    return doc


@pytest.mark.parametrize(("change", "field"), [
    ("total", "amount"), ("package", "packages.0.amount"), ("missing", "redirectUrls"),
    ("type", "amount"), ("currency", "currency"),
    ("product", "packages.0.products.0.quantity is too small")])
async def test_bad_fields_are_2101_naming_the_field_and_create_nothing(sim: Sim, change: str,
                                                                       field: str) -> None:
    answer = await lp.call(sim, "POST", REQUEST, _broken(change))
    assert (answer.status, answer.body["returnCode"]) == (200, "2101")
    assert f"({field}" in answer.body["returnMessage"]
    contracts().check(contract_id("linepay/error"), answer.body)
    assert orders(sim) == 0


async def test_user_fees_and_shipping_count_in_the_amount(sim: Sim) -> None:
    doc = lp.body(amount=1000)
    doc["packages"][0]["userFee"] = 20
    doc.update(amount=1080, options={"shipping": {"type": "SHIPPING", "feeAmount": 60}})
    answer = await lp.call(sim, "POST", REQUEST, doc)
    assert answer.body["returnCode"] == "0000", answer.body


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'{"amount": NaN}'])
async def test_a_body_that_is_no_json_object_is_2101(sim: Sim, raw: bytes) -> None:
    answer = await lp.call(sim, "POST", REQUEST, raw=raw)
    assert (answer.status, answer.body["returnCode"]) == (200, "2101")


async def test_a_repeated_order_id_is_1172(sim: Sim) -> None:
    await lp.reserve(sim, "Dup")
    answer = await lp.call(sim, "POST", REQUEST, lp.body("Dup"))
    assert answer.body["returnCode"] == "1172" and orders(sim) == 1


async def test_preapproved_is_not_emulated_and_says_so(sim: Sim) -> None:
    doc = lp.body(options={"payment": {"payType": "PREAPPROVED"}})
    assert (await lp.call(sim, "POST", REQUEST, doc)).body["returnCode"] == "1154"
    answer = await lp.call(sim, "POST", "/v3/payments/preapprovedPay/RK123/payment", {})
    assert answer.body["returnCode"] == "1154" and "not emulated" in answer.body["returnMessage"]
    assert orders(sim) == 0


@pytest.mark.parametrize("how", ["secret", "channel", "no_signature", "no_nonce", "mount"])
async def test_a_bad_credential_is_1106_and_creates_nothing(sim: Sim, how: str) -> None:
    kwargs: dict[str, Any] = {
        "secret": {"secret": "x" * 32}, "channel": {"channel": "1659999999"},
        "no_signature": {"headers": {"X-LINE-Authorization": ""}},
        "no_nonce": {"headers": {"X-LINE-Authorization-Nonce": ""}}, "mount": {}}[how]
    if how == "mount":  # signed over the path with /linepay: not the API path
        raw = json.dumps(lp.body()).encode()
        answer = await lp.call(sim, "POST", REQUEST, raw=raw, headers={
            "X-LINE-Authorization": lp.linepay_signature(lp.SECRET, "/linepay" + REQUEST,
                                                         raw.decode(), "n-1"),
            "X-LINE-Authorization-Nonce": "n-1"})
    else:
        answer = await lp.call(sim, "POST", REQUEST, lp.body(), **kwargs)
    assert (answer.status, answer.body["returnCode"]) == (200, "1106"), answer.body
    assert orders(sim) == 0


async def test_a_reused_nonce_is_1106_and_the_replay_creates_nothing(sim: Sim) -> None:
    first = await lp.call(sim, "POST", REQUEST, lp.body("N-1"), nonce="nonce-once")
    assert first.body["returnCode"] == "0000"
    again = await lp.call(sim, "POST", REQUEST, lp.body("N-2"), nonce="nonce-once")
    assert again.body["returnCode"] == "1106" and "Nonce" in again.body["returnMessage"]
    assert orders(sim) == 1


async def test_an_unrouted_path_answers_in_linepays_shape(sim: Sim) -> None:
    answer = await sim._send("GET", "/linepay/v3/nothing")
    assert answer.status == 404 and answer.body["returnCode"] == "2101"


async def test_an_injected_fault_is_9000_with_its_status_and_changes_nothing(sim: Sim) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": {"gateway": "linepay"},
                                     "effects": [{"error": {"status": 503}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200
    answer = await lp.call(sim, "POST", REQUEST, lp.body())
    assert answer.status == 503 and answer.body["returnCode"] == "9000"
    contracts().check(contract_id("linepay/error"), answer.body)
    assert orders(sim) == 0


async def test_a_body_nested_past_the_parsers_depth_is_2101_not_a_crash(sim: Sim) -> None:
    deep = b'{"amount": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    answer = await lp.call(sim, "POST", REQUEST, raw=deep)
    assert (answer.status, answer.body["returnCode"]) == (200, "2101"), answer.text[:200]
    assert orders(sim) == 0



async def test_scenario_rules_match_the_channel_and_the_amount(sim: Sim) -> None:
    rules = {"name": "t", "rules": [{"name": "big", "match": {
        "gateway": "linepay", "tenant": lp.TENANT, "amount": {"min": 5000}},
        "effects": [{"error": {"status": 502}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200
    big = await lp.call(sim, "POST", REQUEST, lp.body("Big", 6000))
    assert (big.status, big.body["returnCode"]) == (502, "9000")
    small = await lp.call(sim, "POST", REQUEST, lp.body("Small", 1000))
    assert small.body["returnCode"] == "0000"
    assert orders(sim) == 1
