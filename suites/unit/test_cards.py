"""Card validation and the published test-card catalog."""

import datetime as dt

import pytest
from paylab.simulator.core import cards
from paylab.simulator.core.errors import CardDeclined, InvalidRequest
from paylab.suites.published_cards import SUCCEED_TOKENS

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005"])
def test_luhn_accepts_published_numbers(number: str) -> None:
    assert cards.luhn_valid(number)


def test_luhn_rejects_a_changed_digit() -> None:
    assert not cards.luhn_valid("4242424242424241")


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"), ("378282246310005", "amex"),
    ("3566002020360505", "jcb"), ("6011111111111117", "discover"),
])
def test_brand_from_leading_digits(number: str, brand: str) -> None:
    assert cards.brand_of(number) == brand


@pytest.mark.parametrize(("kwargs", "code", "param"), [
    ({"number": "4242424242424241"}, "incorrect_number", "number"),
    ({"number": "42"}, "incorrect_number", "number"),
    ({"exp_month": 13}, "invalid_expiry_month", "exp_month"),
    ({"exp_year": 2020}, "invalid_expiry_year", "exp_year"),
    ({"exp_month": 10, "exp_year": 2026}, "invalid_expiry_year", "exp_year"),
    ({"cvc": "12"}, "invalid_cvc", "cvc"),
])
def test_bad_cards_are_declined_with_stripes_codes(kwargs: dict, code: str, param: str) -> None:
    fields = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    fields.update(kwargs)
    with pytest.raises(CardDeclined) as caught:
        cards.validate_card(fields["number"], fields["exp_month"], fields["exp_year"],
                            fields["cvc"], today=TODAY)
    assert (caught.value.code, caught.value.param) == (code, param)


def test_two_digit_year_and_current_month_are_accepted() -> None:
    card = cards.validate_card("4242 4242 4242 4242", "11", "26", "123", today=TODAY)
    assert (card.exp_month, card.exp_year, card.last4) == (11, 2026, "4242")


def test_stage_cards_of_taiwanese_rails_are_accepted_though_off_luhn() -> None:
    card = cards.validate_card("4311952222222222", 12, 2030, "222", today=TODAY)
    assert card.behaviour.outcome == "succeed"


@pytest.mark.parametrize(("token", "outcome", "decline_code"), [
    ("pm_card_visa", "succeed", None),
    ("pm_card_chargeDeclined", "decline", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "decline", "insufficient_funds"),
    ("pm_card_chargeDeclinedFraudulent", "block", None),
    ("pm_card_threeDSecure2Required", "authenticate", None),
])
def test_tokens_map_to_their_published_outcome(token: str, outcome: str,
                                               decline_code: str | None) -> None:
    card = cards.card_for_token(token, today=TODAY)
    assert (card.behaviour.outcome, card.behaviour.decline_code) == (outcome, decline_code)


def test_unknown_token_is_a_missing_resource() -> None:
    with pytest.raises(InvalidRequest) as caught:
        cards.card_for_token("pm_card_nonsense", today=TODAY)
    assert caught.value.code == "not_found"
    assert caught.value.context["id"] == "pm_card_nonsense"


def test_every_catalog_entry_is_consistent() -> None:
    catalog = cards.catalog()
    for number, entry in catalog.by_number.items():
        assert number.isdigit()
        assert entry["outcome"] in ("succeed", "decline", "authenticate", "authenticate_then",
                                    "block"), number
        if entry["outcome"] == "decline":
            assert entry.get("decline_code") and entry.get("message"), number
        if entry["outcome"] == "authenticate_then":
            assert entry["then"]["outcome"] in ("succeed", "decline"), number
    for token, number in catalog.by_token.items():
        assert token.startswith("pm_card_"), token
        assert token in catalog.by_number[number]["tokens"], token


# -- the whole published catalog ------------------------------------------------------------
#: Listed numbers that are not Luhn-valid: the Taiwanese rails' stage cards only.
OFF_LUHN = {"4311952222222222", "4000221111111111", "4003551111111111"}


def test_every_published_number_passes_luhn() -> None:
    failing = {n for n in cards.catalog().by_number if not cards.luhn_valid(n)}
    assert failing == OFF_LUHN


