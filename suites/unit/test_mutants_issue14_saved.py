"""Saved methods and off-session payments pinned down where mutation testing found them
loose: the request rules' errors (codes, parameters, names, messages), the stored
automatic-payment-methods setting, when a return URL is needed, detached methods, and
3-D Secure cards without the shopper."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import saved
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.errors import InvalidRequest

DECLINE = Behaviour(outcome="decline", decline_code="insufficient_funds")


def test_authentication_required_says_why() -> None:
    assert saved.AUTHENTICATION_REQUIRED.message == (
        "Your card was declined. This transaction requires authentication.")


def test_automatic_methods_next_to_method_types_are_refused() -> None:
    for automatic in ({"enabled": False}, {}):
        with pytest.raises(InvalidRequest) as caught:
            saved.check_create({"automatic_payment_methods": automatic,
                                "payment_method_types": ["card"]})
        assert (caught.value.code, caught.value.param) == (
            "conflicting_parameters", "automatic_payment_methods")
        assert caught.value.message == ("Only one of automatic payment methods and payment "
                                        "method types may be given.")
    saved.check_create({"automatic_payment_methods": {"enabled": True},
                        "payment_method_types": []})
    saved.check_create({"payment_method_types": ["card"], "confirmation_method": "manual"})


def test_automatic_methods_next_to_a_confirmation_method_are_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        saved.check_create({"automatic_payment_methods": {}, "confirmation_method": "manual"})
    assert (caught.value.code, caught.value.param) == (
        "conflicting_parameters", "automatic_payment_methods")
    assert caught.value.context["names"] == ("automatic_payment_methods", "confirmation_method")
    assert caught.value.message == ("Only one of automatic payment methods and a "
                                    "confirmation method may be given.")
    saved.check_create({"automatic_payment_methods": {"enabled": True},
                        "confirmation_method": None})


def test_off_session_without_confirm_is_refused() -> None:
    for confirm in (None, False):
        with pytest.raises(InvalidRequest) as caught:
            saved.check_create({"off_session": "recurring", "confirm": confirm})
        assert (caught.value.code, caught.value.param) == ("invalid_value", "off_session")
        assert caught.value.context["reason"] == "off_session_without_confirm"
        assert caught.value.message == ("off_session may only be used together with "
                                        "confirm=true.")
    saved.check_create({"off_session": False})
    saved.check_create({})


def test_the_stored_automatic_setting() -> None:
    assert saved.automatic({"enabled": True, "allow_redirects": "never"}) == {
        "allow_redirects": "never", "enabled": True}
    assert saved.automatic({}) == {"allow_redirects": None, "enabled": False}
    assert saved.automatic({"enabled": "true"})["enabled"] is True


@pytest.mark.parametrize(("payment", "refused"), [
    ({"automatic_payment_methods": {"enabled": True, "allow_redirects": "always"}}, True),
    ({"automatic_payment_methods": {"enabled": True}}, True),
    ({"automatic_payment_methods": {"enabled": True, "allow_redirects": "always"},
      "return_url": "https://shop.example/back"}, False),
    ({"automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}, False),
    ({"automatic_payment_methods": {"enabled": False, "allow_redirects": "always"}}, False),
    ({"automatic_payment_methods": None}, False),
    ({}, False)])
def test_when_a_return_url_is_needed(payment: dict[str, Any], refused: bool) -> None:
    if not refused:
        saved.check_return_url(payment)
        return
    with pytest.raises(InvalidRequest) as caught:
        saved.check_return_url(payment)
    assert caught.value.code == "invalid_value"
    assert caught.value.context["reason"] == "return_url_required"
    assert caught.value.message == ("A payment whose methods may redirect the shopper needs "
                                    "a return_url to be confirmed.")


def test_a_detached_method_is_never_used_again() -> None:
    saved.check_reusable({"id": "pm_1"})
    saved.check_reusable({"id": "pm_1", "detached": False})
    detached = {"id": "pm_1", "customer": None, "detached": True}
    for check in (saved.check_reusable,
                  lambda m: saved.check_owner({"customer": None}, m)):
        with pytest.raises(InvalidRequest) as caught:
            check(detached)
        assert (caught.value.code, caught.value.param) == ("invalid_value", "payment_method")
        assert caught.value.context == {"id": "pm_1", "reason": "detached"}
        assert caught.value.message == ("The payment method pm_1 was detached from its "
                                        "customer and may not be used again.")


def test_the_owner_errors_say_whose_method_it_is() -> None:
    with pytest.raises(InvalidRequest) as unnamed:
        saved.check_owner({"customer": None}, {"id": "pm_1", "customer": "cus_1"})
    assert unnamed.value.code == "invalid_value"
    assert unnamed.value.context == {"id": "pm_1", "customer": "cus_1",
                                     "reason": "owner_not_named"}
    assert unnamed.value.message == ("The payment method pm_1 belongs to the customer "
                                     "cus_1; name that customer on the payment.")
    with pytest.raises(InvalidRequest) as other:
        saved.check_owner({"customer": "cus_2"}, {"id": "pm_1", "customer": "cus_1"})
    assert other.value.context["reason"] == "not_attached_to_customer"
    assert other.value.context["id"] == "pm_1"


@pytest.mark.parametrize(("behaviour", "set_up", "expected"), [
    (Behaviour(outcome="authenticate_then", then=DECLINE), False,
     saved.AUTHENTICATION_REQUIRED),
    (Behaviour(outcome="authenticate_then", then=DECLINE, off_session="succeed_if_set_up"),
     True, DECLINE),
    (Behaviour(outcome="authenticate", off_session="succeed"), True, Behaviour()),
    (Behaviour(outcome="authenticate", off_session="succeed_if_set_up"), "yes", Behaviour()),
    (DECLINE, True, DECLINE),
], ids=["asks-then-declines", "set-up-then-declines", "never-asks-set-up", "truthy-set-up",
        "declines-set-up"])
def test_more_of_the_off_session_matrix(behaviour: Behaviour, set_up: Any,
                                        expected: Behaviour) -> None:
    method = {"id": "pm_1", "customer": None, "set_up": set_up}
    assert saved.without_shopper(behaviour, method) == expected
