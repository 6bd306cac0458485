"""A shopper pays in the browser: shop -> hosted checkout -> (3-D Secure) -> order page."""

from __future__ import annotations

import html
import re
import threading

import pytest
import requests
from paylab.suites.e2e.flows import VISA, expect_paid, fill_card, pay, snapshot, start_checkout
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator, wait_for
from playwright.sync_api import Page, expect

AUTH_FAILED = "We are unable to authenticate your payment method."


def payments_of(simulator: LiveSimulator, shop: Shop) -> list[dict]:
    """The shop tenant's payments from the simulator's ledger (ground truth)."""
    if not shop.api_key:
        pytest.skip("set PAYLAB_MERCHANT_API_KEY to count an external shop's payments")
    return requests.get(f"{simulator.url}/_sim/ledger", params={"tenant": shop.api_key},
                        timeout=10).json()["payments"]


def charges_of(simulator: LiveSimulator, shop: Shop, payment: str) -> list[dict]:
    """Every charge (authorisation attempt) the gateway made for one of the shop's
    payments: a second charge of the same payment would not show as a second payment."""
    return requests.get(f"{simulator.stripe_url}/v1/charges", timeout=10,
                        params={"payment_intent": payment, "limit": 100},
                        headers={"Authorization": f"Bearer {shop.api_key}"}).json()["data"]


def charged_once(simulator: LiveSimulator, shop: Shop, before: list[dict],
                 amount: int = 1850) -> dict:
    """The one payment made since `before` (a ledger listing), captured once for
    `amount` with exactly one successful charge; returns its ledger row."""
    known = {p["id"] for p in before}
    created = [p for p in payments_of(simulator, shop) if p["id"] not in known]
    assert [(p["status"], p["captured"], p["refunded"]) for p in created] == [
        ("succeeded", amount, 0)], f"the gateway's ledger for this checkout: {created}"
    charges = charges_of(simulator, shop, created[0]["id"])
    seen = [(c["status"], c["amount_captured"]) for c in charges]
    assert seen == [("succeeded", amount)], (
        f"{len(charges)} charges of {created[0]['id']} for one checkout: {seen}")
    return created[0]


def test_happy_path(page: Page, shop: Shop, dialogs: list[str]) -> None:
    page.goto(shop.url)
    snapshot(page, "the shop")
    start_checkout(page, shop.url)
    expect(page.get_by_test_id("checkout-total")).to_have_text("$18.50")
    fill_card(page)
    snapshot(page, "the hosted checkout page, filled in")
    pay(page)
    expect_paid(page)
    expect(page.get_by_test_id("order-heading")).to_have_text("Thank you for your order!")
    expect(page.get_by_test_id("cart-count")).to_have_text("0")
    assert dialogs == []


DECLINES = [
    ("4000000000000002", "Your card was declined."),
    ("4000000000009995", "Your card has insufficient funds."),
    ("4000000000000069", "Your card has expired."),
    ("4000000000000127", "Your card's security code is incorrect."),
    ("4000000000000119",
     "An error occurred while processing your card. Try again in a little bit."),
    ("4100000000000019", "Your card was declined."),
]


@pytest.mark.parametrize(("card", "message"), DECLINES, ids=[c for c, _ in DECLINES])
def test_each_decline_card_shows_its_message(page: Page, shop: Shop, card: str,
                                             message: str) -> None:
    start_checkout(page, shop.url)
    pay(page, card)
    expect(page.get_by_test_id("card-error")).to_have_text(message)
    expect(page.get_by_role("button", name="Pay", exact=True)).to_be_enabled()


def test_a_declined_shopper_can_pay_with_another_card(page: Page, shop: Shop,
                                                      simulator: LiveSimulator) -> None:
    start_checkout(page, shop.url)
    pay(page, "4000000000009995")
    expect(page.get_by_test_id("card-error")).to_be_visible()
    pay(page, VISA)
    expect_paid(page)


