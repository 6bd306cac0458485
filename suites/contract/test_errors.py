"""Bad input always gets Stripe's error object with the right status, type, code and param;
never a 500. Every response here is also checked against contracts/stripe/error."""

from __future__ import annotations

import base64

import pytest
import stripe
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def call(http: EvidenceSession, sim: LiveSimulator, key: str, method: str, path: str,
         body: bytes | str | None = None, headers: dict | None = None):
    all_headers = {"Authorization": f"Bearer {key}", **FORM, **(headers or {})}
    return http.request(method, f"{sim.stripe_url}{path}", data=body, headers=all_headers,
                        timeout=10)


@pytest.mark.parametrize(("body", "status", "code", "param"), [
    ("currency=usd", 400, "parameter_missing", "amount"),
    ("amount=2000", 400, "parameter_missing", "currency"),
    ("amount=abc&currency=usd", 400, "parameter_invalid_integer", "amount"),
    ("amount=0&currency=usd", 400, "parameter_invalid_integer", "amount"),
    ("amount=20&currency=usd", 400, "amount_too_small", "amount"),
    ("amount=2000&currency=usd&confirm=maybe", 400, "parameter_invalid_boolean", "confirm"),
    ("amount=2000&currency=usd&capture_method=later", 400, "parameter_invalid_string",
     "capture_method"),
    ("amount=2000&currency=usd&bogus=1", 400, "parameter_unknown", "bogus"),
    ("amount=2000&currency=usd&metadata[k]=" + "v" * 501, 400,
     "parameter_invalid_string_length", "metadata[k]"),
    ("amount=2000&currency=xyz", 400, "parameter_invalid_string", "currency"),
    ("amount=2000&currency=usd&payment_method=pm_nope", 404, "resource_missing",
     "payment_method"),
    ("amount=2000&currency=usd&payment_method_data[type]=card"
     "&payment_method_data[card][exp_month]=1&payment_method_data[card][exp_year]=2030",
     400, "parameter_missing", "payment_method_data[card][number]"),
    ("amount=2000&currency=usd&return_url=javascript:alert(1)", 400, "parameter_invalid",
     "return_url"),
    ("amount=1&amount[x]=2&currency=usd", 400, "parameter_invalid_string", "amount"),
])
def test_invalid_create_parameters(http, simulator, api_key, body: str, status: int, code: str,
                                   param: str) -> None:
    response = call(http, simulator, api_key, "POST", "/v1/payment_intents", body)
    error = response.json()["error"]
    assert response.status_code == status, error
    assert (error["type"], error["code"], error.get("param")) == (
        "invalid_request_error", code, param)
    assert error["message"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/payment_intents/pi_missing"), ("POST", "/v1/payment_intents/pi_missing"),
    ("POST", "/v1/payment_intents/pi_missing/confirm"),
    ("POST", "/v1/payment_intents/pi_missing/capture"),
    ("POST", "/v1/payment_intents/pi_missing/cancel"), ("GET", "/v1/charges/ch_missing"),
    ("GET", "/v1/refunds/re_missing"), ("GET", "/v1/events/evt_missing"),
    ("GET", "/v1/payment_methods/pm_missing"), ("GET", "/v1/webhook_endpoints/we_missing"),
    ("DELETE", "/v1/webhook_endpoints/we_missing"),
])
def test_unknown_ids_are_resource_missing(http, simulator, api_key, method: str,
                                          path: str) -> None:
    response = call(http, simulator, api_key, method, path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "resource_missing")
    assert path.rsplit("/", 1)[-1] in error["message"] or "_missing" in error["message"]


def test_wrong_state_transitions_are_refused(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    for action in (stripe_client.v1.payment_intents.capture,
                   stripe_client.v1.payment_intents.cancel,
                   stripe_client.v1.payment_intents.confirm):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            action(pi.id)
        assert caught.value.http_status == 400
        assert caught.value.code == "payment_intent_unexpected_state"
        assert "succeeded" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.update(pi.id, params={"amount": 10})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_over_refund_is_an_invalid_request(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 2001})
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount")
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1})
    assert caught.value.code == "charge_already_refunded"


@pytest.mark.parametrize("authorization", [
    None, "Bearer ", "Bearer sk_test_", "Bearer sk_live_abcdefghijkl", "Bearer pk_test_abcdef",
    "Bearer not-a-key", "Token sk_test_abc", "Basic !!!",
])
def test_bad_credentials_are_401(http, simulator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = http.get(f"{simulator.stripe_url}/v1/payment_intents", headers=headers,
                        timeout=10)
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["type"] == "invalid_request_error"
    assert "sk_live_abcdefghijkl" not in body["message"]  # keys are masked, never echoed


def test_basic_auth_like_curl_u_works(http, simulator, api_key) -> None:
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    response = http.get(f"{simulator.stripe_url}/v1/payment_intents",
                        headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert response.status_code == 200


def test_sdk_maps_a_bad_key_to_authentication_error(simulator) -> None:
    client = stripe.StripeClient("sk_live_nope_nope_nope",
                                 base_addresses={"api": simulator.stripe_url})
    with pytest.raises(stripe.AuthenticationError):
        client.v1.payment_intents.list()


MALFORMED = {
    "json body": (b'{"amount": 2000}', {"Content-Type": "application/json"}, 400),
    "invalid utf-8": (b"amount=%ff%fe&currency=usd", {}, 400),
    "over 1 MiB": (b"a" * (1024 * 1024 + 10), {}, 413),
    "1200 fields": (b"&".join(b"k%d=1" % i for i in range(1200)), {}, 400),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_bodies(http, simulator, api_key, case: str) -> None:
    body, headers, status = MALFORMED[case]
    response = call(http, simulator, api_key, "POST", "/v1/payment_intents", body, headers)
    assert response.status_code == status
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nope"), ("PUT", "/v1/payment_intents"),
                                              ("PATCH", "/v1/refunds/re_1")])
def test_unrouted_requests_answer_in_stripe_shape(http, simulator, api_key, method: str,
                                                  path: str) -> None:
    response = call(http, simulator, api_key, method, path)
    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "starting_after=pi_nope",
                                   "starting_after=a&ending_before=b", "expand[]=customer",
                                   "created[gte]=soon"])
def test_bad_list_parameters(http, simulator, api_key, query: str) -> None:
    response = call(http, simulator, api_key, "GET", f"/v1/payment_intents?{query}")
    assert response.status_code in (400, 404)
    assert response.json()["error"]["type"] == "invalid_request_error"
