"""kill -9 in the middle of a burst of ECPay and NewebPay store-code payments (order forms,
codes issued, `simulate` paid, notices going out): after the restart every order, code and
payment the simulator acknowledged is there as acknowledged, and every paid order's
ReturnURL / NotifyURL notice reaches the merchant at least once."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections import Counter
from pathlib import Path

import aiohttp
from paylab.load.common import formpost as fp
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import Control, start_simulator, stop_simulator, wait_for
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.reliability.taiwan_rails import NoticeReceiver, Opened, Rails

#: Real time, the gateways' own resend schedules; a 5 s answer timeout, so a receiver
#: slowed by a busy machine is not taken for a failing one.
FLAGS = ("--time-scale", "1", "--webhook-timeout", "5")
ECPAY_RESEND = 600
#: Payments acknowledged as paid before the kill: enough that the kill lands mid-burst.
PAID_BEFORE_KILL = 40
LOAD_DEADLINE = 30.0


#: What a query may say of an order acknowledged as created, with its code, or paid:
#: (TradeStatus, the code's payment type or None when none was taken).
ALLOWED = {"created": {("0", None), ("0", "CVS"), ("1", "CVS")},
           "code": {("0", "CVS"), ("1", "CVS")}, "paid": {("1", "CVS")}}


def status_of(rails: Rails, opened: Opened) -> tuple[str, str | None]:
    """(TradeStatus, "CVS" once a store code was taken) from the gateway's own query."""
    if rails.merchant.gateway == "ecpay":
        fields = rails.ecpay_status(opened)
        kind = "CVS" if fields["PaymentType"].startswith("CVS") else None
        return fields["TradeStatus"], kind
    result = rails.newebpay_status(opened)
    return result["TradeStatus"], "CVS" if result.get("PaymentType") == "CVS" else None


class Acked:
    """How far the simulator acknowledged each order: created, code issued, paid."""

    def __init__(self) -> None:
        self.level: dict[tuple[str, str], str] = {}  # (gateway, merchant order no) -> level
        self.orders: dict[tuple[str, str], Opened] = {}
        self.errors: list[str] = []

    def count(self, level: str) -> int:
        return sum(v == level for v in self.level.values())


async def _burst(url: str, rails: dict[str, Rails], notice: str, acked: Acked,
                 stop: threading.Event) -> None:
    async def step(session: aiohttp.ClientSession, path: str, data: dict, status: int
                   ) -> aiohttp.ClientResponse | None:
        async with session.post(f"{url}{path}", data=data, allow_redirects=False) as resp:
            body = await resp.read()
            if resp.status != status:
                acked.errors.append(f"{path.split('?')[0]} -> {resp.status}: "
                                    f"{body[:200].decode(errors='replace')}")
                return None
            return resp

    async def ecpay(session: aiohttp.ClientSession, n: int) -> None:
        number, amount, merchant = fp.trade_no("B"), 100 + n % 900, rails["ecpay"].merchant
        resp = await step(session, fp.AIO, fp.ecpay_order(
            merchant, number, amount, "CVS", f"{notice}/ecpay/return"), 200)
        if resp is None:
            return
        action = fp.form_action(await resp.text()) or ""
        key = ("ecpay", number)
        acked.level[key] = "created"
        acked.orders[key] = Opened(number, fp.order_id(action) or "", amount)
        await settle(session, key, action, {"payment": "CVS"})

    async def newebpay(session: aiohttp.ClientSession, n: int) -> None:
        number, amount, merchant = fp.trade_no("B"), 100 + n % 900, rails["newebpay"].merchant
        resp = await step(session, fp.MPG, fp.newebpay_mpg(
            merchant, number, amount, NotifyURL=f"{notice}/newebpay/notify"), 303)
        if resp is None:
            return
        page = resp.headers["Location"]
        key = ("newebpay", number)
        acked.level[key] = "created"
        acked.orders[key] = Opened(number, fp.order_id(page) or "", amount)
        await settle(session, key, page, {"method": "CVS"})

    async def settle(session: aiohttp.ClientSession, key: tuple[str, str], page: str,
                     choice: dict[str, str]) -> None:
        if await step(session, page, choice, 303) is None:
            return
        acked.level[key] = "code"
        async with session.post(f"{url}/_sim/payments/{acked.orders[key].order_id}/simulate",
                                json={"outcome": "paid"}) as resp:
            if resp.status == 200:
                acked.level[key] = "paid"
            else:
                acked.errors.append(f"simulate -> {resp.status}: {(await resp.text())[:200]}")

    async def worker(session: aiohttp.ClientSession, index: int) -> None:
        n = index
        while not stop.is_set():
            try:
                await (ecpay if n % 2 else newebpay)(session, n)
            except (TimeoutError, aiohttp.ClientError, OSError):
                return  # the server died under us: unanswered means unacknowledged
            n += 8

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        await asyncio.gather(*(worker(session, i) for i in range(8)))