def test_client_side_validation_explains_bad_input(page: Page, shop: Shop) -> None:
    start_checkout(page, shop.url)
    url = page.url
    fill_card(page, number="4242 4242 4242 4241", expiry="01/20", cvc="1", name="")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("#cardnumber-error")).to_have_text("Your card number is invalid.")
    expect(page.locator("#expiry-error")).to_have_text(
        "Your card's expiration year is in the past.")
    expect(page.locator("#cvc-error")).to_have_text("Your card's security code is incomplete.")
    expect(page.locator("#name-error")).to_have_text("Enter the name on your card.")
    assert page.url == url, "nothing was submitted"


def test_server_side_validation_without_javascript(page: Page, shop: Shop) -> None:
    start_checkout(page, shop.url)
    answer = page.request.post(page.url, form={"cardnumber": "1234", "expiry": "13/99",
                                               "cvc": "x", "name": ""})
    assert answer.status == 400
    body = html.unescape(answer.text())
    for message in ("Your card number is incomplete.", "Your card's expiration date is invalid.",
                    "Your card's security code is incomplete.", "Enter the name on your card."):
        assert message in body


def test_three_d_secure_pass(page: Page, shop: Shop) -> None:
    start_checkout(page, shop.url)
    pay(page, "4000 0000 0000 3220")
    expect(page.get_by_test_id("challenge-page")).to_be_visible()
    expect(page.get_by_test_id("challenge-amount")).to_have_text("$18.50")
    snapshot(page, "the 3-D Secure challenge page")
    page.get_by_role("button", name="Complete authentication").click()
    expect_paid(page)


@pytest.mark.parametrize("button", ["Fail authentication", "Cancel"])
def test_three_d_secure_fail_and_abandon_return_to_the_form(page: Page, shop: Shop,
                                                            button: str) -> None:
    start_checkout(page, shop.url)
    pay(page, "4000 0000 0000 3220")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/checkout/cs_test_\w+/return.*"))
    expect(page.get_by_test_id("card-error")).to_contain_text(AUTH_FAILED)
    pay(page, VISA)  # and the shopper can still pay
    expect_paid(page)


def test_double_click_on_pay_charges_once(page: Page, shop: Shop,
                                          simulator: LiveSimulator) -> None:
    before = payments_of(simulator, shop)
    start_checkout(page, shop.url)
    fill_card(page)
    page.get_by_role("button", name="Pay", exact=True).dblclick()
    expect_paid(page)
    charged_once(simulator, shop, before)


def test_two_concurrent_submissions_charge_once(page: Page, shop: Shop,
                                                simulator: LiveSimulator) -> None:
    """Even without the page's own guard: two POSTs of the form at the same moment."""
    before = payments_of(simulator, shop)
    start_checkout(page, shop.url)
    form = {"email": "ming@example.tw", "cardnumber": VISA, "expiry": "12/34", "cvc": "123",
            "name": "Lin Ming"}
    statuses: list[int] = []

    def submit() -> None:
        statuses.append(requests.post(page.url, data=form, allow_redirects=False,
                                      timeout=10).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 303]
    charged_once(simulator, shop, before)


def test_back_button_after_payment_does_not_pay_again(page: Page, shop: Shop,
                                                      simulator: LiveSimulator) -> None:
    start_checkout(page, shop.url)
    pay(page)
    expect_paid(page)
    count = len(payments_of(simulator, shop))
    page.go_back()
    expect(page.get_by_test_id("checkout-complete")).to_be_visible()
    page.get_by_test_id("checkout-complete-link").click()
    expect_paid(page)
    assert len(payments_of(simulator, shop)) == count


def test_cancelled_checkout_returns_to_the_cart(page: Page, shop: Shop) -> None:
    start_checkout(page, shop.url)
    page.get_by_test_id("checkout-cancel").click()
    page.wait_for_url("**/cart?canceled=1")
    expect(page.get_by_test_id("notice")).to_contain_text("Checkout canceled")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)


