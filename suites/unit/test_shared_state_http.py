"""One state across worker processes, through HTTP: two apps on one database file, each
served from its own thread and event loop as a worker process would be, share ids (each
tenant's counter, bound to the request's tenant), scenario counters and the clock."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from paylab.simulator.app import create_app
from paylab.simulator.settings import Settings
from paylab.suites.unit.inprocess import KEY, OTHER_KEY, SEED, contracts


# -- through HTTP: two apps on one file, each on its own thread and event loop ----------------
class Served:
    """An app serving on a loopback port from its own thread and event loop, as a worker
    process would (a lock wait of one blocks only its own loop)."""

    def __init__(self, db: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner: web.AppRunner | None = None
        self.port = asyncio.run_coroutine_threadsafe(self._start(db), self.loop).result(60)

    async def _start(self, db: str) -> int:
        app = create_app(Settings(db=db, seed=SEED, webhook_timeout=2.0), contracts())
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return self.runner.addresses[0][1]

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)


async def call(session: aiohttp.ClientSession, port: int, method: str, path: str,
               **kwargs: Any) -> tuple[int, Any]:
    async with session.request(method, f"http://127.0.0.1:{port}{path}", **kwargs) as answer:
        return answer.status, await answer.json(content_type=None)


def test_two_apps_on_one_file_share_ids_scenarios_and_the_clock(tmp_path: Path) -> None:
    db = str(tmp_path / "apps.db")
    workers = [Served(db), Served(db)]
    pay = {"data": {"amount": "2000", "currency": "usd", "payment_method": "pm_card_visa",
                    "confirm": "true"}, "headers": {"Authorization": f"Bearer {KEY}"}}
    rule = {"name": "r", "lifetime": {"first": 2}, "match": {"path": "/v1/payment_intents"},
            "effects": [{"error": {"status": 503}}]}

    async def script() -> None:
        async with aiohttp.ClientSession() as session:
            ports = [w.port for w in workers]
            paid = [await call(session, ports[i % 2], "POST", "/stripe/v1/payment_intents",
                               **pay) for i in range(6)]
            assert [status for status, _ in paid] == [200] * 6
            ids = [body["id"] for _, body in paid]
            assert len(set(ids)) == 6 and ids == sorted(ids)  # one counter for the tenant
            other = {**pay, "headers": {"Authorization": f"Bearer {OTHER_KEY}"}}
            _, first = await call(session, ports[1], "POST", "/stripe/v1/payment_intents",
                                  **other)
            # another tenant's first payment: its own counter, so the same number as the
            # first tenant's first, with other characters
            assert first["id"][:11] == ids[0][:11] and first["id"] != ids[0]
            assert (await call(session, ports[0], "PUT", "/_sim/scenario",
                               json={"rules": [rule]}))[0] == 200
            statuses = [(await call(session, ports[(i + 1) % 2], "POST",
                                    "/stripe/v1/payment_intents", **pay))[0] for i in range(4)]
            assert statuses == [503, 503, 200, 200]
            _, moved = await call(session, ports[1], "POST", "/_sim/clock/advance",
                                  json={"seconds": 7200})
            _, later = await call(session, ports[0], "POST", "/stripe/v1/payment_intents",
                                  **pay)
            assert later["created"] >= int(moved["now"]) - 1

    try:
        asyncio.run(script())
    finally:
        for worker in workers:
            worker.stop()
