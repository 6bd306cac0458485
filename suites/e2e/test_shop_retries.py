"""A shopper who retries on the same checkout: what the pages keep and what they show.

Issue 11: after a decline and then a 3-D Secure payment on the same session, the order page
showed "Waiting for payment confirmation" with the stale decline; and the hosted form kept
the Email after a decline but cleared it after a failed 3-D Secure challenge."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from paylab.suites.e2e.flows import VISA, fill_card, pay, snapshot, start_checkout
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect

THREE_DS = "4000 0000 0000 3220"
DECLINED = "4000000000000002"


@pytest.fixture
def slow_webhooks(shop: Shop, simulator: LiveSimulator) -> Iterator[None]:
    """The shop's checkout webhooks arrive 3 s late (60 s at 20x), so the order page is seen
    before the webhook settles it, as a shopper on a busy day sees it."""
    if not shop.api_key:
        pytest.skip("set PAYLAB_MERCHANT_API_KEY to scope a scenario to an external shop")
    scenario = f"{simulator.url}/_sim/scenario"
    requests.put(scenario, params={"tenant": shop.api_key}, timeout=10, data=(
        "name: slow-webhooks\nrules:\n  - name: late\n    match: {event: checkout.*}\n"
        "    effects: [{webhook: {delay: 60}}]\n")).raise_for_status()
    yield
    requests.delete(scenario, params={"tenant": shop.api_key}, timeout=10)


def test_order_page_shows_only_the_final_state_after_decline_then_3ds(
        page: Page, shop: Shop, slow_webhooks: None) -> None:
    start_checkout(page, shop.url)
    pay(page, DECLINED)
    expect(page.get_by_test_id("card-error")).to_have_text("Your card was declined.")
    pay(page, THREE_DS)
    expect(page.get_by_test_id("challenge-page")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/orders/**")
    snapshot(page, "the order page after a decline, then 3-D Secure")
    # the shopper paid: an earlier attempt's decline is not part of this order's state
    expect(page.get_by_test_id("order")).not_to_contain_text("declined", timeout=1000)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=20_000)
    expect(page.get_by_test_id("notice")).to_have_count(0)


def expect_kept(page: Page) -> None:
    """What the shopper typed, except the card data, is still in the form."""
    expect(page.get_by_label("Email")).to_have_value("ming@example.tw")
    expect(page.get_by_label("Name on card")).to_have_value("Lin Ming")
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("CVC")).to_have_value("")


def test_form_keeps_what_was_typed_after_a_decline(page: Page, shop: Shop) -> None:
    start_checkout(page, shop.url)
    pay(page, DECLINED)
    expect(page.get_by_test_id("card-error")).to_be_visible()
    expect_kept(page)


@pytest.mark.parametrize("button", ["Fail authentication", "Cancel"])
def test_form_keeps_what_was_typed_after_a_failed_3ds(page: Page, shop: Shop,
                                                      button: str) -> None:
    start_checkout(page, shop.url)
    pay(page, THREE_DS)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/checkout/cs_test_\w+/return.*"))
    expect(page.get_by_test_id("card-error")).to_be_visible()
    snapshot(page, f"the hosted form after 3-D Secure: {button}")
    expect_kept(page)
    fill_card(page, VISA)
