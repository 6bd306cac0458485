"""The reference shop's LINE Pay sweeper: LINE Pay v3 sends no server notice, so a shopper
who approves and never comes back to confirmUrl would leave the order pending until the
reservation lapses. Pending payments older than SHOP_LINEPAY_SWEEP_SECONDS are checked
(Check Payment Request Status) and, when approved (`0110`), confirmed with the shop's own
amount and fulfilled once, even against a browser return at the same moment; `0000` waits,
`0121` and `0122` cancel, a wallet error is retried next round, and 0 turns it off. The
last test runs the shop against the whole simulator in process."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from paylab.shop.app import WALLETS
from paylab.shop.settings import ShopSettings
from paylab.shop.wallets.sweeper import Sweeper
from paylab.simulator.webhooks.signing import linepay_signature
from paylab.suites.unit import inprocess, linepay_client
from paylab.suites.unit.shop_wallet_fakes import CHANNEL, CHANNEL_SECRET, TX, FakeLinePay
from paylab.suites.unit.shop_wallets import answer, check_out, db_of, status, wallet_shop

CHECK = f"/linepay/v3/payments/requests/{TX}/check"
CONFIRM = f"/linepay/v3/payments/{TX}/confirm"


class CheckingLinePay(FakeLinePay):
    """The shop's LINE Pay fake with Check Payment Request Status: `check_code` is the
    next answer, `check_status` other than 200 is LINE Pay out of reach."""

    def __init__(self) -> None:
        super().__init__()
        self.check_code, self.check_status = "0000", 200

    def app(self) -> web.Application:
        async def check(request: web.Request) -> web.Response:
            await self.seen.record(request)
            nonce = request.headers.get("X-LINE-Authorization-Nonce", "")
            path = request.path.removeprefix("/linepay")
            if request.headers.get("X-LINE-ChannelId") != CHANNEL or request.query_string or \
                    request.headers.get("X-LINE-Authorization") != linepay_signature(
                        CHANNEL_SECRET, path, "", nonce):
                return answer({"returnCode": "1106", "returnMessage": "Header info error."})
            if self.check_status != 200:
                return web.Response(status=self.check_status, text="down")
            return answer({"returnCode": self.check_code, "returnMessage": "check"})

        app = super().app()
        app.router.add_get("/linepay/v3/payments/requests/{tx}/check", check)
        return app


@pytest.fixture
def fake() -> CheckingLinePay:
    return CheckingLinePay()


ShopFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def shop(aiohttp_client: Callable[..., Awaitable[TestClient]],
         aiohttp_server: Callable[..., Awaitable[TestServer]],
         monkeypatch: pytest.MonkeyPatch, fake: CheckingLinePay) -> ShopFactory:
    async def make(**settings: object) -> TestClient:
        return await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, fake.app(),
                                 **settings)
    return make


@pytest.fixture
async def client(shop: ShopFactory) -> TestClient:
    """The shop with its own sweeps off: each test runs the rounds itself."""
    return await shop(linepay_sweep_seconds=0)


def later(client: TestClient, after: float = 120.0) -> Sweeper:
    """A sweeper of the shop's wallets (60 s grace) whose clock reads `after` s from now."""
    return Sweeper(client.app[WALLETS], 60.0, clock=lambda: time.time() + after)


