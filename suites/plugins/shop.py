"""The merchant under test: the reference shop started against the simulator, or the shop
at --merchant-url; plus helpers that drive it over plain HTTP (no browser)."""

from __future__ import annotations

import json
import os
import re
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
from paylab.suites.plugins.simulator import PROJECT, LiveSimulator, free_port

HOSTILE_PRODUCTS = Path(__file__).resolve().parents[1] / "e2e" / "data" / "hostile_products.yaml"


@dataclass
class Shop:
    """The merchant under test and what the suite knows about it."""

    url: str
    api_key: str | None
    process: subprocess.Popen[bytes] | None = None
    db: Path | None = None
    log: Path | None = None

    def log_text(self) -> str:
        """What the shop process printed (the reference shop started by the suite)."""
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""


def start_shop(workdir: Path, gateway_url: str, *, api_key: str, port: int | None = None,
               db: Path | None = None, products: Path = HOSTILE_PRODUCTS,
               timeout: float = 60.0) -> Shop:
    """Start `python -m shop` against `gateway_url` and wait until its home page answers.

    Passing the `port` and `db` of a shop that died starts it again on the same state."""
    port = port or free_port()
    db = db or workdir / "shop.db"
    log = workdir / "shop.log"
    env = {**os.environ, "SHOP_API_KEY": api_key, "SHOP_DB": str(db),
           "SHOP_PRODUCTS": str(products)}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "paylab.shop", "--port", str(port),
             "--gateway-url", gateway_url],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
    shop = Shop(f"http://127.0.0.1:{port}", api_key, process, db, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(shop.url, timeout=1).status_code == 200:
                return shop
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise RuntimeError(f"the reference shop could not start\n{shop.log_text()[-2000:]}")


def stop_shop(shop: Shop) -> None:
    """SIGTERM, then kill if it lingers."""
    if shop.process is None or shop.process.poll() is not None:
        return
    shop.process.terminate()
    try:
        shop.process.wait(10)
    except subprocess.TimeoutExpired:
        shop.process.kill()
        shop.process.wait(10)


@pytest.fixture(scope="session")
def shop(request: pytest.FixtureRequest, simulator: LiveSimulator,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop at --merchant-url, or the reference shop started against the simulator."""
    url = request.config.getoption("--merchant-url") or os.environ.get("PAYLAB_MERCHANT_URL")
    if url:
        yield Shop(url.rstrip("/"), os.environ.get("PAYLAB_MERCHANT_API_KEY"))
        return
    started = start_shop(tmp_path_factory.mktemp("shop"), simulator.url,
                         api_key=f"sk_test_shop_{uuid.uuid4().hex[:12]}")
    yield started
    stop_shop(started)


@pytest.fixture
def shop_journal(shop: Shop, simulator: LiveSimulator) -> Iterator[None]:
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




class ShopClient:
    """A shopper without a browser: cart, checkout, the hosted form, the order status."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.session = requests.Session()

    def start_order(self, product: str = "alishan-oolong") -> str:
        """Add a product and check out; returns the hosted payment page's URL."""
        self.session.get(self.shop.url, timeout=10)
        self.session.post(f"{self.shop.url}/cart/add", data={"product": product}, timeout=10)
        answer = self.session.post(f"{self.shop.url}/checkout", allow_redirects=False,
                                   timeout=10)
        assert answer.status_code == 303, answer.text[:300]
        return answer.headers["Location"]

    def order_of(self, hosted: str, simulator: LiveSimulator) -> str:
        """The shop's order id behind a hosted page (the session's client_reference_id)."""
        assert self.shop.api_key, "needs the merchant's API key (PAYLAB_MERCHANT_API_KEY)"
        session_id = re.search(r"(cs_test_\w+)", hosted).group(1)  # type: ignore[union-attr]
        found = requests.get(f"{simulator.stripe_url}/v1/checkout/sessions/{session_id}",
                             headers={"Authorization": f"Bearer {self.shop.api_key}"},
                             timeout=10).json()
        return found["client_reference_id"]

    def pay(self, hosted: str, card: str = "4242424242424242") -> requests.Response:
        """Submit the hosted card form (no browser, so no client-side checks)."""
        return self.session.post(hosted, allow_redirects=False, timeout=10, data={
            "email": "probe@example.com", "cardnumber": card, "expiry": "12/34",
            "cvc": "123", "name": "Probe"})

    def status(self, order_id: str) -> dict[str, Any]:
        """The order's status as the shop reports it."""
        return self.session.get(f"{self.shop.url}/orders/{order_id}/status",
                                timeout=10).json()

    def paid_order(self) -> str:
        """A fully paid order (waits for the webhook); returns its id."""
        answer = self.pay(self.start_order())
        order_id = answer.headers["Location"].split("/orders/")[1].split("?")[0]
        deadline = time.monotonic() + 15
        while self.status(order_id)["status"] != "paid":
            assert time.monotonic() < deadline, "the order was never paid"
            time.sleep(0.1)
        return order_id
