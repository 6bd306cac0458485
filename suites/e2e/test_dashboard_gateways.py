"""The dashboard shows every gateway (issue 12, section 4): ECPay and NewebPay orders in the
table per gateway and payment method, their requests in the journal under their gateway."""

from __future__ import annotations

import requests
from paylab.suites.e2e.rails import AIO, MPG, ecpay_form, newebpay_form
from paylab.suites.plugins.evidence import attach_screenshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect


def test_orders_of_every_gateway_show_per_method_and_in_the_journal(
        page: Page, simulator: LiveSimulator) -> None:
    ecpay = requests.post(simulator.url + AIO, timeout=10, allow_redirects=False,
                          data=ecpay_form("http://127.0.0.1:9/return", ChoosePayment="Credit"))
    assert ecpay.status_code < 400, ecpay.text
    newebpay = requests.post(simulator.url + MPG, timeout=10, allow_redirects=False,
                             data=newebpay_form(VACC=None, CVS=None, BARCODE=None, WEBATM=None))
    assert newebpay.status_code < 400, newebpay.text
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    for gateway in ("ecpay", "newebpay"):  # a credit-only order counts under card at once
        expect(page.get_by_test_id(f"methods-{gateway}-card").locator("td").nth(1)
               ).to_have_text("card")
    page.get_by_test_id("filter-gateway").select_option("ecpay")
    rows = page.get_by_test_id("journal-tail").locator("tbody tr")
    expect(rows.filter(has_text=f"POST {AIO}").first).to_be_visible()
    expect(rows.filter(has_text="/stripe/")).to_have_count(0)
    expect(rows.first.locator("td").nth(1)).to_have_text("ecpay")  # the Gateway column
    attach_screenshot(page, "dashboard with ECPay and NewebPay orders")
