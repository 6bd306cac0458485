"""The PayPal approval pages in process: the sandbox login prefilled, the review with its
Approve and Cancel buttons, everything echoed escaped, a wrong or missing page token that
opens nothing, and Cancel back to cancel_url with the order's token."""

from __future__ import annotations

import re

import pytest
from paylab.simulator.gateways.paypal import pages
from paylab.suites.unit import paypal_kit as pp
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

HOSTILE = '<script>alert("x")</script>&'


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_login_then_review_show_the_order_escaped(sim: Sim) -> None:
    access = await pp.bearer(sim)
    body = pp.order_body(value="7.00", description=HOSTILE, items=[
        {"name": HOSTILE, "quantity": "2", "unit_amount": {"currency_code": "USD",
                                                          "value": "3.50"}}])
    body["purchase_units"][0]["amount"]["breakdown"] = {
        "item_total": {"currency_code": "USD", "value": "7.00"}}
    body["application_context"]["brand_name"] = HOSTILE
    order = (await pp.api(sim, access, "POST", "/v2/checkout/orders", body)).body
    login = await sim.page("GET", pp.link(order, "approve"))
    assert login.status == 200
    assert f'value="{pages.SANDBOX_EMAIL}"' in login.text
    assert re.search(r'<button type="submit"[^>]*data-testid="paypal-login">Log In</button>',
                     login.text)
    assert "<script>" not in login.text
    review = await sim.page("POST", pp.action(login.text, "paypal-login-form"),
                            {"email": "buyer@example.com", "password": "x"})
    assert review.status == 200
    assert ">Approve</button>" in review.text and ">Cancel</button>" in review.text
    assert "<script>" not in review.text and "&lt;script&gt;" in review.text
    assert "7.00 USD" in review.text and "3.50 USD" in review.text
    bad = await sim.page("POST", pp.action(login.text, "paypal-login-form"),
                         {"email": "nobody", "password": ""})
    assert bad.status == 400


async def test_a_wrong_or_missing_page_token_opens_nothing(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    url = pp.link(order, "approve")
    for broken in (re.sub(r"session=[^&]+", "session=wrong", url),
                   re.sub(r"&session=[^&]+", "", url)):
        shown = await sim.page("GET", broken)
        assert shown.status == 404 and "not valid" in shown.text
        approve = await sim.page("POST", broken.replace("/checkoutnow?", "/checkoutnow/approve?"),
                                 {"email": "a@b.c"})
        assert approve.status == 404
    core = sim.domain.orders.find_by_merchant_order(pp.TENANT, order["id"])
    assert core["status"] == "created"


async def test_cancel_returns_to_cancel_url_and_voids(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    login = await sim.page("GET", pp.link(order, "approve"))
    review = await sim.page("POST", pp.action(login.text, "paypal-login-form"),
                            {"email": pages.SANDBOX_EMAIL, "password": "x"})
    cancel = await sim.page("POST", pp.action(review.text, "paypal-cancel-form"))
    assert cancel.status == 303
    assert cancel.headers["Location"] == f"https://shop.example/cancel?token={order['id']}"
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "VOIDED"
    again = await sim.page("GET", pp.link(order, "approve"))
    assert again.status == 410
    capture = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert capture.body["details"][0]["issue"] == "ORDER_NOT_APPROVED"


async def test_a_second_approve_lands_as_the_first(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    first = await pp.approve(sim, order)
    assert first.status == 303
    login_url = pp.link(order, "approve")
    again = await sim.page("POST", login_url.replace("/checkoutnow?", "/checkoutnow/approve?"),
                           {"email": "x@y.z"})
    assert again.status == 200 and "approved" in again.text
    events = [e for _, e in sim.domain.objects.all_of("event", pp.TENANT)
              if e["type"] == "order.approved"]
    assert len(events) == 1
