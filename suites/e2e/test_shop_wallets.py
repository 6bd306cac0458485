"""A shopper pays at the reference shop with LINE Pay, JKOPay and PayPal: checkout, the
wallet's approval page, Approve, and back at the shop the order is paid exactly once (the
shop's database and page, and the simulator's ledger agree); Cancel leaves it unpaid.

The shop here is one of its own, started with merchants registered for this module
(`/_sim/merchants`): its PayPal webhook and its payments then live in tenants no other
test shares, so the ledger rows and webhook deliveries checked are this module's only."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

import allure
import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.plugins.shop import Shop, start_shop, stop_shop
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Browser, BrowserContext, Page, expect

WALLETS = ("linepay", "jkopay", "paypal")
#: The shop's settings for a merchant's credentials, by the gateway's own names.
ENV = {"linepay": {"SHOP_LINEPAY_CHANNEL_ID": "channel_id",
                   "SHOP_LINEPAY_CHANNEL_SECRET": "channel_secret"},
       "jkopay": {"SHOP_JKOPAY_STORE_ID": "store_id", "SHOP_JKOPAY_SECRET_KEY": "secret_key",
                  "SHOP_JKOPAY_API_KEY": "api_key"},
       "paypal": {"SHOP_PAYPAL_CLIENT_ID": "client_id",
                  "SHOP_PAYPAL_CLIENT_SECRET": "client_secret"}}


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return fresh_page(context)


@pytest.fixture(scope="module")
def merchants(simulator: LiveSimulator) -> dict[str, dict[str, Any]]:
    """A fresh merchant of each wallet (its tenant is this module's alone)."""
    made = {}
    for gateway in WALLETS:
        answer = requests.post(f"{simulator.url}/_sim/merchants", json={"gateway": gateway},
                               timeout=10)
        assert answer.status_code == 201, answer.text
        made[gateway] = answer.json()
    return made


@pytest.fixture(scope="module")
def wallet_shop(simulator: LiveSimulator, merchants: dict[str, dict[str, Any]],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The reference shop paying through those merchants."""
    with pytest.MonkeyPatch.context() as env:
        for gateway, names in ENV.items():
            for var, name in names.items():
                env.setenv(var, merchants[gateway]["credentials"][name])
        shop = start_shop(tmp_path_factory.mktemp("wallet-shop"), simulator.url,
                          api_key=f"sk_test_wallets_{uuid.uuid4().hex[:12]}")
    yield shop
    stop_shop(shop)


def check_out(page: Page, shop: Shop, simulator: LiveSimulator, wallet: str) -> None:
    """One tea in the cart, paid with `wallet`: the browser lands on its approval page."""
    with allure.step(f"check out with {wallet}"):
        page.goto(shop.url)
        page.locator("[data-testid=add-to-cart][data-product='alishan-oolong']").click()
        page.wait_for_url("**/cart**")
        page.get_by_test_id(f"pay-with-{wallet}").check()
        snapshot(page, f"shop cart, paying with {wallet}")
        page.get_by_test_id("checkout").click()
        page.wait_for_url(f"{simulator.url}/{wallet}/**")


def log_in(page: Page, wallet: str) -> None:
    """The wallet's sign-in step where it has one (LINE Pay, PayPal's sandbox buyer)."""
    if wallet == "linepay":
        snapshot(page, "LINE Pay login")
        page.get_by_role("button", name="Log in", exact=True).click()
    elif wallet == "paypal":
        snapshot(page, "PayPal login")
        page.get_by_role("button", name="Log In", exact=True).click()


def order_in_db(shop: Shop) -> dict[str, Any]:
    """The shop's latest order and its wallet payment, read from the shop's database."""
    assert shop.db is not None
    with sqlite3.connect(shop.db) as db:
        row = db.execute(
            "SELECT o.id, o.status, w.reference, w.transaction_id, (SELECT COUNT(*) FROM "
            "fulfilments f WHERE f.order_id = o.id) FROM orders o JOIN wallet_payments w ON "
            "w.order_id = o.id ORDER BY o.created DESC LIMIT 1").fetchone()
    keys = ("id", "status", "reference", "transaction_id", "fulfilments")
    return dict(zip(keys, row, strict=True))


def ledger_rows(simulator: LiveSimulator, merchant: dict[str, Any], wallet: str,
                order: dict[str, Any]) -> list[tuple[str, int]]:
    """(status, captured) of the simulator's rows for this order (ground truth). PayPal
    files the order under its own id; LINE Pay and JKOPay under the shop's number."""
    number = order["transaction_id"] if wallet == "paypal" else order["reference"]
    rows = requests.get(f"{simulator.url}/_sim/ledger", params={"tenant": merchant["tenant"]},
                        timeout=10).json()["payments"]
    return [(r["status"], r["captured"]) for r in rows if r["merchant_order_no"] == number]


def delivered(simulator: LiveSimulator, merchant: dict[str, Any],
              timeout: float = 10.0) -> list[dict[str, Any]]:
    """The tenant's callbacks and webhooks once none is waiting any more (each answered
    by the shop, or given up on)."""
    deadline = time.monotonic() + timeout
    while True:
        found = requests.get(f"{simulator.url}/_sim/webhooks",
                             params={"tenant": merchant["tenant"]}, timeout=10).json()
        waiting = [d for d in found["deliveries"] if d["status"] not in ("delivered", "failed")]
        if not waiting or time.monotonic() > deadline:
            assert not waiting, waiting
            return [d for d in found["deliveries"] if d["status"] == "delivered"]
        time.sleep(0.1)


@pytest.mark.parametrize("wallet", WALLETS)
def test_approving_pays_the_order_exactly_once(
        page: Page, wallet_shop: Shop, simulator: LiveSimulator,
        merchants: dict[str, dict[str, Any]], wallet: str) -> None:
    check_out(page, wallet_shop, simulator, wallet)
    log_in(page, wallet)
    snapshot(page, f"{wallet} approval page")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(re.compile(rf"^{re.escape(wallet_shop.url)}/orders/ord_\w+$"))
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=10_000)
    expect(page.get_by_test_id("order-gateway")).to_have_text(
        {"linepay": "LINE Pay", "jkopay": "JKOPay", "paypal": "PayPal"}[wallet])
    snapshot(page, f"shop order paid with {wallet}")
    order = order_in_db(wallet_shop)
    assert (order["status"], order["fulfilments"]) == ("paid", 1)
    captured = 1850 if wallet == "paypal" else 592  # US$18.50; NT$592 at 32 TWD/USD
    assert ledger_rows(simulator, merchants[wallet], wallet, order) == [("paid", captured)]
    page.reload()  # the shopper reloads: nothing is confirmed or captured again
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    # JKOPay's callback and PayPal's webhooks (approved, captured) may land after the
    # return paid the order, or race it: each was answered, none paid it again
    assert len(delivered(simulator, merchants[wallet])) == {
        "linepay": 0, "jkopay": 1, "paypal": 2}[wallet]
    assert order_in_db(wallet_shop)["fulfilments"] == 1
    assert ledger_rows(simulator, merchants[wallet], wallet, order) == [("paid", captured)]


@pytest.mark.parametrize("wallet", WALLETS)
def test_canceling_leaves_the_order_unpaid(
        page: Page, wallet_shop: Shop, simulator: LiveSimulator,
        merchants: dict[str, dict[str, Any]], wallet: str) -> None:
    check_out(page, wallet_shop, simulator, wallet)
    if wallet == "linepay":
        log_in(page, wallet)
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_url(re.compile(rf"^{re.escape(wallet_shop.url)}/orders/ord_\w+$"))
    expect(page.get_by_test_id("order-status")).to_have_text("Canceled", timeout=10_000)
    snapshot(page, f"shop order canceled at {wallet}")
    order = order_in_db(wallet_shop)
    assert (order["status"], order["fulfilments"]) == ("canceled", 0)
    assert [status for status, _ in ledger_rows(simulator, merchants[wallet], wallet,
                                                order)] == ["canceled"]
