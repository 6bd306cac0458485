"""PayPal Orders v2 in process: the token, create (CAPTURE and AUTHORIZE), the approval
pages, capture, authorize + capture / void, refunds, retrieval, Prefer and idempotency."""

from __future__ import annotations

import pytest
from paylab.suites.unit import paypal_kit as pp
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _valid(name: str, body: object) -> None:
    errors = contracts().errors(f"https://paylab.dev/contracts/paypal/{name}.schema.json", body)
    assert not errors, errors


async def test_token_then_create_capture_refund(sim: Sim) -> None:
    answer = await pp.token(sim)
    assert answer.status == 200
    _valid("token", answer.body)
    access = answer.body["access_token"]
    order = await pp.create(sim, access)
    _valid("order", order)
    assert order["status"] == "CREATED" and order["intent"] == "CAPTURE"
    assert {x["rel"] for x in order["links"]} == {"self", "approve", "update", "capture"}
    assert pp.link(order, "approve").startswith("http")
    early = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert early.status == 422 and early.body["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    _valid("error", early.body)

    redirect = await pp.approve(sim, order)
    assert redirect.status == 303
    query = pp.redirect_query(redirect)
    assert redirect.headers["Location"].startswith("https://shop.example/return?")
    assert query["token"] == order["id"] and len(query["PayerID"]) == 13
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "APPROVED"
    assert shown.body["payer"]["payer_id"] == query["PayerID"]

    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert captured.status == 201, captured.body
    _valid("order", captured.body)
    assert captured.body["status"] == "COMPLETED"
    capture = captured.body["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "COMPLETED" and capture["amount"]["value"] == "10.00"
    again = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert again.body["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"

    part = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture['id']}/refund",
                        {"amount": {"currency_code": "USD", "value": "4.00"}})
    assert part.status == 201, part.body
    _valid("refund", part.body)
    over = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture['id']}/refund",
                        {"amount": {"currency_code": "USD", "value": "6.01"}})
    assert over.body["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    rest = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture['id']}/refund")
    assert rest.body["amount"]["value"] == "6.00"
    got = await pp.api(sim, access, "GET", f"/v2/payments/captures/{capture['id']}")
    assert got.body["status"] == "REFUNDED"
    _valid("capture", got.body)
    refund = await pp.api(sim, access, "GET", f"/v2/payments/refunds/{part.body['id']}")
    assert refund.status == 200 and refund.body["amount"]["value"] == "4.00"
    full = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture['id']}/refund")
    assert full.body["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"
    core = sim.domain.orders.find_by_merchant_order(pp.TENANT, order["id"])
    assert (core["status"], core["captured_amount"], core["refunded_amount"]) == ("paid", 1000,
                                                                                  1000)


async def test_authorize_then_partial_capture_and_void(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access, intent="AUTHORIZE", value="25.00")
    assert pp.link(order, "authorize").endswith("/authorize")
    await pp.approve(sim, order)
    wrong = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert wrong.body["details"][0]["issue"] == "ACTION_DOES_NOT_MATCH_INTENT"
    done = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/authorize")
    assert done.status == 201, done.body
    auth = done.body["purchase_units"][0]["payments"]["authorizations"][0]
    assert auth["status"] == "CREATED"
    _valid("authorization", auth)
    path = f"/v2/payments/authorizations/{auth['id']}/capture"
    too_much = await pp.api(sim, access, "POST", path,
                            {"amount": {"currency_code": "USD", "value": "25.01"}})
    assert too_much.body["details"][0]["issue"] == "MAX_CAPTURE_AMOUNT_EXCEEDED"
    other = await pp.api(sim, access, "POST", path,
                         {"amount": {"currency_code": "EUR", "value": "5.00"}})
    assert other.body["details"][0]["issue"] == "CURRENCY_MISMATCH"
    capture = await pp.api(sim, access, "POST", path,
                           {"amount": {"currency_code": "USD", "value": "20.00"}})
    assert capture.status == 201 and capture.body["amount"]["value"] == "20.00"
    _valid("capture", capture.body)
    shown = await pp.api(sim, access, "GET", f"/v2/payments/authorizations/{auth['id']}")
    assert shown.body["status"] == "CAPTURED"
    void = await pp.api(sim, access, "POST", f"/v2/payments/authorizations/{auth['id']}/void")
    assert void.body["details"][0]["issue"] == "AUTHORIZATION_ALREADY_CAPTURED"

    second = await pp.create(sim, access, intent="AUTHORIZE", value="5.00")
    await pp.approve(sim, second)
    done = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{second['id']}/authorize")
    auth_id = done.body["purchase_units"][0]["payments"]["authorizations"][0]["id"]
    voided = await pp.api(sim, access, "POST", f"/v2/payments/authorizations/{auth_id}/void")
    assert voided.status == 204 and voided.text == ""
    again = await pp.api(sim, access, "POST", f"/v2/payments/authorizations/{auth_id}/void")
    assert again.body["details"][0]["issue"] == "PREVIOUSLY_VOIDED"
    late = await pp.api(sim, access, "POST", f"/v2/payments/authorizations/{auth_id}/capture")
    assert late.body["details"][0]["issue"] == "AUTHORIZATION_VOIDED"
    shown = await pp.api(sim, access, "GET", f"/v2/payments/authorizations/{auth_id}")
    assert shown.body["status"] == "VOIDED"


async def test_payment_source_orders_ask_for_payer_action_and_prefer_minimal(sim: Sim) -> None:
    access = await pp.bearer(sim)
    body = pp.order_body()
    body["payment_source"] = {"paypal": {"experience_context": {
        "return_url": "https://shop.example/back?cart=7", "cancel_url": "https://shop.example/c"}}}
    del body["application_context"]
    answer = await pp.api(sim, access, "POST", "/v2/checkout/orders", body,
                          headers={"Prefer": "return=minimal"})
    assert answer.status == 201
    assert set(answer.body) == {"id", "status", "links"}
    assert answer.body["status"] == "PAYER_ACTION_REQUIRED"
    redirect = await pp.approve(sim, answer.body)
    assert redirect.headers["Location"].startswith("https://shop.example/back?cart=7&token=")


async def test_paypal_request_id_replays_the_first_answer(sim: Sim) -> None:
    access = await pp.bearer(sim)
    headers = {"PayPal-Request-Id": "req-123"}
    first = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body(),
                         headers=headers)
    second = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body(),
                          headers=headers)
    assert first.status == second.status == 201
    assert first.body == second.body
    assert len(sim.domain.objects.all_of("paypal_order", pp.TENANT)) == 1
    other = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body("11.00"),
                         headers=headers)
    assert other.status == 422
    assert other.body["details"][0]["issue"] == "DUPLICATE_REQUEST_ID"


async def test_simulate_control_approves_by_the_core_order(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    core = sim.domain.orders.find_by_merchant_order(pp.TENANT, order["id"])
    answer = await sim.control("POST", f"/payments/{core['id']}/simulate",
                               {"outcome": "approved"})
    assert answer.status == 200, answer.body
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert captured.status == 201 and captured.body["status"] == "COMPLETED"
    assert captured.body["payer"]["email_address"].endswith("example.com")
