"""PayPal's refusals in process, each in its own body and status, none with a side effect:
credentials, bearer tokens, bad bodies and amounts, another app's ids, negative-testing
mock headers, expiry on the virtual clock, scenario overrides and injected faults."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.suites.unit import paypal_kit as pp
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start

ERROR = "https://paylab.dev/contracts/paypal/error.schema.json"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _issue(answer: Any, status: int, issue: str) -> dict[str, Any]:
    assert answer.status == status, answer.body
    assert not contracts().errors(ERROR, answer.body), contracts().errors(ERROR, answer.body)
    assert answer.body["details"][0]["issue"] == issue, answer.body
    assert answer.headers["Paypal-Debug-Id"] == answer.body["debug_id"]
    return answer.body["details"][0]


def _orders(sim: Sim) -> int:
    return len(sim.domain.objects.all_of("paypal_order"))


async def scenario(sim: Sim, match: dict[str, Any], effect: dict[str, Any]) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": match, "effects": [effect]}]}
    answer = await sim.control("PUT", "/scenario", rules)
    assert answer.status == 200, answer.body


async def test_the_token_endpoint_refuses_bad_clients(sim: Sim) -> None:
    wrong = await pp.token(sim, secret=pp.SECRET[:-1] + "X")
    assert (wrong.status, wrong.body["error"]) == (401, "invalid_client")
    unknown = await pp.token(sim, client_id="paylab-sandbox-nobody")
    assert unknown.status == 401
    bare = await sim._send("POST", "/paypal/v1/oauth2/token", data="grant_type=client_credentials")
    assert bare.status == 401
    no_grant = await sim._send("POST", "/paypal/v1/oauth2/token", data="",
                               headers={"Authorization": pp.basic()})
    assert (no_grant.status, no_grant.body["error"]) == (400, "unsupported_grant_type")
    assert sim.domain.objects.all_of("paypal_token") == []


async def test_forged_and_expired_bearers_are_refused(sim: Sim) -> None:
    forged = await pp.api(sim, "A21AAforged", "POST", "/v2/checkout/orders", pp.order_body())
    assert forged.status == 401 and forged.body["name"] == "AUTHENTICATION_FAILURE"
    assert not contracts().errors(ERROR, forged.body)
    missing = await sim._send("GET", "/paypal/v2/checkout/orders/ABC")
    assert missing.status == 401
    access = await pp.bearer(sim)
    assert (await pp.api(sim, access, "GET", "/v1/notifications/webhooks")).status == 200
    await sim.control("POST", "/clock/advance", {"seconds": 32400})
    expired = await pp.api(sim, access, "GET", "/v1/notifications/webhooks")
    assert expired.status == 401
    assert _orders(sim) == 0


async def test_another_apps_ids_are_not_found(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access, value="77.00")
    await pp.approve(sim, order)
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    capture_id = captured.body["purchase_units"][0]["payments"]["captures"][0]["id"]
    made = await sim.control("POST", "/merchants", {"gateway": "paypal"})
    assert made.status in (200, 201), made.body
    other = made.body["merchant_id"]
    other_token = await pp.token(sim, client_id=other, secret=made.body["hash_key"])
    theirs = other_token.body["access_token"]
    for path in (f"/v2/checkout/orders/{order['id']}", f"/v2/payments/captures/{capture_id}"):
        answer = await pp.api(sim, theirs, "GET", path)
        detail = _issue(answer, 404, "INVALID_RESOURCE_ID")
        assert detail["location"] == "path"
        assert "77.00" not in answer.text
    refund = await pp.api(sim, theirs, "POST", f"/v2/payments/captures/{capture_id}/refund")
    _issue(refund, 404, "INVALID_RESOURCE_ID")
    core = sim.domain.orders.find_by_merchant_order(pp.TENANT, order["id"])
    assert core["refunded_amount"] == 0


@pytest.mark.parametrize(("change", "status", "issue", "field"), [
    (lambda b: b.pop("intent"), 400, "MISSING_REQUIRED_PARAMETER", "/intent"),
    (lambda b: b.update(intent="SALE"), 400, "INVALID_PARAMETER_VALUE", "/intent"),
    (lambda b: b["purchase_units"][0]["amount"].update(value="10.0.0"), 400,
     "INVALID_PARAMETER_SYNTAX", "/purchase_units/0/amount/value"),
    (lambda b: b["purchase_units"][0]["amount"].update(currency_code="XYZ"), 422,
     "CURRENCY_NOT_SUPPORTED", "/purchase_units/0/amount/currency_code"),
    (lambda b: b["purchase_units"][0]["amount"].update(currency_code="JPY", value="10.5"),
     422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
    (lambda b: b["purchase_units"][0]["amount"].update(value="0.00"), 422,
     "CANNOT_BE_ZERO_OR_NEGATIVE", "/purchase_units/0/amount/value"),
    (lambda b: b["purchase_units"][0]["amount"].update(breakdown={
        "item_total": {"currency_code": "USD", "value": "9.00"}}), 422, "AMOUNT_MISMATCH",
     "/purchase_units/0/amount/value"),
    (lambda b: b["purchase_units"][0].update(
        amount={"currency_code": "USD", "value": "10.00", "breakdown": {
            "item_total": {"currency_code": "USD", "value": "10.00"}}},
        items=[{"name": "Mug", "quantity": "3", "unit_amount": {"currency_code": "USD",
                                                               "value": "3.00"}}]),
     422, "ITEM_TOTAL_MISMATCH", "/purchase_units/0/amount/breakdown/item_total"),
    (lambda b: b["purchase_units"].append(dict(b["purchase_units"][0])), 400,
     "INVALID_ARRAY_MAX_ITEMS", "/purchase_units"),
])
async def test_bad_orders_are_refused_without_a_trace(sim: Sim, change: Any, status: int,
                                                      issue: str, field: str) -> None:
    access = await pp.bearer(sim)
    body = pp.order_body()
    change(body)
    answer = await pp.api(sim, access, "POST", "/v2/checkout/orders", body)
    assert _issue(answer, status, issue)["field"] == field
    assert _orders(sim) == 0
    assert sim.domain.objects.all_of("order") == []


async def test_malformed_json_and_duplicate_invoices(sim: Sim) -> None:
    access = await pp.bearer(sim)
    broken = await pp.api(sim, access, "POST", "/v2/checkout/orders", raw=b"{nope")
    _issue(broken, 400, "MALFORMED_REQUEST_JSON")
    await pp.create(sim, access, invoice_id="INV-9")
    again = await pp.api(sim, access, "POST", "/v2/checkout/orders",
                         pp.order_body(invoice_id="INV-9"))
    _issue(again, 422, "DUPLICATE_INVOICE_ID")
    assert _orders(sim) == 1


async def test_mock_response_header_answers_the_named_error_only(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    await pp.approve(sim, order)
    path = f"/v2/checkout/orders/{order['id']}/capture"
    mock = {"PayPal-Mock-Response": '{"mock_application_codes": "INSTRUMENT_DECLINED"}'}
    declined = await pp.api(sim, access, "POST", path, headers=mock)
    _issue(declined, 422, "INSTRUMENT_DECLINED")
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "APPROVED"
    other = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body(),
                         headers={"PayPal-Mock-Response":
                                  '{"mock_application_codes": "TRANSACTION_REFUSED"}'})
    _issue(other, 422, "TRANSACTION_REFUSED")
    garbled = await pp.api(sim, access, "POST", path, headers={"PayPal-Mock-Response": "{"})
    assert garbled.status == 400
    captured = await pp.api(sim, access, "POST", path)
    assert captured.status == 201
    assert _orders(sim) == 1


async def test_unapproved_orders_expire_on_the_clock(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    approved = await pp.create(sim, access)
    await pp.approve(sim, approved)
    await sim.control("POST", "/clock/advance", {"seconds": 3 * 3600 + 1})
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "VOIDED"
    page = await sim.page("GET", pp.link(order, "approve"))
    assert page.status == 410 and "expired" in page.text
    late = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{approved['id']}/capture")
    _issue(late, 422, "ORDER_EXPIRED")


async def test_a_decline_override_at_capture_is_instrument_declined(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    await pp.approve(sim, order)
    await scenario(sim, {"gateway": "paypal", "path": "/v2/checkout/orders/*/capture"},
                   {"outcome": {"decline": "insufficient_funds"}})
    declined = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    _issue(declined, 422, "INSTRUMENT_DECLINED")
    core = sim.domain.orders.find_by_merchant_order(pp.TENANT, order["id"])
    assert core["status"] == "failed"
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "VOIDED"
    assert shown.body["purchase_units"][0]["payments"]["captures"][0]["status"] == "DECLINED"


async def test_a_late_approval_lands_on_the_clock(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    await scenario(sim, {"gateway": "paypal", "path": "/checkoutnow/approve"},
                   {"outcome": {"processing": {"seconds": 60}}})
    redirect = await pp.approve(sim, order)
    assert redirect.status == 303
    early = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    _issue(early, 422, "ORDER_NOT_APPROVED")
    await sim.control("POST", "/clock/advance", {"seconds": 61})
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert captured.status == 201, captured.body


async def test_a_decline_at_approval_shows_on_the_page(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access)
    await scenario(sim, {"gateway": "paypal", "path": "/checkoutnow/approve"},
                   {"outcome": {"decline": "insufficient_funds"}})
    answer = await pp.approve(sim, order)
    assert answer.status == 410 and "declined" in answer.text
    shown = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{order['id']}")
    assert shown.body["status"] == "VOIDED"


async def test_injected_faults_and_unknown_paths_speak_paypal(sim: Sim) -> None:
    access = await pp.bearer(sim)
    nowhere = await pp.api(sim, access, "GET", "/v2/nothing/here")
    assert nowhere.status == 404 and nowhere.body["name"] == "RESOURCE_NOT_FOUND"
    await scenario(sim, {"gateway": "paypal"}, {"error": {"status": 503}})
    fault = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body())
    assert fault.status == 503 and fault.body["name"] == "SERVICE_UNAVAILABLE"
    assert not contracts().errors(ERROR, fault.body)
    await scenario(sim, {"gateway": "paypal"}, {"error": {"status": 429}})
    limited = await pp.api(sim, access, "GET", "/v1/notifications/webhooks")
    assert limited.body["name"] == "RATE_LIMIT_REACHED"
    assert _orders(sim) == 0


@pytest.mark.parametrize("value", ["訂" * 1000, "x" * 109], ids=["long-cjk", "109-chars"])
async def test_a_bad_request_id_header_is_a_400(sim: Sim, value: str) -> None:
    access = await pp.bearer(sim)
    answer = await sim._send("POST", "/paypal/v2/checkout/orders", json=pp.order_body(),
                             headers={"Authorization": f"Bearer {access}",
                                      "PayPal-Request-Id": value})
    assert answer.status == 400, answer.text[:300]
    assert answer.body["details"][0]["location"] == "header"
    assert _orders(sim) == 0


async def test_rules_match_the_amount_of_a_new_order_and_of_the_order_in_the_path(
        sim: Sim) -> None:
    access = await pp.bearer(sim)
    small = await pp.create(sim, access, value="10.00")
    await scenario(sim, {"gateway": "paypal", "amount": {"min": 5000}}, {"error": {"status": 502}})
    big = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body("50.00"))
    assert big.status == 502 and big.body["name"] == "INTERNAL_SERVER_ERROR"
    assert (await pp.api(sim, access, "GET", f"/v2/checkout/orders/{small['id']}")).status == 200
    await scenario(sim, {"gateway": "paypal", "amount": {"max": 1000}}, {"error": {"status": 502}})
    blocked = await pp.api(sim, access, "GET", f"/v2/checkout/orders/{small['id']}")
    assert blocked.status == 502
    assert _orders(sim) == 1


@pytest.mark.parametrize("value", ["9999999999999999999999999", "1000000.00"])
async def test_an_amount_past_the_limit_is_refused_not_a_crash(sim: Sim, value: str) -> None:
    access = await pp.bearer(sim)
    answer = await pp.api(sim, access, "POST", "/v2/checkout/orders", pp.order_body(value))
    assert _issue(answer, 422, "MAX_VALUE_EXCEEDED")["field"] == "/purchase_units/0/amount/value"
    assert (await pp.api(sim, access, "POST", "/v2/checkout/orders",
                         pp.order_body("999999.99"))).status == 201
    assert _orders(sim) == 1


@pytest.mark.parametrize("header", ["Basic ünïcode", "Basic !!!", "Basic " + "QQ==" * 3,
                                    "Bearer x"])
async def test_a_garbled_basic_header_is_invalid_client(sim: Sim, header: str) -> None:
    answer = await sim._send("POST", "/paypal/v1/oauth2/token",
                             data="grant_type=client_credentials",
                             headers={"Authorization": header})
    assert (answer.status, answer.body["error"]) == (401, "invalid_client")
