"""`paypal-server-sdk` 2.4.0, PayPal's Python SDK, as the merchant's client against the
live simulator, unchanged but for its base URL (`Configuration.environments`,
gateways.md 8): client-credentials token, create -> the buyer approves (on the pages, or
through /_sim/payments/{id}/simulate) -> capture -> refunds, and AUTHORIZE -> authorize ->
capture / void. Every answer it gets, refusals included, is checked against
contracts/paypal; webhook deliveries are verified through the verify call."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

import pytest
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paypalserversdk.configuration import Environment, Server
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

SHOP = "https://shop.example/paypal"


class App:
    """A fresh PayPal app (its own tenant) and the SDK configured for it."""

    def __init__(self, simulator: LiveSimulator, control: Control) -> None:
        made = control.post("merchants", {"gateway": "paypal"})
        self.client_id, self.secret, self.tenant = (made["merchant_id"], made["hash_key"],
                                                    made["tenant"])
        self.sdk = PaypalServersdkClient(
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=self.client_id, o_auth_client_secret=self.secret),
            environment=Environment.SANDBOX)
        # the only change: the base URL (the SDK's environment map is overridable)
        self.sdk.config.environments = {
            Environment.SANDBOX: {Server.DEFAULT: simulator.url + "/paypal"}}


@pytest.fixture
def app(simulator: LiveSimulator, control: Control) -> App:
    return App(simulator, control)


def body(answer: Any) -> dict[str, Any]:
    return json.loads(answer.text)


def order_request(value: str, intent: CheckoutPaymentIntent) -> OrderRequest:
    return OrderRequest(
        intent=intent,
        purchase_units=[PurchaseUnitRequest(
            amount=AmountWithBreakdown(currency_code="USD", value=value),
            custom_id="cart-42", description="Oolong tea")],
        payment_source=PaymentSource(paypal=PaypalWallet(
            experience_context=PaypalWalletExperienceContext(
                return_url=f"{SHOP}/return", cancel_url=f"{SHOP}/cancel"))))


def approve_on_page(http: EvidenceSession, order: dict[str, Any]) -> dict[str, str]:
    """The buyer logs in and approves; the return_url's query the browser is sent to."""
    url = next(x["href"] for x in order["links"] if x["rel"] == "payer-action")
    login = http.get(url, timeout=10)
    assert 'data-testid="paypal-login"' in login.text
    step = re.search(r'action="([^"]+)" data-testid="paypal-login-form"', login.text)
    review = http.post(urllib.parse.urljoin(url, step.group(1).replace("&amp;", "&")),
                       data={"email": "sb-sdk-buyer@personal.example.com", "password": "x"},
                       timeout=10)
    step = re.search(r'action="([^"]+)" data-testid="paypal-approve-form"', review.text)
    done = http.post(urllib.parse.urljoin(url, step.group(1).replace("&amp;", "&")),
                     data={"email": "sb-sdk-buyer@personal.example.com"},
                     allow_redirects=False, timeout=10)
    assert done.status_code == 303
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(done.headers["Location"]).query))


def test_create_approve_capture_refund(app: App, http: EvidenceSession,
                                       wire_contracts: WireContracts) -> None:
    created = app.sdk.orders.create_order({
        "body": order_request("30.00", CheckoutPaymentIntent.CAPTURE),
        "prefer": "return=representation", "paypal_request_id": "sdk-create-1"})
    assert created.status_code == 201
    order = body(created)
    wire_contracts.check("paypal/order", order)
    assert created.body.status == "PAYER_ACTION_REQUIRED"
    back = approve_on_page(http, order)
    assert back["token"] == order["id"]
    shown = app.sdk.orders.get_order({"id": order["id"]})
    assert shown.body.status == "APPROVED"
    assert shown.body.payer.payer_id == back["PayerID"]

    captured = app.sdk.orders.capture_order({"id": order["id"],
                                             "prefer": "return=representation"})
    wire_contracts.check("paypal/order", body(captured))
    capture = captured.body.purchase_units[0].payments.captures[0]
    assert (captured.body.status, capture.status, capture.amount.value) == (
        "COMPLETED", "COMPLETED", "30.00")
    with pytest.raises(ErrorException) as again:
        app.sdk.orders.capture_order({"id": order["id"]})
    assert again.value.response.status_code == 422
    assert again.value.details[0].issue == "ORDER_ALREADY_CAPTURED"
    wire_contracts.check("paypal/error", json.loads(again.value.response.text))

    partial = app.sdk.payments.refund_captured_payment({
        "capture_id": capture.id, "prefer": "return=representation",
        "body": RefundRequest(amount=Money(currency_code="USD", value="10.00"))})
    wire_contracts.check("paypal/refund", body(partial))
    rest = app.sdk.payments.refund_captured_payment({"capture_id": capture.id})
    assert rest.body.amount.value == "20.00"
    got = app.sdk.payments.get_captured_payment({"capture_id": capture.id})
    wire_contracts.check("paypal/capture", body(got))
    assert got.body.status == "REFUNDED"
    refund = app.sdk.payments.get_refund({"refund_id": partial.body.id})
    assert refund.body.amount.value == "10.00"


def test_authorize_capture_and_void_with_simulated_approvals(
        app: App, control: Control, wire_contracts: WireContracts) -> None:
    ids = []
    for value in ("40.00", "5.00"):
        made = app.sdk.orders.create_order({
            "body": order_request(value, CheckoutPaymentIntent.AUTHORIZE)})
        ids.append(made.body.id)
        ledger = control.ledger(app.tenant)
        core = next(p for p in ledger["payments"] if p.get("merchant_order_no") == made.body.id)
        control.post(f"payments/{core['id']}/simulate", {"outcome": "approved"})
    authorized = app.sdk.orders.authorize_order({"id": ids[0]})
    wire_contracts.check("paypal/order", body(authorized))
    auth = authorized.body.purchase_units[0].payments.authorizations[0]
    assert auth.status == "CREATED"
    captured = app.sdk.payments.capture_authorized_payment({
        "authorization_id": auth.id, "prefer": "return=representation",
        "body": {"amount": {"currency_code": "USD", "value": "35.00"}, "final_capture": True}})
    wire_contracts.check("paypal/capture", body(captured))
    assert captured.body.amount.value == "35.00"
    shown = app.sdk.payments.get_authorized_payment({"authorization_id": auth.id})
    wire_contracts.check("paypal/authorization", body(shown))
    assert shown.body.status == "CAPTURED"

    second = app.sdk.orders.authorize_order({"id": ids[1]})
    auth_id = second.body.purchase_units[0].payments.authorizations[0].id
    voided = app.sdk.payments.void_payment({"authorization_id": auth_id})
    assert voided.status_code == 204
    with pytest.raises(ErrorException) as late:
        app.sdk.payments.capture_authorized_payment({"authorization_id": auth_id})
    assert late.value.details[0].issue == "AUTHORIZATION_VOIDED"


def test_bad_secret_and_another_apps_order(app: App, simulator: LiveSimulator,
                                           control: Control,
                                           wire_contracts: WireContracts) -> None:
    made = app.sdk.orders.create_order({
        "body": order_request("9.00", CheckoutPaymentIntent.CAPTURE)})
    other = App(simulator, control)
    with pytest.raises(ErrorException) as missing:
        other.sdk.orders.get_order({"id": made.body.id})
    assert missing.value.response.status_code == 404
    assert "9.00" not in missing.value.response.text
    wrong = PaypalServersdkClient(
        client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
            o_auth_client_id=app.client_id, o_auth_client_secret=app.secret + "x"))
    wrong.config.environments = app.sdk.config.environments
    with pytest.raises(AuthValidationException):  # the SDK could get no token
        wrong.orders.get_order({"id": made.body.id})
    basic = base64.b64encode(f"{app.client_id}:{app.secret}x".encode()).decode()
    with pytest.raises(OAuthProviderException) as refused:
        wrong.o_auth_authorization.request_token({"authorization": f"Basic {basic}"})
    assert refused.value.response.status_code == 401
    assert refused.value.error == "invalid_client"
    wire_contracts.check("paypal/oauth_error", json.loads(refused.value.response.text))
