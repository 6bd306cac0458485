"""paylab's pytest plugin (`paylab.testing`), used as a merchant's suite would use it: the
fixtures, the scenario marker, the control client and the webhook inbox."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import requests
import stripe

from paylab.testing.control import ControlClient, PaylabControlError, PaylabTimeout
from paylab.testing.webhooks import WebhookInbox

#: Every Stripe POST of the tenant fails with 503 before anything runs.
DOWN = ("name: down\nrules:\n  - name: creates-fail\n    match: {gateway: stripe, method: POST}\n"
        "    effects: [{error: {status: 503}}]\n")
CARD = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}


def test_each_test_gets_its_own_sk_test_tenant(paylab_api_key: str,
                                                 paylab_stripe: stripe.StripeClient,
                                                 paylab_control: ControlClient) -> None:
    assert paylab_api_key.startswith("sk_test_") and len(paylab_api_key) >= 40
    assert paylab_control.tenant == paylab_api_key
    intent = paylab_stripe.v1.payment_intents.create(params=CARD)
    assert intent.status == "succeeded"
    payments = paylab_control.ledger()["payments"]
    assert [(p["id"], p["captured"]) for p in payments] == [(intent.id, 2000)]
    paths = [(e["method"], e["path"]) for e in paylab_control.journal()]
    assert ("POST", "/stripe/v1/payment_intents") in paths


def test_a_decline_raises_the_sdks_card_error(paylab_stripe: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        paylab_stripe.v1.payment_intents.create(
            params={**CARD, "payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    assert declined.value.error.decline_code == "insufficient_funds"


def test_scenario_context_manager_applies_then_restores(
        paylab_stripe: stripe.StripeClient, paylab_control: ControlClient) -> None:
    with paylab_control.scenario(DOWN) as state:
        assert state["scenario"]["name"] == "down"
        with pytest.raises(stripe.APIError) as failed:
            paylab_stripe.v1.payment_intents.create(params=CARD)
        assert failed.value.http_status == 503
    assert paylab_control.scenario_state()["scenario"] is None
    assert paylab_stripe.v1.payment_intents.create(params=CARD).status == "succeeded"


def test_scenario_by_preset_name(paylab_control: ControlClient) -> None:
    with paylab_control.scenario("slow-gateway") as state:
        assert state["scenario"]["name"] == "slow-gateway"
    assert paylab_control.scenario_state()["scenario"] is None


@pytest.mark.paylab_scenario(DOWN)
def test_the_marker_runs_the_test_under_the_scenario(
        paylab_stripe: stripe.StripeClient, paylab_control: ControlClient) -> None:
    with pytest.raises(stripe.APIError):
        paylab_stripe.v1.payment_intents.create(params=CARD)
    assert paylab_control.scenario_state()["scenario"]["name"] == "down"


def test_a_refused_scenario_says_why(paylab_control: ControlClient) -> None:
    with pytest.raises(PaylabControlError) as refused:
        paylab_control.load_scenario("rules:\n  - name: x\n    effects: [{error: {status: 999}}]\n")
    assert refused.value.status == 400 and refused.value.code == "invalid_scenario"
    assert "invalid_scenario" in str(refused.value)


def test_clock_advance_moves_virtual_time(paylab_control: ControlClient) -> None:
    before = paylab_control.clock.now()
    after = paylab_control.clock.advance(3600)
    assert after >= before + 3600


def test_webhook_inbox_gets_verified_events(paylab_stripe: stripe.StripeClient,
                                            paylab_webhooks: WebhookInbox,
                                            paylab_control: ControlClient) -> None:
    intent = paylab_stripe.v1.payment_intents.create(params=CARD)
    event = paylab_webhooks.wait_for_event("payment_intent.succeeded")
    assert event.data.object.id == intent.id
    delivery = paylab_control.wait_for_delivery("payment_intent.succeeded")
    assert delivery["event_id"] == event.id and delivery["attempts"][0]["status_code"] == 200
    assert paylab_control.wait_for_event("payment_intent.succeeded")["id"] == event.id
    assert paylab_webhooks.rejected == []


def test_webhook_inbox_refuses_a_forged_signature(paylab_webhooks: WebhookInbox) -> None:
    forged = stripe.WebhookSignature._compute_signature(  # a signature with another secret
        f"{int(time.time())}.{{}}", "whsec_not_the_endpoints")
    answer = requests.post(paylab_webhooks.url, data=b"{}", timeout=5, headers={
        "Stripe-Signature": f"t={int(time.time())},v1={forged}"})
    assert answer.status_code == 400
    assert paylab_webhooks.events == [] and len(paylab_webhooks.rejected) == 1


def test_waits_time_out_with_what_they_saw(paylab_stripe: stripe.StripeClient,
                                           paylab_control: ControlClient,
                                           paylab_webhooks: WebhookInbox) -> None:
    paylab_stripe.v1.payment_intents.create(params=CARD)
    paylab_webhooks.wait_for_event("payment_intent.succeeded")
    with pytest.raises(PaylabTimeout, match=r"charge\.refunded"):
        paylab_control.wait_for_event("charge.refunded", timeout=0.3)
    with pytest.raises(PaylabTimeout, match=r"received \[.*payment_intent.succeeded"):
        paylab_webhooks.wait_for_event("charge.refunded", timeout=0.3)
    with pytest.raises(PaylabTimeout, match="deliveries seen"):
        paylab_control.wait_for_delivery("charge.refunded", timeout=0.3)


def test_tenant_reset_ahead_of_first_call(paylab_control: ControlClient) -> None:
    """A reset (or scenario) may come before the tenant's first API call."""
    fresh = paylab_control.for_tenant(f"sk_test_{secrets.token_hex(16)}")
    fresh.reset()
    with fresh.scenario(DOWN):
        pass
    assert fresh.ledger()["payments"] == []


class _OlderSimulator(requests.adapters.BaseAdapter):
    """A simulator from before `ahead`: it refuses the parameter as unknown (400 naming
    it), and takes the same call without it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        self.seen.append((request.url or "", body))
        refused = "ahead" in (request.url or "") or "ahead" in body
        response = requests.Response()
        response.status_code = 400 if refused else 200
        response._content = json.dumps(
            {"error": {"code": "invalid_parameter", "field": None,
                       "message": "Additional properties are not allowed ('ahead' was "
                                  "unexpected)"}} if refused else {"reset": "t"}).encode()
        response.request, response.url = request, request.url
        return response

    def close(self) -> None:
        """Nothing to release."""


def test_a_simulator_without_ahead_gets_the_call_without_it() -> None:
    older = _OlderSimulator()
    session = requests.Session()
    session.mount("http://", older)
    ControlClient("http://127.0.0.1:9", session, tenant="sk_test_x").reset()
    assert ["ahead" in url + body for url, body in older.seen] == [True, False]
