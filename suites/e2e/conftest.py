"""Browser layer: Debian chromium via Playwright, a simulator and the reference shop (or the
shop at --merchant-url), and evidence for every test: a screenshot of the final page always,
the Playwright trace on failure, and the shop's journal slice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure
import pytest
import requests
from playwright.sync_api import BrowserContext, Page

from suites.plugins.simulator import PROJECT, LiveSimulator, free_port

CHROMIUM = os.environ.get("PAYLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]
HOSTILE_PRODUCTS = Path(__file__).parent / "data" / "hostile_products.yaml"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's chromium; Playwright's own browser download is never used."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """A desktop viewport, so screenshots read like a shopper's screen."""
    return {"viewport": {"width": 1280, "height": 860}}


@dataclass
class Shop:
    """The merchant under test and what the suite knows about it."""

    url: str
    api_key: str | None
    process: subprocess.Popen[bytes] | None = None
    db: Path | None = None


@pytest.fixture(scope="session")
def shop(request: pytest.FixtureRequest, simulator: LiveSimulator,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop at --merchant-url, or the reference shop started against the simulator."""
    url = request.config.getoption("--merchant-url") or os.environ.get("PAYLAB_MERCHANT_URL")
    if url:
        yield Shop(url.rstrip("/"), os.environ.get("PAYLAB_MERCHANT_API_KEY"))
        return
    workdir = tmp_path_factory.mktemp("shop")
    port = free_port()
    key = f"sk_test_shop_{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "SHOP_API_KEY": key, "SHOP_DB": str(workdir / "shop.db"),
           "SHOP_PRODUCTS": str(HOSTILE_PRODUCTS)}
    log = (workdir / "shop.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "shop", "--port", str(port), "--gateway-url", simulator.url],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(base, timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("the reference shop could not start")
    yield Shop(base, key, process, workdir / "shop.db")
    process.terminate()
    process.wait(10)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _browser_evidence(request: pytest.FixtureRequest, context: BrowserContext,
                      tmp_path: Path) -> Iterator[None]:
    """Trace every test; keep it on failure. Screenshot every final page."""
    context.tracing.start(screenshots=True, snapshots=True, sources=False)
    yield
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, each in enumerate(context.pages):
        try:
            allure.attach(each.screenshot(full_page=True), name=f"final page {n + 1}: {each.url}",
                          attachment_type=allure.attachment_type.PNG)
        except Exception as exc:  # a page that closed itself has nothing to show
            allure.attach(str(exc), name=f"no screenshot of page {n + 1}",
                          attachment_type=allure.attachment_type.TEXT)
    if failed:
        trace = tmp_path / "trace.zip"
        context.tracing.stop(path=trace)
        allure.attach.file(trace, name="playwright trace (npx playwright show-trace)",
                           extension="zip")
    else:
        context.tracing.stop()


@pytest.fixture(autouse=True)
def _shop_journal(shop: Shop, simulator: LiveSimulator) -> Iterator[None]:
    """The shop tenant's requests during the test, with any scenario effects applied."""
    if not shop.api_key:
        yield
        return
    before = _journal(simulator, shop.api_key)
    yield
    after = _journal(simulator, shop.api_key)
    allure.attach(json.dumps(after[len(before):], indent=2), name="journal (shop tenant)",
                  attachment_type=allure.attachment_type.JSON)


def _journal(simulator: LiveSimulator, key: str) -> list[dict[str, Any]]:
    return requests.get(f"{simulator.url}/_sim/journal", timeout=10,
                        params={"tenant": key, "limit": 5000}).json()["entries"]


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page tried to open (an XSS payload would)."""
    seen: list[str] = []

    def record(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen
