"""Stripe's wire conventions and webhook rendering without a server: API keys, the error
envelope, contract violations phrased as Stripe phrases them, and forged deliveries."""

from __future__ import annotations

import base64
import json
import time

import pytest
import stripe
from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CardDeclined, CoreError, InvalidRequest, Unauthenticated
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe import wire
from paylab.simulator.gateways.stripe.notify import WRONG_SECRET, StripeNotifier
from paylab.simulator.gateways.stripe.render import Renderer
from paylab.simulator.webhooks.signing import stripe_signature_header

KEY = "sk_test_wire_unit_1234"


def test_a_tenant_is_a_digest_of_the_key() -> None:
    tenant = wire.tenant_for_key(KEY)
    assert tenant.startswith("acct_") and len(tenant) == 5 + 16
    assert tenant == wire.tenant_for_key(KEY) != wire.tenant_for_key(KEY + "x")
    assert KEY not in tenant


@pytest.mark.parametrize(("key", "masked"), [
    ("sk_test_abcdefgh1234", "sk_test_****1234"), ("rk_test_abcdefgh9876", "rk_test_****9876"),
    ("pk_live_abcdefgh5555", "pk_live_****5555"), ("xx_test_abcdefgh1234", "****1234"),
    ("sk_test_abcd", "****"), ("sk_test_abcde", "sk_test_****bcde"),
])
def test_keys_are_masked_as_stripe_shows_them(key: str, masked: str) -> None:
    assert wire.mask_key(key) == masked


