"""NewebPay's server APIs in process: QueryTradeInfo (CheckValue in, CheckCode out),
CreditCard/Close (capture, cancel a capture, refund after the nightly close) and
CreditCard/Cancel (void), urlencoded and multipart, with their Status codes."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.render import TAIPEI
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, contracts, eventually, start
from paylab.suites.unit.newebpay_client import NewebPay

CARD = "4000221111111111"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


async def authorised(nwp: NewebPay, order_no: str = "Card_1", amount: int = 500) -> str:
    location = await nwp.start(MerchantOrderNo=order_no, Amt=amount, CREDIT=1)
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": CARD,
                                                   "expiry": "12/30", "cvc": "123"})
    assert answer.status == 303
    return location


def status_of(answer: Answer, expected: str) -> dict[str, Any]:
    assert answer.status == 200, answer.text
    assert answer.body["Status"] == expected, answer.body
    errors = contracts().errors(contract_id("newebpay/api_response"), answer.body) \
        if "TradeStatus" not in str(answer.body) else []
    assert not errors, errors
    return answer.body["Result"]


def past_the_nightly_close(nwp: NewebPay) -> None:
    """Advance the virtual clock past 21:00 Taiwan time."""
    now = dt.datetime.fromtimestamp(nwp.now(), TAIPEI)
    close = now.replace(hour=21, minute=0, second=0, microsecond=0)
    if close <= now:
        close += dt.timedelta(days=1)
    nwp.sim.domain.advance_clock((close - now).total_seconds() + 60)


# -- QueryTradeInfo -----------------------------------------------------------------------
@pytest.mark.parametrize("multipart", [False, True])
async def test_query_answers_the_trade_with_its_check_code(nwp: NewebPay, multipart: bool
                                                           ) -> None:
    await authorised(nwp)
    answer = await nwp.query("Card_1", 500, multipart=multipart)
    result = status_of(answer, "SUCCESS")
    assert contracts().errors(contract_id("newebpay/query_response"), answer.body) == []
    assert (result["TradeStatus"], result["PaymentType"], result["Amt"], result["CloseStatus"],
            result["CloseAmt"], result["Card4No"]) == ("1", "CREDIT", 500, "0", "0", "1111")
    expected = crypto.check_code({"Amt": "500", "MerchantID": nwp.merchant_id,
                                  "MerchantOrderNo": "Card_1", "TradeNo": result["TradeNo"]},
                                 nwp.hash_key, nwp.hash_iv)
    assert result["CheckCode"] == expected
    order = nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                         "Card_1")
    assert result["PayTime"] == dt.datetime.fromtimestamp(order["authorized_at"], TAIPEI
                                                          ).strftime("%Y-%m-%d %H:%M:%S")


async def test_query_in_string_form(nwp: NewebPay) -> None:
    await authorised(nwp)
    answer = await nwp.query("Card_1", 500, respond_type="String")
    fields = dict(urllib.parse.parse_qsl(answer.text))
    assert (fields["Status"], fields["TradeStatus"], fields["Amt"]) == ("SUCCESS", "1", "500")


@pytest.mark.parametrize(("changes", "code"), [
    ({"CheckValue": "0" * 64}, "TRA10054"), ({"CheckValue": None}, "MEM40013"),
    ({"TimeStamp": "1"}, "TRA40014"), ({"Version": "1.0"}, "MEM40013"),
    ({"MerchantID": "MS000000009"}, "TRA10001"), ({"MerchantID": ""}, "TRA10009"),
])
async def test_query_refusals(nwp: NewebPay, changes: dict[str, str | None], code: str) -> None:
    await authorised(nwp)
    form_changes = {k: v for k, v in changes.items() if v is not None}
    answer = await nwp.query("Card_1", 500, **form_changes)
    if None in changes.values():
        check = crypto.check_value({"Amt": "500", "MerchantID": nwp.merchant_id,
                                    "MerchantOrderNo": "Card_1"}, nwp.hash_key, nwp.hash_iv)
        form = {"MerchantID": nwp.merchant_id, "Version": "1.3", "RespondType": "JSON",
                "CheckValue": check, "TimeStamp": str(nwp.now()), "MerchantOrderNo": "Card_1",
                "Amt": "500"}
        form = {k: v for k, v in form.items() if k not in changes}
        answer = await nwp.api("/API/QueryTradeInfo", form)
    assert status_of(answer, code) == []


async def test_query_of_an_unknown_order_or_amount(nwp: NewebPay) -> None:
    await authorised(nwp)
    assert status_of(await nwp.query("Nope", 500), "TRA10021") == []
    assert status_of(await nwp.query("Card_1", 501), "TRA10050") == []


async def test_query_shows_an_issued_code(nwp: NewebPay) -> None:
    location = await nwp.start(MerchantOrderNo="Atm_1", VACC=1)
    await nwp.sim.page("POST", location, {"method": "VACC", "bank": "KGI"})
    result = status_of(await nwp.query("Atm_1", 100), "SUCCESS")
    assert result["TradeStatus"] == "0" and result["OrderStatus"] == "0"
    assert result["PayInfo"].startswith("(809)") and result["PayTime"] == "0000-00-00 00:00:00"
    older = status_of(await nwp.query("Atm_1", 100, Version="1.1"), "SUCCESS")
    assert "OrderStatus" not in older  # only version 1.3 answers it


# -- CreditCard/Close ---------------------------------------------------------------------
async def test_capture_then_cancel_it_then_capture_again(nwp: NewebPay) -> None:
    await authorised(nwp)
    result = status_of(await nwp.close("Card_1", 300, 1), "SUCCESS")
    assert (result["Amt"], result["MerchantOrderNo"]) == (300, "Card_1")
    query = status_of(await nwp.query("Card_1", 500), "SUCCESS")
    assert (query["CloseStatus"], query["CloseAmt"]) == ("1", "300")
    assert status_of(await nwp.close("Card_1", 300, 1), "TRA10027") == []
    status_of(await nwp.close("Card_1", 300, 1, Cancel=1), "SUCCESS")
    assert status_of(await nwp.query("Card_1", 500), "SUCCESS")["CloseStatus"] == "0"
    assert status_of(await nwp.close("Card_1", 501, 1), "TRA10028") == []
    status_of(await nwp.close("Card_1", 500, 1), "SUCCESS")


async def test_refunds_wait_for_the_nightly_close(nwp: NewebPay) -> None:
    await authorised(nwp)
    status_of(await nwp.close("Card_1", 500, 1), "SUCCESS")
    assert status_of(await nwp.close("Card_1", 100, 2), "TRA10048") == []
    past_the_nightly_close(nwp)
    assert status_of(await nwp.close("Card_1", 500, 1, Cancel=1), "TRA10095") == []
    assert status_of(await nwp.close("Card_1", 501, 2), "TRA10039") == []
    status_of(await nwp.close("Card_1", 200, 2), "SUCCESS")
    query = status_of(await nwp.query("Card_1", 500), "SUCCESS")
    assert (query["CloseStatus"], query["BackBalance"], query["BackStatus"],
            query["TradeStatus"]) == ("3", "300", "3", "1")
    assert status_of(await nwp.close("Card_1", 301, 2), "TRA20028") == []
    status_of(await nwp.close("Card_1", 300, 2), "SUCCESS")
    assert status_of(await nwp.query("Card_1", 500), "SUCCESS")["TradeStatus"] == "6"
    assert status_of(await nwp.close("Card_1", 1, 2, Cancel=1), "TRA10094") == []


async def test_the_nightly_close_captures_authorisations(nwp: NewebPay) -> None:
    await authorised(nwp)
    past_the_nightly_close(nwp)

    async def closed() -> bool:
        return nwp.sim.domain.orders.find_by_merchant_order(
            f"newebpay-{nwp.merchant_id}", "Card_1")["closed"]
    await eventually(closed)
    assert status_of(await nwp.cancel("Card_1", 500), "TRA10047") == []
    status_of(await nwp.close("Card_1", 500, 2), "SUCCESS")


async def test_refund_of_an_authorisation_not_captured_is_tra10035(nwp: NewebPay) -> None:
    await authorised(nwp)
    assert status_of(await nwp.close("Card_1", 100, 2), "TRA10035") == []


async def test_close_finds_the_trade_by_trade_no(nwp: NewebPay) -> None:
    await authorised(nwp)
    trade_no = status_of(await nwp.query("Card_1", 500), "SUCCESS")["TradeNo"]
    result = status_of(await nwp.close("", 500, 1, IndexType=2, TradeNo=trade_no,
                                       MerchantOrderNo=None), "SUCCESS")
    assert result["TradeNo"] == trade_no
    wrong = trade_no[:-1] + str((int(trade_no[-1]) + 1) % 10)
    assert status_of(await nwp.close("", 500, 1, IndexType=2, TradeNo=wrong), "TRA10038") == []


@pytest.mark.parametrize(("fields", "code"), [
    ({"IndexType": 3}, "TRA10032"), ({"MerchantOrderNo": ""}, "TRA10033"),
    ({"MerchantOrderNo": "bad-no!"}, "TRA10037"), ({"MerchantOrderNo": "Other"}, "TRA20002"),
    ({"Amt": "abc"}, "TRA10003"), ({"CloseType": None}, "MEM40013"),
    ({"TimeStamp": 1}, "TRA40014"), ({"RespondType": "XML"}, "TRA10036"),
])
async def test_close_refusals(nwp: NewebPay, fields: dict[str, Any], code: str) -> None:
    await authorised(nwp)
    base = {"Version": "1.1", "Amt": 100, "MerchantOrderNo": "Card_1", "IndexType": 1,
            "CloseType": 1, **fields}
    answer = await nwp.post_data("/API/CreditCard/Close", base)
    assert status_of(answer, code) == []
    query = status_of(await nwp.query("Card_1", 500), "SUCCESS")
    assert query["CloseStatus"] == "0"  # nothing happened behind the error


async def test_close_of_a_code_payment_is_tra10021(nwp: NewebPay) -> None:
    location = await nwp.start(MerchantOrderNo="Cvs_1", CVS=1)
    await nwp.sim.page("POST", location, {"method": "CVS"})
    assert status_of(await nwp.close("Cvs_1", 100, 1), "TRA10021") == []


async def test_post_data_that_does_not_decrypt_is_tra10008(nwp: NewebPay) -> None:
    answer = await nwp.api("/API/CreditCard/Close", {"MerchantID_": nwp.merchant_id,
                                                    "PostData_": "00" * 32})
    assert status_of(answer, "TRA10008") == []
    answer = await nwp.api("/API/CreditCard/Close", {"MerchantID_": nwp.merchant_id})
    assert status_of(answer, "MEM40012") == []


# -- CreditCard/Cancel --------------------------------------------------------------------
@pytest.mark.parametrize("multipart", [False, True])
async def test_cancel_voids_an_authorisation(nwp: NewebPay, multipart: bool) -> None:
    await authorised(nwp)
    answer = await nwp.post_data("/API/CreditCard/Cancel", {
        "Version": "1.0", "Amt": 500, "MerchantOrderNo": "Card_1", "IndexType": 1},
        multipart=multipart)
    result = status_of(answer, "SUCCESS")
    expected = crypto.check_code({"Amt": "500", "MerchantID": nwp.merchant_id,
                                  "MerchantOrderNo": "Card_1", "TradeNo": result["TradeNo"]},
                                 nwp.hash_key, nwp.hash_iv)
    assert result["CheckCode"] == expected
    assert status_of(await nwp.query("Card_1", 500), "SUCCESS")["TradeStatus"] == "3"
    assert status_of(await nwp.cancel("Card_1", 500), "TRA10047") == []


async def test_cancel_needs_the_authorised_amount_and_no_capture(nwp: NewebPay) -> None:
    await authorised(nwp)
    assert status_of(await nwp.cancel("Card_1", 499), "TRA10050") == []
    status_of(await nwp.close("Card_1", 500, 1), "SUCCESS")
    assert status_of(await nwp.cancel("Card_1", 500), "TRA10047") == []
    assert status_of(await nwp.cancel("Card_1", 499), "TRA10047") == []  # state comes first


async def test_cancel_in_string_form(nwp: NewebPay) -> None:
    await authorised(nwp)
    answer = await nwp.cancel("Card_1", 500, RespondType="String")
    fields = dict(urllib.parse.parse_qsl(answer.text))
    assert (fields["Status"], fields["MerchantOrderNo"], fields["Amt"]) == (
        "SUCCESS", "Card_1", "500")
    assert len(fields["CheckCode"]) == 64


async def test_another_merchants_post_data_is_refused(nwp: NewebPay) -> None:
    await authorised(nwp)
    other = NewebPay(nwp.sim, hash_key="B" * 32)
    answer = await other.cancel("Card_1", 500)
    assert status_of(answer, "TRA10008") == []
    assert status_of(await nwp.query("Card_1", 500), "SUCCESS")["TradeStatus"] == "1"
