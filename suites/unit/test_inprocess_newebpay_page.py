"""The hosted MPG page's own rules in process: TradeLimit closes it, BankType limits the
banks offered, WebATM on the stage goes through Hua Nan Bank only."""

from __future__ import annotations

import re

import pytest
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import NewebPay, shown


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