async def test_an_approved_payment_never_returned_is_confirmed_and_fulfilled_once(
        client: TestClient, fake: CheckingLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    fake.check_code = "0110"
    assert await later(client, after=0).round() == {}  # within the grace: not asked
    assert fake.seen.to(CHECK) == []
    await later(client).round()
    assert await status(client, order) == ("paid", 1)
    (_, _, _, body), = fake.seen.to(CONFIRM)
    assert json.loads(body) == {"amount": 592, "currency": "TWD"}  # the shop's own amount
    db = db_of(client)
    assert db.order(order)["payment_intent"] == str(TX) and db.cart(db.order(order)["cart"]) == []
    assert await later(client).round() == {}  # paid: nothing left to sweep
    assert len(fake.seen.to(CHECK)) == 1 and await status(client, order) == ("paid", 1)


async def test_a_sweep_racing_the_browser_return_fulfils_once(
        client: TestClient, fake: CheckingLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    fake.check_code = "0110"
    reference = db_of(client).wallet_payment(order)["reference"]
    back, _ = await asyncio.gather(
        client.get(f"/return/linepay/{order}", params={"transactionId": str(TX),
                                                       "orderId": reference},
                   allow_redirects=False),
        later(client).round())
    assert back.status == 303 and back.headers["Location"] == f"/orders/{order}"
    assert await status(client, order) == ("paid", 1)
    assert len(fake.seen.to(CONFIRM)) == 1


async def test_a_payment_still_waiting_for_the_shopper_stays_pending(
        client: TestClient, fake: CheckingLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    fake.check_code = "0000"
    await later(client).round()
    await later(client).round()
    assert await status(client, order) == ("pending", 0)
    assert len(fake.seen.to(CHECK)) == 2 and fake.seen.to(CONFIRM) == []


@pytest.mark.parametrize(("code", "noted"), [("0121", None),
                                           ("0122", "LINE Pay: the payment failed.")])
async def test_a_canceled_or_failed_request_cancels_the_order(
        client: TestClient, fake: CheckingLinePay, code: str, noted: str | None) -> None:
    order, _ = await check_out(client, "linepay")
    fake.check_code = code
    await later(client).round()
    assert await status(client, order) == ("canceled", 0)
    assert db_of(client).order(order)["last_error"] == noted
    assert fake.seen.to(CONFIRM) == []
    fake.check_code = "0110"  # closed: never confirmed afterwards
    assert await later(client).round() == {} and fake.seen.to(CONFIRM) == []


async def test_a_wallet_error_leaves_the_order_pending_and_the_next_round_confirms(
        client: TestClient, fake: CheckingLinePay) -> None:
    order, _ = await check_out(client, "linepay")
    fake.check_code, fake.check_status = "0110", 503
    outcome = await later(client).round()
    assert "HTTP 503" in outcome[order]
    assert await status(client, order) == ("pending", 0)
    fake.check_status = 200
    await later(client).round()
    assert await status(client, order) == ("paid", 1)


async def test_the_running_shop_sweeps_by_itself(
        shop: ShopFactory, fake: CheckingLinePay) -> None:
    client = await shop(linepay_sweep_seconds=0.05)
    order, _ = await check_out(client, "linepay")
    fake.check_code = "0110"
    for _ in range(100):
        if (await status(client, order))[0] == "paid":
            break
        await asyncio.sleep(0.02)
    assert await status(client, order) == ("paid", 1)


async def test_the_sweep_is_off_at_zero(shop: ShopFactory, fake: CheckingLinePay,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_LINEPAY_SWEEP_SECONDS", "0")
    assert ShopSettings.from_env().linepay_sweep_seconds == 0
    assert ShopSettings().linepay_sweep_seconds == 60
    client = await shop(linepay_sweep_seconds=0)
    order, _ = await check_out(client, "linepay")
    fake.check_code = "0110"
    await asyncio.sleep(0.2)
    assert fake.seen.to(CHECK) == [] and await status(client, order) == ("pending", 0)


async def test_against_the_simulator_an_approval_left_behind_is_confirmed_by_a_sweep(
        aiohttp_client: Callable[..., Awaitable[TestClient]],
        aiohttp_server: Callable[..., Awaitable[TestServer]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sim = await inprocess.start(aiohttp_client)
    base = str(sim.client.make_url("")).rstrip("/")
    client = await wallet_shop(aiohttp_client, aiohttp_server, monkeypatch, web.Application(),
                               linepay_url=f"{base}/linepay", linepay_sweep_seconds=0)
    order, response = await check_out(client, "linepay")
    assert response.status == 303
    # not approved yet: 0000 (so the simulator took the shop's signed check), no change
    assert (await later(client).round())[order] == "waiting for the shopper"
    assert await status(client, order) == ("pending", 0)
    approved = await linepay_client.approve(
        sim, {"paymentUrl": {"web": response.headers["Location"]}})
    assert approved.status == 303  # to confirmUrl, which the shopper never reaches
    assert (await later(client).round())[order] == f"order {order} paid and fulfilled"
    assert await status(client, order) == ("paid", 1)
    transaction = db_of(client).wallet_payment(order)["transaction_id"]
    check = await linepay_client.call(sim, "GET", f"/v3/payments/requests/{transaction}/check")
    assert check.body["returnCode"] == "0123"  # the simulator holds it confirmed
