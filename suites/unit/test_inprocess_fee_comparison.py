"""GET /_sim/fees/comparison on an in-process simulator: the card payments run, their
Stripe fee and what they would cost on every other gateway's schedule, valid against
contracts/control/fee_comparison; bad input gets the control API's error JSON."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def comparison(sim: Sim, **query: Any) -> dict[str, Any]:
    answer = await sim.control("GET", "/fees/comparison", query=query)
    assert answer.status == 200, answer.body
    problem = contracts().problem(contract_id("control/fee_comparison"), answer.body)
    assert problem is None, problem
    return answer.body


async def test_card_traffic_priced_on_every_gateway(sim: Sim) -> None:
    for amount in (2000, 3000):
        assert (await sim.pay(amount, "usd", "pm_card_visa")).status == 200
    assert (await sim.pay(5000, "usd", "pm_card_chargeDeclined")).status == 402
    doc = await comparison(sim, tenant=sim.key)
    assert sorted(doc["gateways"]) == ["ecpay", "jkopay", "linepay", "newebpay", "paypal",
                                       "stripe"]
    (row,) = doc["currencies"]["usd"]["rows"]
    assert (row["gateway"], row["method"], row["family"]) == ("stripe", "card", "card")
    assert (row["count"], row["succeeded"], row["settled_count"]) == (3, 2, 2)
    assert (row["amount"], row["fee"]) == (5000, 88 + 117)   # 2.9% + 30 cents each
    assert (row["success_rate"], row["effective_rate"]) == (0.6667, 0.041)
    # ECPay's card: 2.75% + 0.75% for a US card (issued outside TW), each half up
    assert row["on"]["ecpay"] == {"method": "card", "fee": (55 + 15) + (83 + 23),
                                  "effective_rate": 0.0352}
    assert row["on"]["newebpay"]["fee"] == (56 + 14) + (84 + 21)  # 2.8% + 0.7%
    assert row["on"]["linepay"] == {"method": None, "fee": None, "effective_rate": None}
    totals = {t["gateway"]: t for t in doc["currencies"]["usd"]["totals"]}
    assert (totals["paypal"]["unpriced_count"], totals["paypal"]["unpriced_amount"]) == (2, 5000)
    assert totals["stripe"]["fee"] == 205


async def test_every_tenant_or_none_and_bad_input_refused(sim: Sim) -> None:
    assert (await comparison(sim))["currencies"] == {}
    unknown = await sim.control("GET", "/fees/comparison", query={"tenant": "nobody"})
    assert unknown.status == 404, unknown.body
    bad = await sim.control("GET", "/fees/comparison", query={"gateway": "x" * 300})
    assert bad.status == 400, bad.body
