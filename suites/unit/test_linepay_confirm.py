"""LINE Pay in process after the request: confirm (1169 before approval, 1153 for another
amount or currency with nothing changed, 1172 when already confirmed, 1150 unknown, 1159
after the reservation lapsed on the virtual clock), capture:false with capture and void,
refunds (partial, full, 1164, 1165, 1155), payment details and check-status codes; each
answer valid against its contract."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.simulator.gateways.linepay.payments import RESERVATION
from paylab.suites.unit import linepay_client as lp
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def valid(answer: Any, name: str) -> dict[str, Any]:
    contracts().check(contract_id(f"linepay/{name}"), answer.body)
    return answer.body


async def check(sim: Sim, tid: int) -> str:
    answer = await lp.call(sim, "GET", f"/v3/payments/requests/{tid}/check")
    return valid(answer, "check_response")["returnCode"]


async def details(sim: Sim, query: str) -> dict[str, Any]:
    return valid(await lp.call(sim, "GET", "/v3/payments", query=query), "details_response")


async def refund(sim: Sim, tid: int, amount: Any = None) -> dict[str, Any]:
    payload = {} if amount is None else {"refundAmount": amount}
    answer = await lp.call(sim, "POST", f"/v3/payments/{tid}/refund", payload)
    return valid(answer, "refund_response")


async def test_confirm_waits_for_the_approval_then_pays_once(sim: Sim) -> None:
    info = await lp.reserve(sim)
    tid = info["transactionId"]
    assert await check(sim, tid) == "0000"
    assert (await lp.confirm(sim, tid)).body["returnCode"] == "1169"
    assert (await lp.approve(sim, info)).status == 303
    assert await check(sim, tid) == "0110"
    done = valid(await lp.confirm(sim, tid, 1000.0), "confirm_response")
    assert done["returnCode"] == "0000" and done["info"]["transactionId"] == tid
    assert done["info"]["payInfo"] == [{"method": "BALANCE", "amount": 1000}]
    assert "authorizationExpireDate" not in done["info"]
    assert await check(sim, tid) == "0123"
    again = await lp.confirm(sim, tid)
    assert again.body["returnCode"] == "1172"
    order = sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")
    assert (order["status"], order["captured_amount"]) == ("paid", 1000)


@pytest.mark.parametrize(("amount", "currency"), [(999, "TWD"), (1001, "TWD"), (1000, "JPY")])
async def test_another_amount_or_currency_is_1153_and_changes_nothing(
        sim: Sim, amount: int, currency: str) -> None:
    info = await lp.reserve(sim)
    await lp.approve(sim, info)
    answer = await lp.confirm(sim, info["transactionId"], amount, currency)
    assert valid(answer, "error")["returnCode"] == "1153"
    assert await check(sim, info["transactionId"]) == "0110"
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "0000"


async def test_an_unknown_transaction_is_1150(sim: Sim) -> None:
    assert (await lp.confirm(sim, 2026120200000000001)).body["returnCode"] == "1150"
    assert (await check(sim, 2026120200000000001)) == "1150"


async def test_a_confirm_after_the_reservation_lapsed_is_1159(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await lp.approve(sim, info)
    advanced = await sim.control("POST", "/clock/advance", {"seconds": RESERVATION + 1})
    assert advanced.status == 200, advanced.body
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1159"
    assert await check(sim, info["transactionId"]) == "0121"
    assert sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")["status"] == "expired"


async def test_capture_false_authorises_then_captures(sim: Sim) -> None:
    info = await lp.reserve(sim, capture=False)
    tid = info["transactionId"]
    await lp.approve(sim, info)
    done = valid(await lp.confirm(sim, tid), "confirm_response")["info"]
    assert "authorizationExpireDate" in done
    listed = (await details(sim, f"transactionId={tid}"))["info"][0]
    assert (listed["payStatus"], "authorizationExpireDate" in listed) == ("AUTHORIZATION", True)
    assert (await refund(sim, tid))["returnCode"] == "1155"
    url = f"/v3/payments/authorizations/{tid}/capture"
    over = await lp.call(sim, "POST", url, {"amount": 1001, "currency": "TWD"})
    assert over.body["returnCode"] == "1153"
    captured = await lp.call(sim, "POST", url, {"amount": 1000.0, "currency": "TWD"})
    assert valid(captured, "capture_response")["returnCode"] == "0000"
    assert (await details(sim, f"transactionId={tid}"))["info"][0]["payStatus"] == "CAPTURE"
    assert (await lp.call(sim, "POST", url, {"amount": 1000, "currency": "TWD"})
            ).body["returnCode"] == "1150"


async def test_void_releases_an_authorisation(sim: Sim) -> None:
    info = await lp.reserve(sim, capture=False)
    tid = info["transactionId"]
    await lp.approve(sim, info)
    await lp.confirm(sim, tid)
    url = f"/v3/payments/authorizations/{tid}/void"
    assert valid(await lp.call(sim, "POST", url, {}), "answer")["returnCode"] == "0000"
    assert (await details(sim, f"transactionId={tid}"))["info"][0]["payStatus"] == \
        "VOIDED_AUTHORIZATION"
    assert (await lp.call(sim, "POST", url, {})).body["returnCode"] == "1150"
    capture = f"/v3/payments/authorizations/{tid}/capture"
    assert (await lp.call(sim, "POST", capture, {"amount": 1000, "currency": "TWD"})
            ).body["returnCode"] == "1150"


async def test_refunds_partial_then_full_then_none_left(sim: Sim) -> None:
    tid = (await lp.paid(sim))["transactionId"]
    first = await refund(sim, tid, 300)
    rid = first["info"]["refundTransactionId"]
    assert rid > 2**53 and rid != tid
    assert (await refund(sim, tid, 701))["returnCode"] == "1164"
    assert (await refund(sim, tid))["returnCode"] == "0000"  # the 700 left
    assert (await refund(sim, tid))["returnCode"] == "1165"
    assert (await refund(sim, tid, 1))["returnCode"] == "1165"
    listed = (await details(sim, f"transactionId={tid}"))["info"][0]
    assert [(r["transactionType"], r["refundAmount"]) for r in listed["refundList"]] == [
        ("PARTIAL_REFUND", -300), ("PAYMENT_REFUND", -700)]
    assert sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")["refunded_amount"] == 1000
    by_refund = (await details(sim, f"transactionId={rid}"))["info"][0]
    assert (by_refund["transactionType"], by_refund["originalTransactionId"]) == (
        "PARTIAL_REFUND", tid)


async def test_refunding_an_unconfirmed_payment_is_1155(sim: Sim) -> None:
    info = await lp.reserve(sim)
    assert (await refund(sim, info["transactionId"]))["returnCode"] == "1155"


async def test_details_by_order_id_and_fields(sim: Sim) -> None:
    await lp.paid(sim, "D-1")
    await lp.reserve(sim, "D-2")  # not confirmed: not listed
    both = await details(sim, "orderId=D-1&orderId=D-2")
    assert [e["orderId"] for e in both["info"]] == ["D-1"]
    only_order = (await details(sim, "orderId=D-1&fields=ORDER"))["info"][0]
    assert "packages" in only_order and "payInfo" not in only_order
    only_tx = (await details(sim, "orderId=D-1&fields=TRANSACTION"))["info"][0]
    assert "payInfo" in only_tx and "packages" not in only_tx
    assert (await details(sim, "orderId=D-2"))["returnCode"] == "1150"
    assert (await details(sim, ""))["returnCode"] == "2101"
    assert (await details(sim, "transactionId=abc"))["returnCode"] == "2101"
    many = "&".join(f"orderId=O{i}" for i in range(101))
    assert (await details(sim, many))["returnCode"] == "1177"


async def test_a_lapsed_request_checks_as_ended_before_its_timer_runs(sim: Sim) -> None:
    info = await lp.reserve(sim)
    sim.domain.clock.set_offset(sim.domain.clock.offset + RESERVATION + 1)  # no timers run
    assert sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")["status"] == "created"
    assert await check(sim, info["transactionId"]) == "0121"
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1159"


def test_a_race_lost_to_another_process_reads_as_linepay_does() -> None:
    # processes sharing the database: the order changed between the read and the change
    from paylab.simulator.core.errors import InvalidState
    from paylab.simulator.gateways.linepay.wire import return_code

    assert return_code(InvalidState("order_not_approved", "paid"))[0] == "1172"
    assert return_code(InvalidState("order_not_authorized", "captured"))[0] == "1150"
