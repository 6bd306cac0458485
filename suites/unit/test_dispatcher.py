"""The webhook dispatcher when storage refuses to commit what it just did: the delivery
must not be stranded in flight; it is sent again once writes succeed (at least once)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.stripe import notifier
from paylab.simulator.webhooks.dispatcher import Dispatcher
from paylab.suites.unit.conftest import TENANT


class CommitRefuser:
    """Stands in for the store's connection; its next COMMIT fails once armed, as a full
    disk makes it fail."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.armed = False
        self.refused = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.armed and sql == "COMMIT":
            self.armed = False
            self.refused += 1
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def _delivered(domain: Domain) -> list[dict[str, Any]]:
    """The outbox once its one row is delivered (the state lives in SQLite: poll it)."""
    while True:
        rows = domain.outbox.listing()
        if rows and rows[0]["status"] == "delivered":
            return rows
        await asyncio.sleep(0.05)


async def test_an_attempt_lost_to_a_failed_commit_is_delivered_again(domain: Domain) -> None:
    refuser = CommitRefuser(domain.store.conn)
    domain.store.conn = refuser  # type: ignore[assignment]
    posts: list[bytes] = []

    async def receiver(request: web.Request) -> web.Response:
        posts.append(await request.read())
        refuser.armed = len(posts) == 1  # the batch recording this first attempt fails
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        domain.endpoints.create(TENANT, "stripe", url=f"http://127.0.0.1:{port}/hook",
                                enabled_events=["payment.created"])
        domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
        await domain.store.durable()
        dispatcher = Dispatcher(domain, {"stripe": notifier(domain, "http://sim")},
                                timeout=2)
        task = asyncio.create_task(dispatcher.run())
        try:
            async with asyncio.timeout(10):
                rows = await _delivered(domain)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await runner.cleanup()
    assert refuser.refused == 1
    assert len(posts) == 2, "sent once before the failed commit and once after"
    assert json.loads(posts[0])["id"] == json.loads(posts[1])["id"]
    assert [a["status_code"] for a in rows[0]["attempts"]] == [200]