def test_order_page_updates_when_a_delayed_webhook_arrives(page: Page, shop: Shop,
                                                           simulator: LiveSimulator) -> None:
    if not shop.api_key:
        pytest.skip("set PAYLAB_MERCHANT_API_KEY to scope a scenario to an external shop")
    scenario = f"{simulator.url}/_sim/scenario"
    requests.put(scenario, params={"tenant": shop.api_key}, timeout=10, data=(
        "name: slow-webhooks\nrules:\n  - name: late\n    match: {event: checkout.*}\n"
        "    effects: [{webhook: {delay: 60}}]\n")).raise_for_status()  # 3 s at 20x
    try:
        start_checkout(page, shop.url)
        pay(page)
        page.wait_for_url("**/orders/**")
        expect(page.get_by_test_id("order-status")).to_have_text(
            "Waiting for payment confirmation…")
        expect_paid(page, timeout=20_000)
    finally:
        requests.delete(scenario, params={"tenant": shop.api_key}, timeout=10)


def test_hostile_product_names_never_run(page: Page, shop: Shop, dialogs: list[str]) -> None:
    page.goto(shop.url)
    card = page.locator("[data-testid=product][data-product='xss-name']")
    expect(card.locator(".product-name")).to_have_text("<img src=x onerror=alert('name')>Tea")
    start_checkout(page, shop.url, product="xss-name")
    expect(page.get_by_test_id("checkout-item")).to_contain_text("onerror=alert('name')")
    expect(page.get_by_test_id("checkout-item")).to_contain_text("<script>alert('description')")
    pay(page)
    expect_paid(page)
    assert dialogs == [], f"script ran: {dialogs}"
    assert page.evaluate("document.querySelectorAll('img[src=x], svg[onload]').length") == 0


def test_duplicated_and_reordered_webhooks_fulfil_the_order_once(
        page: Page, shop: Shop, simulator: LiveSimulator) -> None:
    """Three copies of checkout.session.completed, each dropped once and delivered out of
    order: the order is paid, the gateway charged once, and the shop took every copy
    without an error (a second fulfilment would hit its fulfilments key and answer 500).
    The fulfilment count itself is capped at 1 by that key, so it is reported, not relied
    on: the charges are counted at the gateway."""
    if shop.db is None or not shop.api_key:
        pytest.skip("needs the bundled shop and its API key")
    scenario = f"{simulator.url}/_sim/scenario"
    before = payments_of(simulator, shop)
    requests.put(scenario, params={"tenant": shop.api_key}, timeout=10, data=(
        "name: hostile-delivery\nrules:\n  - name: chaos\n    match: {event: checkout.*}\n"
        "    effects: [{webhook: {duplicate: 2, reorder: 20, drop_then_retry: 1}}]\n"
    )).raise_for_status()

    def chaos_deliveries() -> list[dict]:
        rows = requests.get(f"{simulator.url}/_sim/webhooks", timeout=10,
                            params={"tenant": shop.api_key}).json()["deliveries"]
        return [d for d in rows if (d["effect"] or "").startswith("chaos:")
                and d["created"] >= started]

    try:
        started = requests.get(f"{simulator.url}/_sim/health", timeout=10).json()["clock"]["now"]
        start_checkout(page, shop.url)
        session_id = re.search(r"(cs_test_\w+)", page.url).group(1)  # type: ignore[union-attr]
        pay(page)
        expect_paid(page, timeout=30_000)
        order_id = page.url.split("/orders/")[1].split("?")[0]
        deliveries = wait_for(chaos_deliveries, lambda ds: len(ds) >= 3 and all(
            d["status"] == "delivered" for d in ds), 30)
    finally:
        requests.delete(scenario, params={"tenant": shop.api_key}, timeout=10)
    assert sorted(d["copy"] for d in deliveries) == [0, 1, 2], "exactly three copies were sent"
    assert all(d["status"] == "delivered" for d in deliveries), deliveries
    answers = [a["status_code"] for d in deliveries for a in d["attempts"]]
    assert answers.count(None) == 3 and answers.count(200) == 3, (
        f"each copy dropped once, then taken with a 2xx at once: {answers}")
    payment = charged_once(simulator, shop, before)
    session = requests.get(f"{simulator.stripe_url}/v1/checkout/sessions/{session_id}",
                           headers={"Authorization": f"Bearer {shop.api_key}"},
                           timeout=10).json()
    assert session["payment_intent"] == payment["id"]
    fulfilments = requests.get(f"{shop.url}/orders/{order_id}/status",
                               timeout=10).json()["fulfilments"]
    assert fulfilments == 1
