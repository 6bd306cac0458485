"""The core rules of saved cards, without HTTP: what an off-session attempt does with each
kind of card, who may pay with a saved method, and what saving a card meets."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import saved
from paylab.simulator.core.cards import Behaviour, behaviour_doc
from paylab.simulator.core.errors import CardDeclined, InvalidRequest
from paylab.simulator.core.methods import setup_decline

DECLINE = Behaviour(outcome="decline", decline_code="insufficient_funds",
                    message="Your card has insufficient funds.")


def method(*, set_up: bool = False, customer: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "pm_1", "customer": customer}
    if set_up:
        doc["set_up"] = True
    return doc


@pytest.mark.parametrize(("behaviour", "set_up", "expected"), [
    # a card that never asks pays off-session as it would on-session
    (Behaviour(), False, Behaviour()),
    (DECLINE, False, DECLINE),
    # a 3-D Secure card: authentication_required unless its off-session rule says otherwise
    (Behaviour(outcome="authenticate"), False, saved.AUTHENTICATION_REQUIRED),
    (Behaviour(outcome="authenticate"), True, saved.AUTHENTICATION_REQUIRED),
    (Behaviour(outcome="authenticate", off_session="succeed"), False, Behaviour()),
    (Behaviour(outcome="authenticate_then", then=DECLINE, off_session="succeed"), False,
     DECLINE),
    (Behaviour(outcome="authenticate", off_session="succeed_if_set_up"), False,
     saved.AUTHENTICATION_REQUIRED),
    (Behaviour(outcome="authenticate", off_session="succeed_if_set_up"), True, Behaviour()),
], ids=["succeeds", "declines", "asks", "asks-even-set-up", "never-asks-off-session",
        "never-asks-then-declines", "asks-until-set-up", "set-up"])
def test_the_off_session_matrix(behaviour: Behaviour, set_up: bool,
                                expected: Behaviour) -> None:
    assert saved.without_shopper(behaviour, method(set_up=set_up)) == expected


def test_authentication_required_is_a_decline_with_its_own_code() -> None:
    b = saved.AUTHENTICATION_REQUIRED
    assert (b.outcome, b.code, b.decline_code) == (
        "decline", "authentication_required", "authentication_required")


def test_a_saved_method_pays_only_for_its_customer() -> None:
    saved.check_owner({"customer": None}, method())
    saved.check_owner({"customer": "cus_1"}, method())
    saved.check_owner({"customer": "cus_1"}, method(customer="cus_1"))
    with pytest.raises(InvalidRequest) as unnamed:
        saved.check_owner({"customer": None}, method(customer="cus_1"))
    assert (unnamed.value.param, unnamed.value.context["reason"]) == (
        "customer", "owner_not_named")
    with pytest.raises(InvalidRequest) as other:
        saved.check_owner({"customer": "cus_2"}, method(customer="cus_1"))
    assert other.value.param == "payment_method"


@pytest.mark.parametrize(("value", "off"), [
    (None, False), (False, False), ("false", False), (True, True), ("true", True),
    ("one_off", True), ("recurring", True)])
def test_off_session_values(value: Any, off: bool) -> None:
    params = {} if value is None else {"off_session": value}
    assert saved.is_off_session(params) is off


def test_request_rules() -> None:
    with pytest.raises(InvalidRequest) as both:
        saved.check_create({"automatic_payment_methods": {"enabled": True},
                            "payment_method_types": ["card"]})
    assert both.value.context["names"] == ("automatic_payment_methods", "payment_method_types")
    with pytest.raises(InvalidRequest) as unconfirmed:
        saved.check_create({"off_session": True})
    assert unconfirmed.value.param == "off_session"
    saved.check_create({"off_session": "one_off", "confirm": True})
    assert saved.automatic(None) is None
    assert saved.automatic({"enabled": True}) == {"allow_redirects": "always", "enabled": True}
    assert saved.automatic({"enabled": False}) == {"allow_redirects": None, "enabled": False}


@pytest.mark.parametrize(("behaviour", "code", "decline_code"), [
    (Behaviour(), None, None),
    (Behaviour(outcome="authenticate"), None, None),
    (Behaviour(outcome="decline", decline_code="generic_decline"), "declined",
     "generic_decline"),
    (Behaviour(outcome="decline", decline_code="generic_decline", setup="succeed"), None,
     None),
    (Behaviour(outcome="block"), "declined", "fraudulent"),
    (Behaviour(setup="decline"), "declined", "generic_decline"),
], ids=["succeeds", "3ds-saves", "declines", "charge-customer-fail", "blocked",
        "setup-declines"])
def test_what_saving_a_card_meets(behaviour: Behaviour, code: str | None,
                                  decline_code: str | None) -> None:
    decline = setup_decline({"card": {"behaviour": behaviour_doc(behaviour)}})
    if code is None:
        assert decline is None
    else:
        assert isinstance(decline, CardDeclined)
        assert (decline.code, decline.context["decline_code"]) == (code, decline_code)
