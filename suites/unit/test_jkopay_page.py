"""JKOPay's approval page and result_url callbacks in process: the page shows the order
escaped and opens only with its token; Approve pays at once, the browser returns to
result_display_url and the signed callback (status 0) arrives once; Cancel, expiry on the
virtual clock and a low-balance decline send status 101; a late approval lands later with
its callback; the simulate control settles a JKOPay order; HTTP 200 is the only
acknowledgement, and faults answer in JKOPay's shapes."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.contracts import contract_id
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from paylab.simulator.gateways.jkopay import qr
from paylab.simulator.gateways.jkopay.notify import RETRY_SCHEDULE, JkoPayNotifier
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, eventually, start
from paylab.suites.unit.jkopay_client import JkoPay, Receiver, serve_receiver, shown, sign

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
DISPLAY = "https://shop.example/jko/done?cart=7"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def jko(sim: Sim) -> JkoPay:
    return JkoPay(sim)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    return await serve_receiver(aiohttp_server)


async def order(jko: JkoPay, receiver: Receiver, no: str = "order-1", amount: int = 1200,
                **extra: Any) -> str:
    return await jko.payment_url(no, amount, result_url=receiver.url,
                                 result_display_url=DISPLAY, **extra)


async def callbacks(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    async def arrived() -> bool:
        return len(receiver.raw) >= count
    await eventually(arrived)
    return receiver.bodies


def genuine(jko: JkoPay, receiver: Receiver, index: int = 0) -> bool:
    return receiver.headers[index].get("digest") == sign(jko.secret, receiver.raw[index])


async def scenario(sim: Sim, effect: dict[str, Any]) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": {
        "gateway": "jkopay", "payment_method": "wallet"}, "effects": [effect]}]}
    answer = await sim.control("PUT", "/scenario", rules)
    assert answer.status == 200, answer.body


async def test_the_page_shows_the_order_escaped_with_approve_and_cancel(
        jko: JkoPay, receiver: Receiver) -> None:
    url = await order(jko, receiver, products=[
        {"name": "<script>alert(1)</script>", "unit_count": 2, "unit_price": 600,
         "unit_final_price": 600}])
    page = await jko.sim.page("GET", url)
    assert page.status == 200, page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert shown(page.text, "jkopay-total") == "NT$ 1,200"
    assert shown(page.text, "jkopay-order") == "order-1"
    assert shown(page.text, "jkopay-approve") == "Approve"
    assert shown(page.text, "jkopay-cancel") == "Cancel"
    image = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page.text)
    assert image is not None and base64.b64decode(image.group(1)).decode() == qr.svg(url)
    served = await jko.sim.page("GET", url.replace("?", "/qr.svg?"))
    assert served.status == 200 and served.headers["Content-Type"].startswith("image/svg+xml")
    assert served.text == qr.svg(url)


@pytest.mark.parametrize("token", ["", "token=wrong", "token="])
async def test_a_wrong_or_missing_token_opens_nothing(jko: JkoPay, receiver: Receiver,
                                                      token: str) -> None:
    url = await order(jko, receiver)
    base = url.split("?")[0]
    for target in (f"{base}?{token}", f"{base}/qr.svg?{token}"):
        assert (await jko.sim.page("GET", target)).status == 404
    assert (await jko.sim.page("POST", f"{base}/approve?{token}")).status == 404
    assert (await jko.status("order-1")) == 101


async def test_approve_pays_redirects_and_calls_back_once(jko: JkoPay,
                                                          receiver: Receiver) -> None:
    url = await order(jko, receiver)
    answer = await jko.press(url, "approve")
    assert answer.status == 303
    back = urllib.parse.urlsplit(answer.headers["Location"])
    assert (back.netloc, back.path) == ("shop.example", "/jko/done")
    assert urllib.parse.parse_qs(back.query) == {"cart": ["7"], "platform_order_id": ["order-1"]}
    [body] = await callbacks(receiver, 1)
    assert genuine(jko, receiver)
    assert receiver.headers[0]["Content-Type"] == "application/json"
    errors = contracts().errors(contract_id("jkopay/result_callback"), body)
    assert not errors, errors
    tx = body["transaction"]
    assert (tx["platform_order_id"], tx["status"], tx["final_price"], tx["debit_amount"],
            tx["channel_type"]) == ("order-1", 0, 1200, 1200, "account")
    again = await jko.press(url, "approve")  # a second submit lands as the first
    assert again.status == 303
    assert (await jko.sim.page("GET", url)).text.count('data-testid="jkopay-paid"') == 1
    assert await jko.status("order-1") == 0
    assert len(receiver.raw) == 1


async def test_cancel_sends_101_and_returns_to_the_shop(jko: JkoPay,
                                                        receiver: Receiver) -> None:
    url = await order(jko, receiver)
    answer = await jko.press(url, "cancel")
    assert answer.status == 303 and answer.headers["Location"].startswith(
        "https://shop.example/jko/done")
    [body] = await callbacks(receiver, 1)
    assert body["transaction"]["status"] == 101 and genuine(jko, receiver)
    assert (await jko.sim.page("GET", url)).status == 410
    assert (await jko.press(url, "approve")).status == 303  # nothing to approve any more
    assert await jko.status("order-1") == 101
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")[
        "status"] == "canceled"


async def test_the_window_expires_on_the_virtual_clock(jko: JkoPay, receiver: Receiver
                                                       ) -> None:
    url = await order(jko, receiver)
    await jko.sim.control("POST", "/clock/advance", {"seconds": 1199})
    assert (await jko.sim.page("GET", url)).status == 200
    await jko.sim.control("POST", "/clock/advance", {"seconds": 2})
    [body] = await callbacks(receiver, 1)
    assert body["transaction"]["status"] == 101
    page = await jko.sim.page("GET", url)
    assert page.status == 410 and 'data-testid="jkopay-expired"' in page.text
    assert (await jko.press(url, "approve")).status == 303
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")[
        "status"] == "expired"
    refused = await jko.entry("order-1", 1200)
    assert refused.body["result"] == "201"


async def test_low_balance_declines_with_a_101_callback(jko: JkoPay, receiver: Receiver
                                                        ) -> None:
    await scenario(jko.sim, {"outcome": {"decline": "insufficient_funds"}})
    url = await order(jko, receiver)
    page = await jko.press(url, "approve")
    assert page.status == 402 and "餘額不足" in shown(page.text, "jkopay-message")
    [body] = await callbacks(receiver, 1)
    assert body["transaction"]["status"] == 101 and body["transaction"]["debit_amount"] == 0
    assert (await jko.refund("order-1", "r-1", 1)).body["result"] == "113"


async def test_a_late_approval_lands_later_with_its_callback(jko: JkoPay,
                                                             receiver: Receiver) -> None:
    await scenario(jko.sim, {"outcome": {"processing": {"seconds": 60}}})
    url = await order(jko, receiver)
    assert (await jko.press(url, "approve")).status == 303
    assert await jko.status("order-1") == 1
    assert 'data-testid="jkopay-processing"' in (await jko.sim.page("GET", url)).text
    assert receiver.raw == []
    await jko.sim.control("POST", "/clock/advance", {"seconds": 61})
    [body] = await callbacks(receiver, 1)
    assert body["transaction"]["status"] == 0
    assert await jko.status("order-1") == 0


async def test_the_simulate_control_pays_a_jkopay_order(jko: JkoPay, receiver: Receiver
                                                        ) -> None:
    await order(jko, receiver)
    oid = jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-1")["id"]
    answer = await jko.sim.control("POST", f"/payments/{oid}/simulate", {"outcome": "paid"})
    assert answer.status == 200 and answer.body["status"] == "paid", answer.body
    [body] = await callbacks(receiver, 1)
    assert body["transaction"]["status"] == 0 and genuine(jko, receiver)


def test_only_http_200_acknowledges_and_twelve_retries_follow() -> None:
    assert JkoPayNotifier.accepts(200, "")
    for status in (201, 204, 302, 400, 500):
        assert not JkoPayNotifier.accepts(status, "OK")
    assert len(RETRY_SCHEDULE) == 12 and list(RETRY_SCHEDULE) == sorted(RETRY_SCHEDULE)


async def test_a_failed_callback_is_retried_until_a_200(aiohttp_client: ClientFactory,
                                                        receiver: Receiver) -> None:
    sim = await start(aiohttp_client, retry_schedule=DEFAULT_RETRY_SCHEDULE)
    jko = JkoPay(sim)
    receiver.statuses = [500, 204]

    def attempts(n: int, status: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            rows = (await sim.control("GET", "/webhooks", query={"tenant": jko.tenant})
                    ).body["deliveries"]
            return bool(rows) and (rows[0]["attempt_count"], rows[0]["status"]) == (n, status)
        return check

    url = await order(jko, receiver)
    await jko.press(url, "approve")
    await eventually(attempts(1, "pending"))
    await sim.control("POST", "/clock/advance", {"seconds": RETRY_SCHEDULE[0] + 1})
    await eventually(attempts(2, "pending"))
    await sim.control("POST", "/clock/advance", {"seconds": RETRY_SCHEDULE[1] + 1})
    await eventually(attempts(3, "delivered"))
    assert len(receiver.raw) == 3 and receiver.raw[0] == receiver.raw[1] == receiver.raw[2]


async def test_faults_answer_in_jkopays_shapes_and_change_nothing(jko: JkoPay) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": {"gateway": "jkopay"},
                                     "effects": [{"error": {"status": 503}}]}]}
    assert (await jko.sim.control("PUT", "/scenario", rules)).status == 200
    answer = await jko.entry("order-f", 100)
    assert answer.status == 503 and answer.body["result"] == "999"
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "order-f") is None


async def test_probes_forge_callbacks_a_receiver_must_refuse(jko: JkoPay,
                                                             receiver: Receiver) -> None:
    url = await order(jko, receiver)
    await jko.press(url, "approve")
    await callbacks(receiver, 1)
    rows = (await jko.sim.control("GET", "/webhooks", query={"tenant": jko.tenant})).body
    delivery = rows["deliveries"][0]["id"]
    for attack in ("tampered", "wrong_secret", "missing_signature", "replay"):
        probe = await jko.sim.control("POST", f"/webhooks/{delivery}/probe", {"attack": attack})
        assert probe.status == 200, probe.body
    assert len(receiver.raw) == 5
    tampered = json.loads(receiver.raw[1])
    assert tampered["transaction"]["final_price"] == 1 and not genuine(jko, receiver, 1)
    assert not genuine(jko, receiver, 2) and "digest" not in receiver.headers[3]
    assert genuine(jko, receiver, 4) and receiver.raw[4] == receiver.raw[0]
    stale = await jko.sim.control("POST", f"/webhooks/{delivery}/probe", {"attack": "stale"})
    assert stale.status >= 400