def test_acknowledged_code_payments_survive_kill_9_mid_burst(
        tmp_path: Path, webhook_sink: WebhookSink, figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="burst", flags=FLAGS)
    receiver = NoticeReceiver(webhook_sink)
    rails = {gateway: Rails(sim.url, gateway) for gateway in ("ecpay", "newebpay")}
    acked, stop = Acked(), threading.Event()
    load = threading.Thread(target=lambda: asyncio.run(
        _burst(sim.url, rails, webhook_sink.url, acked, stop)))
    load.start()
    wait_for(lambda: acked.count("paid"), lambda n: n >= PAID_BEFORE_KILL or acked.errors,
             LOAD_DEADLINE)
    sim.kill(signal.SIGKILL)
    stop.set()
    load.join(30)
    assert acked.errors == [], acked.errors[:5]
    levels = dict(acked.level)
    assert sum(v == "paid" for v in levels.values()) >= PAID_BEFORE_KILL, Counter(
        levels.values())

    again = start_simulator(tmp_path, db=sim.db, name="burst-restart", flags=FLAGS)
    try:
        for one in rails.values():
            one.url = again.url
        # what was acknowledged is a floor: a step done but unanswered at the kill may be
        # there too (a code issued, a payment made), never less
        wrong = {}
        for (gateway, number), level in levels.items():
            got = status_of(rails[gateway], acked.orders[(gateway, number)])
            if got not in ALLOWED[level]:
                wrong[number] = (gateway, level, got)
        assert wrong == {}, f"{len(wrong)} orders not as acknowledged: {list(wrong.items())[:5]}"

        # notices owed at the crash go out after it; one that fails again on a busy machine
        # (a timeout) is resent on the gateway's schedule, so the clock moves on until the
        # rule's resends are spent (ECPay resends four times, NewebPay retries three)
        paid = {number for (_, number), level in levels.items() if level == "paid"}

        def notified() -> set[str]:
            seen = {p.fields.get("MerchantTradeNo") for p in receiver.posts("/ecpay/return")}
            for post in receiver.posts("/newebpay/notify"):
                notice = fp.newebpay_notice(post.fields, rails["newebpay"].merchant)
                seen.add(notice["Result"]["MerchantOrderNo"] if notice else None)
            return seen

        missing = paid - notified()
        for _ in range(3):
            Control(again.url).clock.advance(ECPAY_RESEND + 1)
            missing = wait_for(lambda: paid - notified(), lambda left: not left, 10)
            if not missing:
                break
        rows = [d for one in rails.values() for d in one.deliveries()]
        assert missing == set(), (
            f"{len(missing)} of {len(paid)} paid orders never notified; deliveries "
            f"{Counter((d['gateway'], d['status'], d['attempt_count']) for d in rows)}; "
            f"missing: {sorted(missing)[:3]}, by gateway "
            f"{Counter(g for (g, n) in levels if n in missing)}")
        figures(f"kill -9 mid-burst: acknowledged {dict(Counter(levels.values()))} "
                f"(ECPay and NewebPay store codes); all as acknowledged after the restart, "
                f"{len(receiver.posts())} notices received for {len(paid)} paid orders")
    finally:
        stop_simulator(again)
