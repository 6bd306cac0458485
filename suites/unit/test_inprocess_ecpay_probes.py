"""Security probes of ECPay notices in process: against a receiver that checks the
CheckMacValue (and one that does not), each forged copy gets the verdict ECPay's success
contract calls for; kinds ECPay's notices cannot carry are refused."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.webhooks.signing import verify_ecpay
from paylab.suites.unit.ecpay_kit import IV, KEY, TENANT, checkout, choose
from paylab.suites.unit.inprocess import ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def receiver(aiohttp_server: ServerFactory, *, checks: bool) -> str:
    """A merchant's PaymentInfoURL: `1|OK` for a genuine notice, `0|...` otherwise (or
    `1|OK` for anything, when it does not check)."""
    async def handle(request: web.Request) -> web.Response:
        fields = dict(urllib.parse.parse_qsl((await request.read()).decode(),
                                             keep_blank_values=True))
        genuine = "CheckMacValue" in fields and verify_ecpay(fields, KEY, IV) and \
            fields.get("TradeAmt") == "500"
        return web.Response(text="1|OK" if genuine or not checks else "0|CheckMacValue Error")

    app = web.Application()
    app.router.add_post("/info", handle)
    return str((await aiohttp_server(app)).make_url("/info"))


async def delivery(sim: Sim, url: str) -> int:
    page = await checkout(sim, ChoosePayment="ATM", PaymentInfoURL=url)
    await choose(sim, page, "ATM")

    async def delivered() -> bool:
        rows = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body
        return bool(rows["deliveries"]) and rows["deliveries"][0]["status"] == "delivered"

    await eventually(delivered)
    rows = (await sim.control("GET", "/webhooks", query={"tenant": TENANT})).body
    return rows["deliveries"][0]["id"]


async def probe(sim: Sim, delivery_id: int, attack: str) -> tuple[int, dict]:
    answer = await sim.control("POST", f"/webhooks/{delivery_id}/probe", {"attack": attack})
    return answer.status, answer.body


@pytest.mark.parametrize(("checks", "verdicts"), [
    (True, {"genuine": "ok", "replay": "acknowledged", "tampered": "safe",
            "wrong_secret": "safe", "missing_signature": "safe"}),
    (False, {"genuine": "ok", "tampered": "vulnerable", "wrong_secret": "vulnerable",
             "missing_signature": "vulnerable"}),
])
async def test_forged_notices_are_judged_by_the_1_ok_contract(
        aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, checks: bool,
        verdicts: dict[str, str]) -> None:
    sim = await start(aiohttp_client)
    delivery_id = await delivery(sim, await receiver(aiohttp_server, checks=checks))
    got = {}
    for attack in verdicts:
        status, body = await probe(sim, delivery_id, attack)
        assert status == 200, body
        got[attack] = body["verdict"]
    assert got == verdicts


@pytest.mark.parametrize("attack", ["stale", "future", "v0_only"])
async def test_probes_ecpay_notices_cannot_carry_are_refused(
        aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, attack: str) -> None:
    sim = await start(aiohttp_client)
    delivery_id = await delivery(sim, await receiver(aiohttp_server, checks=True))
    status, body = await probe(sim, delivery_id, attack)
    assert status == 409
    assert "carry no timestamp or signature version" in body["error"]["message"]