@pytest.mark.parametrize(("header", "key"), [
    (f"Bearer {KEY}", KEY), (f"bearer   {KEY}  ", KEY), (f"  BEARER {KEY}", KEY),
    ("Basic " + base64.b64encode(f"{KEY}:".encode()).decode(), KEY),
    ("basic " + base64.b64encode(f"{KEY}:ignored".encode()).decode(), KEY),
])
def test_bearer_and_basic_credentials_carry_the_key(header: str, key: str) -> None:
    assert wire.api_key_from(header) == key


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer   ", "Basic", "Basic !!notbase64", "Basic " + base64.b64encode(
        b":password").decode(), "Basic " + base64.b64encode(b"\xff\xfe:").decode(),
    "Digest abc", KEY,
])
def test_other_authorization_headers_are_invalid(header: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        wire.api_key_from(header)
    assert caught.value.code == "api_key_invalid"


@pytest.mark.parametrize("header", [None, ""])
def test_no_authorization_is_a_missing_key(header: str | None) -> None:
    with pytest.raises(Unauthenticated) as caught:
        wire.api_key_from(header)
    assert caught.value.code == "api_key_missing"


@pytest.mark.parametrize(("key", "code"), [
    ("sk_live_abcdefgh", "api_key_live_mode"), ("rk_live_abcdefgh", "api_key_live_mode"),
    ("pk_test_abcdefgh", "secret_key_required"), ("pk_live_abcdefgh", "secret_key_required"),
    ("sk_test_", "api_key_invalid"), ("sk_test_" + "a" * 248, "api_key_invalid"),
    ("sk_test_has-dash", "api_key_invalid"), ("sk_prod_abcdefgh", "api_key_invalid"),
    ("xsk_test_abcdefgh", "api_key_invalid"),
])
def test_only_test_mode_secret_keys_authenticate(key: str, code: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        wire.authenticate(f"Bearer {key}")
    assert caught.value.code == code


def test_a_key_with_a_trailing_newline_is_refused() -> None:
    header = "Basic " + base64.b64encode(b"sk_test_abc\n:").decode()
    with pytest.raises(Unauthenticated):
        wire.authenticate(header)


@pytest.mark.parametrize("key", ["sk_test_a", "rk_test_restricted_1", "sk_test_" + "a" * 247])
def test_restricted_and_long_test_keys_are_accepted(key: str) -> None:
    assert wire.authenticate(f"Bearer {key}") == wire.tenant_for_key(key)


def test_a_revoked_key_is_expired() -> None:
    revoked = {wire.tenant_for_key(KEY)}
    with pytest.raises(Unauthenticated) as caught:
        wire.authenticate(f"Bearer {KEY}", revoked)
    assert caught.value.code == "api_key_expired"
    assert caught.value.message == "Expired API Key provided: sk_test_****1234"
    assert wire.authenticate("Bearer sk_test_other_1", revoked)


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(Objects(Store(":memory:")), "http://sim.example/")


@pytest.mark.parametrize(("error", "status", "error_type"), [
    (InvalidRequest("c", "m"), 400, "invalid_request_error"),
    (CoreError("c", "m"), 400, "invalid_request_error"),
    (Unauthenticated("c", "m"), 401, "invalid_request_error"),
    (CardDeclined("c", "m"), 402, "card_error"),
])
def test_core_errors_map_to_status_and_type(renderer: Renderer, error: CoreError, status: int,
                                            error_type: str) -> None:
    got_status, body = wire.error_body(error, renderer)
    assert got_status == status
    assert body == {"error": {"type": error_type, "code": "c", "message": "m",
                              "doc_url": "https://stripe.com/docs/error-codes/c"}}


def test_error_context_adds_decline_charge_and_objects(renderer: Renderer) -> None:
    method = {"id": "pm_1", "card": {"brand": "visa", "country": "US", "exp_month": 1,
                                     "exp_year": 2040, "fingerprint": "f", "funding": "credit",
                                     "last4": "0002"}, "created": 1, "metadata": {}}
    error = CardDeclined("card_declined", "Your card was declined.", param=("card", "number"),
                         decline_code="generic_decline", charge="ch_1", method=method)
    _, body = wire.error_body(error, renderer)
    assert body["error"]["param"] == "card[number]"
    assert (body["error"]["decline_code"], body["error"]["charge"]) == ("generic_decline",
                                                                       "ch_1")
    assert body["error"]["payment_method"]["id"] == "pm_1"
    assert "payment_intent" not in body["error"]
    _, bare = wire.error_body(CardDeclined("card_declined", "m", decline_code=None,
                                           charge=None), renderer)
    assert set(bare["error"]) == {"type", "code", "message", "doc_url"}


@pytest.mark.parametrize(("status", "error_type", "code"), [
    (429, "invalid_request_error", "rate_limit"), (500, "api_error", "api_error"),
    (502, "api_error", "bad_gateway"), (503, "api_error", "service_unavailable"),
    (504, "api_error", "gateway_timeout"),
])
def test_injected_errors_take_a_message_or_the_default(status: int, error_type: str,
                                                       code: str) -> None:
    default = wire.injected_error(status)["error"]
    assert (default["type"], default["code"]) == (error_type, code) and default["message"]
    assert wire.injected_error(status, "custom") == {"error": {
        "type": error_type, "code": code, "message": "custom"}}


@pytest.mark.parametrize(("problem", "code", "message", "param"), [
    (Problem(("amount",), "required", "x"), "parameter_missing",
     "Missing required param: amount.", "amount"),
    (Problem(("card", "cvv"), "additionalProperties", "x"), "parameter_unknown",
     "Received unknown parameter: card[cvv]", "card[cvv]"),
    (Problem(("amount",), "type", "x", "integer", "12abc"), "parameter_invalid_integer",
     "Invalid integer: 12abc", "amount"),
    (Problem(("confirm",), "type", "x", ["boolean", "null"], "maybe"),
     "parameter_invalid_boolean", "Invalid boolean: maybe", "confirm"),
    (Problem(("metadata",), "type", "x", "object", "s"), "parameter_invalid_hash",
     "Invalid hash: s", "metadata"),
    (Problem(("expand",), "type", "x", "array", 5), "parameter_invalid_array",
     "Invalid array: 5", "expand"),
    (Problem(("a",), "type", "x", "string", 5), "parameter_invalid_string", "Invalid string: 5",
     "a"),
    (Problem(("a",), "type", "x", "number", "n"), "parameter_invalid_number", "Invalid number: n",
     "a"),
    (Problem(("a",), "type", "x", "null", "n"), "parameter_invalid_null", "Invalid null: n",
     "a"),
    (Problem(("capture_method",), "enum", "x", ["automatic", "manual"], "soon"),
     "parameter_invalid_string", "Invalid capture_method: must be one of automatic, manual",
     "capture_method"),
    (Problem(("mode",), "const", "x", "payment", "setup"), "parameter_invalid_string",
     "Invalid mode: must be one of payment", "mode"),
    (Problem(("amount",), "minimum", "x", 1, 0), "parameter_invalid_integer",
     "This value must be greater than or equal to 1.", "amount"),
    (Problem(("amount",), "maximum", "x", 99, 100), "parameter_invalid_integer",
     "This value must be less than or equal to 99.", "amount"),
    (Problem(("description",), "maxLength", "x", 3, "abcd"), "parameter_invalid_string_length",
     "Invalid string: abcd; must be at most 3 characters", "description"),
    (Problem(("description",), "minLength", "x", 2, "a"), "parameter_invalid_string_length",
     "Invalid string: a; must be at least 2 characters", "description"),
    (Problem(("line_items",), "maxItems", "x", 100, []), "parameter_invalid_array",
     "Invalid line_items: maxItems is 100", "line_items"),
    (Problem(("line_items",), "minItems", "x", 1, []), "parameter_invalid_array",
     "Invalid line_items: minItems is 1", "line_items"),
    (Problem(("metadata",), "maxProperties", "x", 50, {}), "parameter_invalid_array",
     "Invalid metadata: maxProperties is 50", "metadata"),
    (Problem(("currency",), "pattern", "x", "^[a-z]{3}$", "US"), "parameter_invalid",
     "Invalid currency: US", "currency"),
    (Problem((), "type", "x", "object", []), "parameter_invalid_hash", "Invalid hash: []",
     None),
])
def test_contract_violations_read_like_stripe(problem: Problem, code: str, message: str,
                                              param: str | None) -> None:
    error = wire.violation(problem)
    assert (error.code, error.message) == (code, message)
    from paylab.simulator.gateways.stripe.form import param_name

    assert param_name(error.param) == param


def test_violations_keep_their_prefix_and_shorten_long_values() -> None:
    error = wire.violation(Problem(("number",), "type", "x", "string", "9" * 100),
                           prefix=("payment_method_data", "card"))
    assert error.param == ("payment_method_data", "card", "number")
    assert error.message == "Invalid string: " + "9" * 77 + "..."
    exact = wire.violation(Problem(("n",), "type", "x", "string", "9" * 80))
    assert exact.message == "Invalid string: " + "9" * 80
    over = wire.violation(Problem(("n",), "type", "x", "string", "9" * 81))
    assert over.message == "Invalid string: " + "9" * 77 + "..."
    missing = wire.violation(Problem((), "required", "x"))
    assert missing.message == "Missing required param: request."


# -- webhook rendering and forging ------------------------------------------------------------
EVENT = {"id": "evt_1", "type": "payment.created", "created": 1_700_000_000,
         "object_kind": "refund", "previous_attributes": None,
         "request": {"id": None, "idempotency_key": None},
         "object": {"id": "re_1", "amount": 2000, "charge": "ch_1", "created": 1,
                    "currency": "usd", "metadata": {}, "payment": "pi_1",
                    "reason": None, "status": "succeeded"}}
ENDPOINT = {"id": "we_1", "secret": "whsec_notify_unit", "api_version": None}


def test_a_rendered_delivery_is_pretty_json_signed_for_the_endpoint(renderer: Renderer) -> None:
    now = int(time.time())
    body, headers = StripeNotifier(renderer).render(EVENT, ENDPOINT, now)
    assert body.startswith(b'{\n  "id": "evt_1"')
    assert headers == {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": stripe_signature_header("whsec_notify_unit", now, body)}
    event = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"],
                                           "whsec_notify_unit")
    assert event["data"]["object"]["amount"] == 2000
    _, bad = StripeNotifier(renderer).render(EVENT, ENDPOINT, now, bad_signature=True)
    assert bad["Stripe-Signature"] == stripe_signature_header(WRONG_SECRET, now, body)


@pytest.mark.parametrize(("attack", "stamp_offset"), [
    ("stale", -3600), ("future", 3600), ("tampered", 0), ("wrong_secret", 0),
])
def test_forged_deliveries_carry_exactly_one_attack(renderer: Renderer, attack: str,
                                                    stamp_offset: int) -> None:
    notifier = StripeNotifier(renderer)
    now = int(time.time())
    genuine, _ = notifier.render(EVENT, ENDPOINT, now)
    body, headers = notifier.forge(attack, EVENT, ENDPOINT, now, signed_at=None)
    stamp = int(headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
    assert stamp == now + stamp_offset
    if attack == "tampered":
        assert json.loads(body)["data"]["object"]["amount"] == 1
        assert body.replace(b'"amount": 1,', b'"amount": 2000,') == genuine
    else:
        assert body == genuine
    secret = WRONG_SECRET if attack == "wrong_secret" else "whsec_notify_unit"
    signed_body = genuine if attack == "tampered" else body
    assert headers["Stripe-Signature"] == stripe_signature_header(secret, stamp, signed_body)


def test_a_replay_resends_the_last_signature_and_other_attacks_strip_it(
        renderer: Renderer) -> None:
    notifier = StripeNotifier(renderer)
    now = int(time.time())
    _, headers = notifier.forge("replay", EVENT, ENDPOINT, now, signed_at=now - 50)
    assert headers["Stripe-Signature"].startswith(f"t={now - 50},v1=")
    _, unsigned = notifier.forge("replay", EVENT, ENDPOINT, now, signed_at=None)
    assert unsigned["Stripe-Signature"].startswith(f"t={now},v1=")
    _, downgraded = notifier.forge("v0_only", EVENT, ENDPOINT, now, signed_at=None)
    assert downgraded["Stripe-Signature"].startswith(f"t={now},v0=")
    assert "v1=" not in downgraded["Stripe-Signature"]
    _, missing = notifier.forge("missing_signature", EVENT, ENDPOINT, now, signed_at=None)
    assert "Stripe-Signature" not in missing and missing["User-Agent"].startswith("Stripe/")


def test_a_tampered_session_changes_its_total(renderer: Renderer) -> None:
    session = {"id": "cs_1", "amount_subtotal": 1800, "amount_total": 1800, "cancel_url": None,
               "client_reference_id": None, "created": 1, "currency": "usd",
               "customer_details": None, "customer_email": None, "expires_at": 2,
               "metadata": {}, "mode": "payment", "payment": None,
               "payment_status": "paid", "status": "complete", "success_url": "https://x/"}
    event = {**EVENT, "object_kind": "checkout_session", "object": session}
    body, _ = StripeNotifier(renderer).forge("tampered", event, ENDPOINT, 1, signed_at=None)
    changed = json.loads(body)["data"]["object"]
    assert (changed["amount_subtotal"], changed["amount_total"]) == (1800, 1)
