"""Network faults on real answers, byte for byte: what a client receives from a scenario's
`wrong_content_type`, `malformed`, `slow_drip` and `hang`, on errors as on successes, and
redirects of the hosted pages passing through a scenario."""

from __future__ import annotations

import json
from typing import Any

import pytest
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, start

MISSING = "/v1/payment_intents/pi_missing"
MARKER = '\x00<!-- upstream error -->{"'


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def with_fault(sim: Sim, network: dict[str, Any], match: dict | None = None) -> None:
    scenario = {"name": "faults", "rules": [{"name": "f", "match": match or {"method": "GET"},
                                             "effects": [{"network": network}]}]}
    answer = await sim.control("PUT", "/scenario", raw=json.dumps(scenario))
    assert answer.status == 200, answer.body


async def plain(sim: Sim, path: str = MISSING) -> Answer:
    """The answer without any scenario (faults are applied to this)."""
    await sim.control("DELETE", "/scenario")
    return await sim.stripe("GET", path)


async def test_a_wrong_content_type_keeps_status_body_and_headers(sim: Sim) -> None:
    await with_fault(sim, {"fault": "wrong_content_type"})
    spoiled = await sim.stripe("GET", MISSING)
    assert spoiled.status == 404
    assert spoiled.headers["Content-Type"].startswith("text/html")
    assert spoiled.headers["Paylab-Effect"] == "f:network=wrong_content_type"
    assert spoiled.headers["Request-Id"].startswith("req_")
    assert spoiled.text == (await plain(sim)).text


async def test_a_malformed_answer_is_half_the_body_then_garbage(sim: Sim) -> None:
    await with_fault(sim, {"fault": "malformed"})
    spoiled = await sim.stripe("GET", MISSING)
    clean = (await plain(sim)).text
    assert spoiled.status == 404
    assert spoiled.headers["Content-Type"].startswith("application/json")
    assert spoiled.headers["Paylab-Effect"] == "f:network=malformed"
    assert spoiled.text == clean[: len(clean) // 2] + MARKER


async def test_a_slow_drip_delivers_the_whole_answer_with_its_headers(sim: Sim) -> None:
    await with_fault(sim, {"fault": "slow_drip", "seconds": 0.05})
    dripped = await sim.stripe("GET", MISSING)
    clean = await plain(sim)
    assert dripped.status == 404 and dripped.text == clean.text
    assert dripped.headers["Content-Type"].startswith("application/json")
    assert dripped.headers["Content-Length"] == str(len(clean.text.encode()))
    assert dripped.headers["Paylab-Effect"] == "f:network=slow_drip"
    assert dripped.headers["Request-Id"].startswith("req_")


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_hang_without_seconds_outlasts_a_patient_client(sim: Sim, when: str) -> None:
    await with_fault(sim, {"fault": "hang", "when": when})
    with pytest.raises(TimeoutError):
        await sim.stripe("GET", MISSING, within=0.3)


async def test_a_hosted_page_redirect_passes_through_a_scenario(sim: Sim) -> None:
    session = (await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})).body
    scenario = {"name": "slow-page", "rules": [{"name": "slow", "match": {
        "method": "POST", "path": "/checkout/*"}, "effects": [{"latency": {"fixed": 1}}]}]}
    await sim.control("PUT", "/scenario", raw=json.dumps(scenario))
    paid = await sim.page("POST", session["url"], {
        "cardnumber": "4242424242424242", "expiry": "12/40", "cvc": "123", "name": "Mei"})
    assert paid.status == 303 and paid.headers["Location"] == "https://shop.example/ok"
    assert paid.headers["Paylab-Effect"] == "slow:latency=1.00ms"
