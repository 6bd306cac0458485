"""Checkout Sessions through the core's own API: the defaults a session gets, the errors
its parameters can earn, and what expiry leaves behind."""

from __future__ import annotations

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.suites.unit.conftest import TENANT, FakeWall

OK = "https://shop.example/ok"


def test_an_amount_alone_makes_a_usd_payment_session(domain: Domain) -> None:
    session = domain.sessions.create(TENANT, "stripe", {"success_url": OK, "amount": 900})
    assert session["line_items"] == [{"name": "Payment", "description": None, "quantity": 1,
                                      "unit_amount": 900, "currency": "usd"}]
    assert (session["currency"], session["mode"], session["cancel_url"]) == (
        "usd", "payment", None)
    described = domain.sessions.create(TENANT, "stripe", {
        "success_url": OK, "amount": 900, "currency": "JPY", "description": "Tea",
        "cancel_url": "https://shop.example/cart", "mode": "payment"})
    assert [(i["name"], i["currency"]) for i in described["line_items"]] == [("Tea", "jpy")]
    assert described["cancel_url"] == "https://shop.example/cart"


def test_a_currency_must_agree_with_the_line_items(domain: Domain) -> None:
    items = [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 900}}]
    with pytest.raises(InvalidRequest) as caught:
        domain.sessions.create(TENANT, "stripe", {"success_url": OK, "line_items": items,
                                                   "currency": "EUR"})
    assert (caught.value.code, caught.value.param) == ("invalid_value", "currency")
    assert caught.value.message == (
        "currency eur does not match the line items' currency usd.")
    agreed = domain.sessions.create(TENANT, "stripe", {"success_url": OK, "line_items": items,
                                                        "currency": "USD"})
    assert agreed["currency"] == "usd"


@pytest.mark.parametrize("lifetime", [30 * 60 - 1, 24 * 3600 + 1])
def test_expiry_outside_its_range_is_an_integer_error(domain: Domain, wall: FakeWall,
                                                      lifetime: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        domain.sessions.create(TENANT, "stripe", {"success_url": OK, "amount": 900,
                                                   "expires_at": int(wall.now) + lifetime})
    assert (caught.value.code, caught.value.param) == ("out_of_range", "expires_at")
    assert caught.value.context["high"] - caught.value.context["low"] == 24 * 3600 - 30 * 60


@pytest.mark.parametrize("lifetime", [30 * 60, 24 * 3600])
def test_expiry_at_either_end_of_its_range_is_fine(domain: Domain, wall: FakeWall,
                                                   lifetime: int) -> None:
    session = domain.sessions.create(TENANT, "stripe", {
        "success_url": OK, "amount": 900, "expires_at": int(wall.now) + lifetime})
    assert session["expires_at"] == int(wall.now) + lifetime