def test_a_token_naming_two_cards_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ('cards:\n  "4242424242424242": {tokens: [pm_card_x]}\n'
            '  "5555555555554444": {tokens: [pm_card_x]}\ndefault: {outcome: succeed}\n')

    class _File:
        def joinpath(self, _name: str) -> "_File":
            return self

        def read_text(self, _encoding: str) -> str:
            return text

    monkeypatch.setattr(cards.resources, "files", lambda _package: _File())
    cards.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="pm_card_x names two cards"):
            cards.catalog()
    finally:
        monkeypatch.undo()
        cards.catalog.cache_clear()




@pytest.mark.parametrize(("token", "facts"), SUCCEED_TOKENS.items(), ids=list(SUCCEED_TOKENS))
def test_tokens_carry_the_published_card(token: str, facts: tuple[str, str, str, str]) -> None:
    card = cards.card_for_token(token, today=TODAY)
    assert (card.last4, card.brand, card.funding, card.country) == facts


#: Every card whose behaviour paylab refuses to pretend: (number, token, feature).
NOT_EMULATED = [
    ("4000000000000259", "pm_card_createDispute", "disputes"),
    ("4000000000002685", "pm_card_createDisputeProductNotReceived", "disputes"),
    ("4000000000001976", "pm_card_createDisputeInquiry", "disputes"),
    ("4000000000005423", "pm_card_createIssuerFraudRecord", "early fraud warnings"),
    ("4000000404000079", "pm_card_createMultipleDisputes", "disputes"),
    ("4000000404000038", "pm_card_createCe3EligibleDispute", "disputes"),
    ("4000008400000779", "pm_card_createComplianceDispute", "disputes"),
    ("4000000000007726", "pm_card_pendingRefund", "asynchronous refunds"),
    ("4000000000005126", "pm_card_refundFail", "asynchronous refunds"),
    ("4001007020000002", None, "in-person payments"),
    ("4000008260000075", None, "in-person payments"),
    ("4001000360000005", None, "in-person payments"),
    ("4000002760000008", None, "in-person payments"),
]


@pytest.mark.parametrize(("number", "token", "feature"), NOT_EMULATED,
                         ids=[n[0] for n in NOT_EMULATED])
def test_cards_not_emulated_are_refused_by_number_and_token(number: str, token: str | None,
                                                            feature: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        cards.validate_card(number, 12, 2030, "123", today=TODAY)
    error = caught.value
    assert (error.code, error.param, error.context["feature"]) == (
        "not_emulated", "number", feature)
    assert error.context["card"] == cards.spaced(number) and error.context["token"] == token
    if token is not None:
        with pytest.raises(InvalidRequest) as by_token:
            cards.card_for_token(token, today=TODAY)
        assert (by_token.value.code, by_token.value.param) == ("not_emulated", "payment_method")


def test_every_not_emulated_entry_is_in_the_list_above() -> None:
    listed = {n for n, e in cards.catalog().by_number.items() if e.get("not_emulated")}
    assert listed == {n for n, _, _ in NOT_EMULATED}


def test_spaced_numbers_read_as_printed() -> None:
    assert cards.spaced("4000000000000259") == "4000 0000 0000 0259"
    assert cards.spaced("378282246310005") == "3782 822463 10005"


def test_a_failed_cvc_check_declines_only_when_a_cvc_is_given() -> None:
    with_cvc = cards.validate_card("4000000000000101", 12, 2030, "123", today=TODAY)
    assert (with_cvc.behaviour.outcome, with_cvc.behaviour.code,
            with_cvc.behaviour.decline_code) == ("decline", "incorrect_cvc", "incorrect_cvc")
    assert with_cvc.as_doc()["checks"]["cvc_check"] == "fail"
    without = cards.validate_card("4000000000000101", 12, 2030, None, today=TODAY)
    assert without.behaviour.outcome == "succeed"
    assert without.as_doc()["checks"]["cvc_check"] is None
    token = cards.card_for_token("pm_card_cvcCheckFailElevatedRisk", today=TODAY)
    assert (token.behaviour.outcome, token.behaviour.risk_level) == ("decline", "elevated")


@pytest.mark.parametrize(("token", "checks"), [
    ("pm_card_avsZipFail", ("pass", "fail", "pass")),
    ("pm_card_avsLine1Fail", ("fail", "pass", "pass")),
    ("pm_card_avsFail", ("fail", "fail", "pass")),
    ("pm_card_avsUnchecked", ("unavailable", "unavailable", "pass")),
    ("pm_card_avsZipFailElevatedRisk", ("pass", "fail", "pass")),
])
def test_address_checks_are_reported_and_the_payment_succeeds(
        token: str, checks: tuple[str, str, str]) -> None:
    card = cards.card_for_token(token, today=TODAY)
    got = card.as_doc()["checks"]
    assert (got["address_line1_check"], got["address_postal_code_check"],
            got["cvc_check"]) == checks
    assert card.behaviour.outcome == "succeed"


@pytest.mark.parametrize(("token", "outcome", "setup", "off_session"), [
    ("pm_card_chargeCustomerFail", "decline", "succeed", None),
    ("pm_card_authenticationRequiredOnSetup", "authenticate", "authenticate",
     "succeed_if_set_up"),
    ("pm_card_authenticationRequired", "authenticate", "authenticate", None),
    ("pm_card_authenticationRequiredSetupForOffSession", "authenticate", "authenticate",
     "succeed"),
    ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "authenticate_then",
     "authenticate", "succeed"),
    ("pm_card_visa_chargeDeclined", "decline", None, None),
    ("pm_card_threeDSecure2Required", "authenticate", None, None),
])
def test_setup_and_off_session_behaviour(token: str, outcome: str, setup: str | None,
                                         off_session: str | None) -> None:
    b = cards.card_for_token(token, today=TODAY).behaviour
    assert (b.outcome, b.setup, b.off_session) == (outcome, setup, off_session)


def test_insufficient_funds_after_authentication() -> None:
    b = cards.card_for_token("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
                             today=TODAY).behaviour
    assert b.then is not None and (b.then.outcome, b.then.decline_code) == (
        "decline", "insufficient_funds")


@pytest.mark.parametrize("token", ["pm_card_bypassPending", "pm_card_bypassPendingInternational"])
def test_bypass_pending_cards_are_available_immediately(token: str) -> None:
    assert cards.card_for_token(token, today=TODAY).as_doc()["available_immediately"] is True


def test_a_plain_card_stores_only_the_basic_facts() -> None:
    doc = cards.card_for_token("pm_card_visa", today=TODAY).as_doc()
    assert set(doc) == {"brand", "last4", "exp_month", "exp_year", "funding", "country",
                        "fingerprint", "bin", "behaviour"}


def test_amex_does_not_support_three_d_secure() -> None:
    doc = cards.card_for_token("pm_card_amex_threeDSecureNotSupported", today=TODAY).as_doc()
    assert doc["three_d_secure_supported"] is False and doc["last4"] == "0005"


def test_an_unlisted_luhn_valid_card_succeeds_as_a_us_credit_card() -> None:
    card = cards.validate_card("4012888888881881", 12, 2030, "123", today=TODAY)
    assert (card.behaviour.outcome, card.funding, card.country) == ("succeed", "credit", "US")
    assert card.as_doc().keys() == cards.card_for_token("pm_card_visa", today=TODAY).as_doc().keys()


@pytest.mark.parametrize(("token", "decline_code", "code"), [
    ("pm_card_visa_chargeDeclined", "generic_decline", "declined"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds", "declined"),
    ("pm_card_visa_chargeDeclinedLostCard", "lost_card", "declined"),
    ("pm_card_visa_chargeDeclinedStolenCard", "stolen_card", "declined"),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_velocity_exceeded", "declined"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_threeDSecureRequiredProcessingError", "generic_decline", "declined"),
])
def test_decline_tokens(token: str, decline_code: str, code: str) -> None:
    b = cards.card_for_token(token, today=TODAY).behaviour
    assert (b.outcome, b.decline_code, b.code) == ("decline", decline_code, code)


def test_refuse_not_emulated_is_callable_before_anything_is_created() -> None:
    cards.refuse_not_emulated("4242 4242 4242 4242")  # an emulated card passes
    cards.refuse_not_emulated("not a number")
    with pytest.raises(InvalidRequest) as caught:
        cards.refuse_not_emulated("4000 0000 0000 0259")
    assert (caught.value.code, caught.value.context["token"]) == (
        "not_emulated", "pm_card_createDispute")
