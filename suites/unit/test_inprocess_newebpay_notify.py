"""NewebPay's NotifyURL delivery rule in process: only HTTP 200 counts as received; every
other answer is retried on NewebPay's schedule, three retries, then the delivery gives up.
And the security probes' forged deliveries a receiver must refuse."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.app import DISPATCHER
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.notify import RETRY_SCHEDULE, NewebPayNotifier
from paylab.suites.unit.inprocess import ClientFactory, Sim, eventually, start
from paylab.suites.unit.newebpay_client import NewebPay, Receiver, serve_receiver

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
CARD = "4000221111111111"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    # the default schedule leaves each gateway its own (an explicit one overrides all)
    return await start(aiohttp_client, retry_schedule=DEFAULT_RETRY_SCHEDULE)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    return await serve_receiver(aiohttp_server)


async def rows(nwp: NewebPay) -> list[dict[str, Any]]:
    answer = await nwp.sim.control("GET", "/webhooks",
                                   query={"tenant": f"newebpay-{nwp.merchant_id}"})
    assert answer.status == 200, answer.body
    return answer.body["deliveries"]


def attempts(nwp: NewebPay, n: int, status: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = await rows(nwp)
        return bool(found) and found[0]["attempt_count"] == n and found[0]["status"] == status
    return check


async def paid(nwp: NewebPay, receiver: Receiver) -> None:
    location = await nwp.start(NotifyURL=receiver.url)
    answer = await nwp.sim.page("POST", location, {"method": "CREDIT", "cardnumber": CARD,
                                                   "expiry": "12/30", "cvc": "123"})
    assert answer.status == 303


def test_only_http_200_is_received_and_three_retries_follow() -> None:
    assert NewebPayNotifier.accepts(200, "")
    assert NewebPayNotifier.accepts(200, "0|anything")
    for status in (201, 204, 301, 400, 500, 503):
        assert not NewebPayNotifier.accepts(status, "OK")
    assert NewebPayNotifier.retry_schedule == RETRY_SCHEDULE == (60.0, 300.0, 900.0)


async def test_a_200_settles_the_first_attempt(nwp: NewebPay, receiver: Receiver) -> None:
    await paid(nwp, receiver)
    await eventually(attempts(nwp, 1, "delivered"))
    assert len(receiver.received) == 1


async def test_other_answers_are_retried_three_times_then_given_up(
        nwp: NewebPay, receiver: Receiver) -> None:
    receiver.statuses = [201, 500, 204, 302]
    await paid(nwp, receiver)
    await eventually(attempts(nwp, 1, "pending"))
    for n, wait in ((2, 60), (3, 300), (4, 900)):
        await nwp.sim.control("POST", "/clock/advance", {"seconds": wait - 5})
        await asyncio.sleep(0.1)
        assert (await rows(nwp))[0]["attempt_count"] == n - 1  # not yet due
        await nwp.sim.control("POST", "/clock/advance", {"seconds": 6})
        await eventually(attempts(nwp, n, "pending" if n < 4 else "failed"))
    given_up = (await rows(nwp))[0]
    assert [a["status_code"] for a in given_up["attempts"]] == [201, 500, 204, 302]
    await nwp.sim.control("POST", "/clock/advance", {"seconds": 7200})
    await asyncio.sleep(0.1)
    assert len(receiver.received) == 4
    assert receiver.raw[0] == receiver.raw[3]  # NewebPay signs no time: the same bytes


async def test_a_retry_that_gets_200_settles(nwp: NewebPay, receiver: Receiver) -> None:
    receiver.statuses = [503]
    await paid(nwp, receiver)
    await eventually(attempts(nwp, 1, "pending"))
    await nwp.sim.control("POST", "/clock/advance", {"seconds": 61})
    await eventually(attempts(nwp, 2, "delivered"))


async def test_forged_deliveries_fail_verification(nwp: NewebPay, receiver: Receiver) -> None:
    await paid(nwp, receiver)
    await eventually(attempts(nwp, 1, "delivered"))
    tenant = f"newebpay-{nwp.merchant_id}"
    row = (await rows(nwp))[0]
    event = nwp.sim.domain.events.get(tenant, row["event_id"])
    target = nwp.sim.domain.outbox.target(tenant, row["endpoint_id"])
    notifier = nwp.sim.app[DISPATCHER].notifiers["newebpay"]
    forms = {}
    for attack in ("genuine", "replay", "tampered", "wrong_secret", "missing_signature"):
        body, headers = notifier.forge(attack, event, target, nwp.now(), None)
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        forms[attack] = dict(urllib.parse.parse_qsl(body.decode()))
    assert forms["genuine"] == forms["replay"] == receiver.received[0]
    nwp.open(forms["genuine"])  # verifies
    for attack in ("tampered", "wrong_secret"):
        form = forms[attack]
        assert form["TradeSha"] != crypto.trade_sha(form["TradeInfo"], nwp.hash_key,
                                                    nwp.hash_iv)
    plain = crypto.decrypt(forms["tampered"]["TradeInfo"], nwp.hash_key, nwp.hash_iv)
    assert '"Amt":1,' in plain
    assert "TradeSha" not in forms["missing_signature"]
