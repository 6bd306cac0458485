"""The hosted MPG page's own rules in process: TradeLimit closes it, BankType limits the
banks offered, WebATM on the stage goes through Hua Nan Bank only, ExpireTime is for store
codes, a card issued abroad is FOREIGN; and a voided authorisation cannot be captured."""

from __future__ import annotations

import re

import pytest
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import NewebPay, posted_forms, shown


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


async def test_trade_limit_closes_the_page(nwp: NewebPay) -> None:
    location = await nwp.start(TradeLimit=30)  # clamped to 60 seconds
    nwp.sim.domain.advance_clock(59)
    assert (await nwp.sim.page("GET", location)).status == 200
    nwp.sim.domain.advance_clock(2)
    page = await nwp.sim.page("GET", location)
    assert shown(page.text, "error-code") == "MPG02004"
    assert nwp.sim.domain.orders.find_any(location.split("/")[-1].split("?")[0])[1][
        "status"] == "expired"


async def test_webatm_on_the_stage_takes_hua_nan_bank_only(nwp: NewebPay) -> None:
    location = await nwp.start(WEBATM=1, VACC=1)
    page = await nwp.sim.page("GET", location + "&method=WEBATM")
    options = re.findall(r'<option value="([A-Z]+)">', page.text)
    assert options == ["HNCB", "BOT"]  # KGI takes ATM transfers only
    answer = await nwp.sim.page("POST", location, {"method": "WEBATM", "bank": "BOT"})
    assert answer.status == 400 and "WebATM 銀行別錯誤" in answer.text
    atm = await nwp.sim.page("GET", location + "&method=VACC")
    assert re.findall(r'<option value="([A-Z]+)">', atm.text) == ["HNCB", "BOT", "KGI"]
    assert nwp.sim.domain.orders.find_by_merchant_order(f"newebpay-{nwp.merchant_id}",
                                                        "Order_1")["status"] == "created"


async def test_bank_type_limits_the_banks_offered(nwp: NewebPay) -> None:
    location = await nwp.start(VACC=1, BankType="KGI")
    page = await nwp.sim.page("GET", location + "&method=VACC")
    assert re.findall(r'<option value="([A-Z]+)">', page.text) == ["KGI"]


async def test_expire_time_applies_to_store_codes_only(nwp: NewebPay) -> None:
    location = await nwp.start(VACC=1, ExpireTime="180000")
    await nwp.sim.page("POST", location, {"method": "VACC"})
    page = await nwp.sim.page("GET", location)
    assert (shown(page.text, "expire-date") or "").endswith(" 23:59:59")


async def test_a_card_issued_abroad_is_foreign(nwp: NewebPay) -> None:
    location = await nwp.start(ReturnURL="http://127.0.0.1:9/r")
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT",
                                                   "cardnumber": "4242424242424242",
                                                   "expiry": "12/30", "cvc": "123"})
    page = await nwp.sim.page("GET", answer.headers["Location"])
    _, _, result = nwp.open(posted_forms(page.text)["return-post"][1])
    assert (result["PaymentMethod"], result["Card6No"]) == ("FOREIGN", "424242")


async def test_capture_of_a_voided_authorisation_is_tra10026(nwp: NewebPay) -> None:
    location = await nwp.start(MerchantOrderNo="V1", Amt=300)
    await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": "4000221111111111",
                                          "expiry": "12/30", "cvc": "123"})
    assert (await nwp.cancel("V1", 300)).body["Status"] == "SUCCESS"
    assert (await nwp.close("V1", 300, 1)).body["Status"] == "TRA10026"
