"""Stopping `paylab up` closes every aiohttp client session it opened (the webhook
dispatcher's, the shop's stripe client), so Ctrl-C prints no "Unclosed client session".

aiohttp only says so when a leaked session is garbage-collected, which may never happen
before the process exits; so this test records every session opened while the stack runs
in this process, and checks each is closed once it has stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from paylab.simulator.serving import ServeOptions, serve
from paylab.simulator.settings import Settings
from paylab.suites.plugins.simulator import free_port


async def _until_answers(url: str) -> None:
    async with asyncio.timeout(30), aiohttp.ClientSession() as client:
        while True:
            try:
                async with client.get(url) as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)


async def test_every_client_session_is_closed_when_the_stack_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    def recording(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", recording)
    for var in ("SHOP_API_KEY", "SHOP_DB", "SHOP_PUBLIC_URL", "PAYLAB_GATEWAY_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # the shop's database goes to ./state/
    shop_port = free_port()
    settings = Settings(port=free_port(), db=str(tmp_path / "sim.db"), seed=7)
    stop = asyncio.Event()
    stack = asyncio.create_task(serve(ServeOptions(settings, shop_port=shop_port), stop,
                                      tune_gc=False))
    try:
        await _until_answers(f"http://127.0.0.1:{shop_port}/")
    finally:
        stop.set()
        await asyncio.wait_for(stack, timeout=30)
    ours = 1  # _until_answers' own client
    assert len(opened) > ours, "the stack opened no client session: nothing was checked"
    assert [s for s in opened if not s.closed] == []
