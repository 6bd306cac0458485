"""Every published test card and `pm_card_*` token, driven through the official stripe SDK.

Each case creates and confirms a PaymentIntent with the card (by token, or by number in
`payment_method_data`) and checks what Stripe's testing page publishes for it: the status,
the error code and decline code, the charge's outcome (type, risk level), its card facts
(brand, funding, country) and verification checks, and 3-D Secure's `next_action`. The
expectations are written here from the published page, independently of the catalog file.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from paylab.suites.published_cards import SUCCEED_TOKENS

# -- successful payments --------------------------------------------------------------------

#: number -> (brand, funding, country): the cards by brand and by country, by number
SUCCEED_NUMBERS = {
    "4242424242424242": ("visa", "credit", "US"),
    "4000056655665556": ("visa", "debit", "US"),
    "5555555555554444": ("mastercard", "credit", "US"),
    "2223003122003222": ("mastercard", "credit", "US"),
    "5200828282828210": ("mastercard", "debit", "US"),
    "5105105105105100": ("mastercard", "prepaid", "US"),
    "378282246310005": ("amex", "credit", "US"),
    "371449635398431": ("amex", "credit", "US"),
    "6011111111111117": ("discover", "credit", "US"),
    "6011000990139424": ("discover", "credit", "US"),
    "6011981111111113": ("discover", "debit", "US"),
    "3056930009020004": ("diners", "credit", "US"),
    "36227206271667": ("diners", "credit", "US"),
    "6555900000604105": ("discover", "credit", "US"),
    "3566002020360505": ("jcb", "credit", "JP"),
    "6200000000000005": ("unionpay", "credit", "CN"),
    "6200000000000047": ("unionpay", "debit", "CN"),
    "6205500000000000004": ("unionpay", "credit", "CN"),
    "4000002500001001": ("visa", "credit", "FR"),
    "5555552500001001": ("mastercard", "credit", "FR"),
    "4000050360000001": ("visa", "debit", "AU"),
    "5555050360000080": ("mastercard", "debit", "AU"),
    "4000000320000021": ("visa", "credit", "AR"),
    "4000000760000002": ("visa", "credit", "BR"),
    "4000001240000000": ("visa", "credit", "CA"),
    "4000001520000001": ("visa", "credit", "CL"),
    "4000001700000003": ("visa", "credit", "CO"),
    "4000001880000005": ("visa", "credit", "CR"),
    "4000002180000000": ("visa", "credit", "EC"),
    "4000004840008001": ("visa", "credit", "MX"),
    "5062210000000009": ("unknown", "credit", "MX"),
    "4000005910000000": ("visa", "credit", "PA"),
    "4000006000000066": ("visa", "credit", "PY"),
    "4000006040000068": ("visa", "credit", "PE"),
    "4000008580000003": ("visa", "credit", "UY"),
    "4000000400000008": ("visa", "credit", "AT"),
    "4000000560000004": ("visa", "credit", "BE"),
    "4000001000000000": ("visa", "credit", "BG"),
    "4000001120000005": ("visa", "credit", "BY"),
    "4000001960000008": ("visa", "credit", "CY"),
    "4000002030000002": ("visa", "credit", "CZ"),
    "4000002080000001": ("visa", "credit", "DK"),
    "4000002460000001": ("visa", "credit", "FI"),
    "4000002500000003": ("visa", "credit", "FR"),
    "4000002760000016": ("visa", "credit", "DE"),
    "4000003000000030": ("visa", "credit", "GR"),
    "4000003480000005": ("visa", "credit", "HU"),
    "4000003720000005": ("visa", "credit", "IE"),
    "4000003800000008": ("visa", "credit", "IT"),
    "4000004280000005": ("visa", "credit", "LV"),
    "4000004400000000": ("visa", "credit", "LT"),
    "4000004420000006": ("visa", "credit", "LU"),
    "4000004700000007": ("visa", "credit", "MT"),
    "4000005280000002": ("visa", "credit", "NL"),
    "4000005780000007": ("visa", "credit", "NO"),
    "4000006160000005": ("visa", "credit", "PL"),
    "4000006200000007": ("visa", "credit", "PT"),
    "4000006420000001": ("visa", "credit", "RO"),
    "4000006820000007": ("visa", "credit", "SA"),
    "4000007050000006": ("visa", "credit", "SI"),
    "4000007030000001": ("visa", "credit", "SK"),
    "4000007240000007": ("visa", "credit", "ES"),
    "4000007520000008": ("visa", "credit", "SE"),
    "4000007560000009": ("visa", "credit", "CH"),
    "4000008260000000": ("visa", "credit", "GB"),
    "4000058260000005": ("visa", "debit", "GB"),
    "5555558265554449": ("mastercard", "credit", "GB"),
    "4000000360000006": ("visa", "credit", "AU"),
    "4000001560000002": ("visa", "credit", "CN"),
    "4000003440000004": ("visa", "credit", "HK"),
    "4000003560000008": ("visa", "credit", "IN"),
    "4000003920000003": ("visa", "credit", "JP"),
    "3530111333300000": ("jcb", "credit", "JP"),
    "4000004580000002": ("visa", "credit", "MY"),
    "4000005540000008": ("visa", "credit", "NZ"),
    "4000007020000003": ("visa", "credit", "SG"),
    "4000001580000008": ("visa", "credit", "TW"),
    "4000007640000003": ("visa", "credit", "TH"),
    "4000057640000008": ("visa", "debit", "TH"),
    "4000051230000072": ("visa", "debit", "US"),
    "5200828282828897": ("mastercard", "debit", "US"),
    "4000000000000077": ("visa", "credit", "US"),
    "4000003720000278": ("visa", "credit", "IE"),
    "4000000000003055": ("visa", "credit", "US"),
    "4000000000003097": ("visa", "credit", "US"),
    "4000000000001208": ("visa", "credit", "US"),  # captcha cards: a page-only check
    "4000000000003725": ("visa", "credit", "US"),
    "4012888888881881": ("visa", "credit", "US"),  # not listed: Luhn-valid cards succeed
}


def _raw(number: str, cvc: str | None = "123") -> dict[str, Any]:
    card: dict[str, Any] = {"number": number, "exp_month": 12, "exp_year": 2034}
    if cvc is not None:
        card["cvc"] = cvc
    return {"type": "card", "card": card}


def _pay(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True,
        "return_url": "https://shop.example/return", **params})


def _charge_card(client: stripe.StripeClient, charge_id: str) -> Any:
    charge = client.v1.charges.retrieve(charge_id)
    return charge, charge.payment_method_details.card


@pytest.mark.parametrize(("token", "facts"), SUCCEED_TOKENS.items(), ids=list(SUCCEED_TOKENS))
def test_successful_token(stripe_client: stripe.StripeClient, token: str,
                          facts: tuple[str, str, str, str]) -> None:
    pi = _pay(stripe_client, payment_method=token)
    assert pi.status == "succeeded"
    charge, card = _charge_card(stripe_client, pi.latest_charge)
    assert (card.last4, card.brand, card.funding, card.country) == facts
    assert (charge.outcome.type, charge.outcome.network_status) == (
        "authorized", "approved_by_network")
    expected_risk = "elevated" if token == "pm_card_riskLevelElevated" else "normal"
    assert charge.outcome.risk_level == expected_risk


@pytest.mark.parametrize(("number", "facts"), SUCCEED_NUMBERS.items(), ids=list(SUCCEED_NUMBERS))
def test_successful_number(stripe_client: stripe.StripeClient, number: str,
                           facts: tuple[str, str, str]) -> None:
    pi = _pay(stripe_client, payment_method_data=_raw(number, "1234" if number.startswith(
        ("34", "37")) else "123"))
    assert pi.status == "succeeded"
    _, card = _charge_card(stripe_client, pi.latest_charge)
    assert (card.brand, card.funding, card.country, card.last4) == (*facts, number[-4:])


@pytest.mark.parametrize(("token", "display_brand", "networks"), [
    ("pm_card_visa_cartesBancaires", "cartes_bancaires", ["cartes_bancaires", "visa"]),
    ("pm_card_mastercard_debit_eftposAuCoBranded", "eftpos_au", ["eftpos_au", "mastercard"]),
    ("pm_card_visa", "visa", ["visa"]),
])
def test_co_branded_cards_show_both_networks(stripe_client: stripe.StripeClient, token: str,
                                             display_brand: str, networks: list[str]) -> None:
    pm = stripe_client.v1.payment_intents.retrieve(
        _pay(stripe_client, payment_method=token).id,
        params={"expand": ["payment_method"]}).payment_method
    assert (pm.card.display_brand, pm.card.networks.available) == (display_brand, networks)


def test_amex_does_not_support_three_d_secure(stripe_client: stripe.StripeClient) -> None:
    pi = _pay(stripe_client, payment_method="pm_card_amex_threeDSecureNotSupported")
    _, card = _charge_card(stripe_client, pi.latest_charge)
    assert card.three_d_secure_usage.supported is False
    _, visa = _charge_card(stripe_client, _pay(stripe_client,
                                               payment_method="pm_card_visa").latest_charge)
    assert visa.three_d_secure_usage.supported is True


# -- declines ---------------------------------------------------------------------------------
#: (token or number, code, decline_code, outcome type, risk level)
DECLINES = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "issuer_declined",
     "normal"),
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "issuer_declined", "normal"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "issuer_declined", "normal"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", "issuer_declined",
     "normal"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card", "issuer_declined",
     "normal"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "issuer_declined",
     "normal"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "issuer_declined",
     "normal"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error",
     "issuer_declined", "normal"),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined",
     "card_velocity_exceeded", "issuer_declined", "normal"),
    ("4000000000006975", "card_declined", "card_velocity_exceeded", "issuer_declined", "normal"),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "issuer_declined",
     "normal"),
    ("4000000000000341", "card_declined", "generic_decline", "issuer_declined", "normal"),
    ("pm_card_radarBlock", "card_declined", "fraudulent", "blocked", "highest"),
    ("4100000000000019", "card_declined", "fraudulent", "blocked", "highest"),
    ("pm_card_riskLevelHighest", "card_declined", "fraudulent", "blocked", "highest"),
    ("4000000000004954", "card_declined", "fraudulent", "blocked", "highest"),
    ("pm_card_cvcCheckFail", "incorrect_cvc", "incorrect_cvc", "issuer_declined", "normal"),
    ("4000000000000101", "incorrect_cvc", "incorrect_cvc", "issuer_declined", "normal"),
    ("pm_card_cvcCheckFailElevatedRisk", "incorrect_cvc", "incorrect_cvc", "issuer_declined",
     "elevated"),
    ("4000058400307872", "incorrect_cvc", "incorrect_cvc", "issuer_declined", "elevated"),
    ("pm_card_threeDSecureRequiredProcessingError", "card_declined", "generic_decline",
     "issuer_declined", "normal"),
]


@pytest.mark.parametrize(("card", "code", "decline_code", "outcome", "risk"), DECLINES,
                         ids=[d[0] for d in DECLINES])
def test_declined_card(stripe_client: stripe.StripeClient, card: str, code: str,
                       decline_code: str, outcome: str, risk: str) -> None:
    how = {"payment_method": card} if card.startswith("pm_") else {
        "payment_method_data": _raw(card)}
    with pytest.raises(stripe.CardError) as caught:
        _pay(stripe_client, **how)
    error = caught.value
    assert (error.http_status, error.code, error.error.decline_code) == (402, code, decline_code)
    assert error.error.payment_intent.status == "requires_payment_method"
    charge, card_details = _charge_card(stripe_client, error.error.charge)
    assert (charge.status, charge.failure_code) == ("failed", code)
    assert (charge.outcome.type, charge.outcome.risk_level) == (outcome, risk)
    if decline_code == "incorrect_cvc" and card not in ("pm_card_chargeDeclinedIncorrectCvc",):
        assert card_details.checks.cvc_check == "fail"


def test_a_cvc_check_can_only_fail_when_a_cvc_is_given(stripe_client: stripe.StripeClient
                                                       ) -> None:
    pi = _pay(stripe_client, payment_method_data=_raw("4000000000000101", cvc=None))
    assert pi.status == "succeeded"
    _, card = _charge_card(stripe_client, pi.latest_charge)
    assert card.checks.cvc_check is None


# -- verification checks that do not decline --------------------------------------------------
#: token or number -> (line1, postal code, cvc) checks on the charge, and its risk level
CHECKS = {
    "pm_card_avsZipFail": (("pass", "fail", "pass"), "normal"),
    "4000000000000036": (("pass", "fail", "pass"), "normal"),
    "pm_card_avsZipFailElevatedRisk": (("pass", "fail", "pass"), "elevated"),
    "4000058400306072": (("pass", "fail", "pass"), "elevated"),
    "pm_card_avsLine1Fail": (("fail", "pass", "pass"), "normal"),
    "4000000000000028": (("fail", "pass", "pass"), "normal"),
    "pm_card_avsFail": (("fail", "fail", "pass"), "normal"),
    "4000000000000010": (("fail", "fail", "pass"), "normal"),
    "pm_card_avsUnchecked": (("unavailable", "unavailable", "pass"), "normal"),
    "4000000000000044": (("unavailable", "unavailable", "pass"), "normal"),
    "pm_card_visa": ((None, None, "pass"), "normal"),
}


@pytest.mark.parametrize(("card", "expected"), CHECKS.items(), ids=list(CHECKS))
def test_address_checks_are_reported_and_the_payment_succeeds(
        stripe_client: stripe.StripeClient, card: str,
        expected: tuple[tuple[str | None, str | None, str], str]) -> None:
    how = {"payment_method": card} if card.startswith("pm_") else {
        "payment_method_data": _raw(card)}
    pi = _pay(stripe_client, **how)
    assert pi.status == "succeeded"
    charge, details = _charge_card(stripe_client, pi.latest_charge)
    checks = details.checks
    assert ((checks.address_line1_check, checks.address_postal_code_check, checks.cvc_check),
            charge.outcome.risk_level) == expected


# -- 3-D Secure ---------------------------------------------------------------------------------
#: token or number -> (status after a passed challenge, decline code then)
THREE_D_SECURE = {
    "pm_card_threeDSecure2Required": ("succeeded", None),
    "4000000000003220": ("succeeded", None),
    "pm_card_authenticationRequired": ("succeeded", None),
    "4000002760003184": ("succeeded", None),
    "pm_card_authenticationRequiredOnSetup": ("succeeded", None),
    "4000002500003155": ("succeeded", None),
    "pm_card_authenticationRequiredSetupForOffSession": ("succeeded", None),
    "4000003800000446": ("succeeded", None),
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": (
        "requires_payment_method", "insufficient_funds"),
    "4000008260003178": ("requires_payment_method", "insufficient_funds"),
    "pm_card_threeDSecureRequiredChargeDeclined": ("requires_payment_method", "generic_decline"),
    "4000008400001629": ("requires_payment_method", "generic_decline"),
    "pm_card_threeDSecureRequired": ("succeeded", None),
    "4000582600000094": ("succeeded", None),
    "4000582600000045": ("succeeded", None),
    "4000582600000102": ("succeeded", None),
    "4000582600000110": ("succeeded", None),
}


@pytest.mark.parametrize(("card", "after"), THREE_D_SECURE.items(), ids=list(THREE_D_SECURE))
def test_three_d_secure_card(stripe_client: stripe.StripeClient, http: requests.Session,
                             card: str, after: tuple[str, str | None]) -> None:
    how = {"payment_method": card} if card.startswith("pm_") else {
        "payment_method_data": _raw(card)}
    pi = _pay(stripe_client, **how)
    assert (pi.status, pi.next_action.type) == ("requires_action", "redirect_to_url")
    url = pi.next_action.redirect_to_url.url
    done = http.post(url.split("?")[0], allow_redirects=False, timeout=10, data={
        "payment_intent": pi.id, "client_secret": pi.client_secret, "result": "passed"})
    assert done.status_code in (302, 303)
    final = stripe_client.v1.payment_intents.retrieve(pi.id)
    status, decline_code = after
    assert final.status == status
    if decline_code is None:
        assert final.last_payment_error is None
    else:
        assert (final.last_payment_error.code, final.last_payment_error.decline_code) == (
            "card_declined", decline_code)


# -- known cards whose behaviour paylab does not emulate -------------------------------------
#: (token or None, number, what is not emulated)
NOT_EMULATED = [
    ("pm_card_createDispute", "4000000000000259", "disputes"),
    ("pm_card_createDisputeProductNotReceived", "4000000000002685", "disputes"),
    ("pm_card_createDisputeInquiry", "4000000000001976", "disputes"),
    ("pm_card_createIssuerFraudRecord", "4000000000005423", "early fraud warnings"),
    ("pm_card_createMultipleDisputes", "4000000404000079", "disputes"),
    ("pm_card_createCe3EligibleDispute", "4000000404000038", "disputes"),
    ("pm_card_createComplianceDispute", "4000008400000779", "disputes"),
    ("pm_card_pendingRefund", "4000000000007726", "asynchronous refunds"),
    ("pm_card_refundFail", "4000000000005126", "asynchronous refunds"),
    (None, "4001007020000002", "in-person payments"),
    (None, "4000008260000075", "in-person payments"),
    (None, "4001000360000005", "in-person payments"),
    (None, "4000002760000008", "in-person payments"),
]


def _spaced(number: str) -> str:
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize(("token", "number", "feature"), NOT_EMULATED,
                         ids=[n[1] for n in NOT_EMULATED])
def test_known_card_not_emulated_is_a_clear_error_without_side_effects(
        stripe_client: stripe.StripeClient, token: str | None, number: str,
        feature: str) -> None:
    named = f" ({token})" if token else ""
    attempts = [{"payment_method_data": _raw(number)}]
    if token:
        attempts.append({"payment_method": token})
    for how in attempts:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            _pay(stripe_client, **how)
        error = caught.value
        assert (error.http_status, error.code) == (400, "not_emulated")
        assert error.error.message.startswith(
            f"paylab knows the test card {_spaced(number)}{named}: ")
        assert error.error.message.endswith(f"; paylab does not emulate {feature}.")
        assert error.error.param in ("payment_method", "payment_method_data[card][number]",
                                     "number")
    with pytest.raises(stripe.InvalidRequestError) as by_method:
        stripe_client.v1.payment_methods.create(params=_raw(number))
    assert (by_method.value.http_status, by_method.value.code) == (400, "not_emulated")
    assert stripe_client.v1.payment_intents.list().data == []
    assert stripe_client.v1.charges.list().data == []


# -- saving cards and paying off-session ---------------------------------------------------------
#: token -> what an off-session payment with the card saved to a customer does:
#: (status or None, error code, decline code)
OFF_SESSION = {
    "pm_card_visa": ("succeeded", None, None),
    "pm_card_chargeCustomerFail": (None, "card_declined", "generic_decline"),
    "pm_card_authenticationRequired": (None, "authentication_required",
                                       "authentication_required"),
    "pm_card_authenticationRequiredOnSetup": (None, "authentication_required",
                                              "authentication_required"),
    "pm_card_authenticationRequiredSetupForOffSession": ("succeeded", None, None),
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": (
        None, "card_declined", "insufficient_funds"),
    "pm_card_threeDSecure2Required": (None, "authentication_required",
                                      "authentication_required"),
}


def _off_session(client: stripe.StripeClient, customer: str, method: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "customer": customer, "payment_method": method,
        "off_session": True, "confirm": True})


@pytest.mark.parametrize(("token", "expected"), OFF_SESSION.items(), ids=list(OFF_SESSION))
def test_saved_card_paid_off_session(stripe_client: stripe.StripeClient, token: str,
                                     expected: tuple[str | None, str | None, str | None]
                                     ) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "saved@example.com"})
    method = stripe_client.v1.payment_methods.attach(token, params={"customer": customer.id})
    assert method.customer == customer.id
    status, code, decline_code = expected
    if status is not None:
        assert _off_session(stripe_client, customer.id, method.id).status == status
        return
    with pytest.raises(stripe.CardError) as caught:
        _off_session(stripe_client, customer.id, method.id)
    assert (caught.value.code, caught.value.error.decline_code) == (code, decline_code)


@pytest.mark.parametrize("token", ["pm_card_visa_chargeDeclined", "pm_card_radarBlock"])
def test_cards_that_decline_cannot_be_saved(stripe_client: stripe.StripeClient,
                                            token: str) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "saved@example.com"})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_methods.attach(token, params={"customer": customer.id})
    assert caught.value.code == "card_declined"


def test_a_card_set_up_once_pays_off_session_without_authentication(
        stripe_client: stripe.StripeClient, http: requests.Session) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "setup@example.com"})
    setup = stripe_client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
        "confirm": True, "usage": "off_session", "return_url": "https://shop.example/return"})
    assert (setup.status, setup.next_action.type) == ("requires_action", "redirect_to_url")
    url = setup.next_action.redirect_to_url.url
    http.post(url.split("?")[0], allow_redirects=False, timeout=10, data={
        "setup_intent": setup.id, "client_secret": setup.client_secret, "result": "passed"})
    setup = stripe_client.v1.setup_intents.retrieve(setup.id)
    assert setup.status == "succeeded"
    assert _off_session(stripe_client, customer.id, setup.payment_method).status == "succeeded"
    on_session = _pay(stripe_client, customer=customer.id, payment_method=setup.payment_method)
    assert on_session.status == "requires_action"  # on-session it always asks


def test_a_card_not_emulated_cannot_be_saved(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "saved@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_methods.attach("pm_card_createDispute",
                                                params={"customer": customer.id})
    assert (caught.value.http_status, caught.value.code, caught.value.error.param) == (
        400, "not_emulated", "payment_method")
