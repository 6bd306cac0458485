"""Orders paid from a device wallet's sheet (Apple Pay, Google Pay): a card payment whose
method is the wallet's name, offered only when the order offers that wallet, and then
captured, voided and refunded like a card."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import kpis
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest
from paylab.simulator.core.orders import DailyClose
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT

VISA = "4242424242424242"


def _order(domain: Domain, methods: list[str], no: str = "W1") -> dict[str, Any]:
    return domain.orders.create(TENANT, "g", merchant_order_no=no, amount=800,
                                currency="TWD", methods=methods, description="d")


@pytest.mark.parametrize("wallet", ["apple_pay", "google_pay"])
def test_a_wallet_card_pays_under_the_wallets_name(domain: Domain, wallet: str) -> None:
    oid = _order(domain, ["card", wallet])["id"]
    doc = domain.orders.pay_by_card(TENANT, oid, VISA, wallet=wallet)
    assert (doc["status"], doc["method"], doc["captured_amount"]) == ("paid", wallet, 800)
    assert doc["card"]["wallet"] == wallet
    assert (doc["card"]["last4"], doc["card"]["brand"]) == ("4242", "visa")
    assert "behaviour" not in doc["card"]
    assert domain.orders.get(TENANT, oid)["card"]["wallet"] == wallet  # stored, not only returned


def test_a_plain_card_records_no_wallet(domain: Domain) -> None:
    oid = _order(domain, ["card", "apple_pay"])["id"]
    doc = domain.orders.pay_by_card(TENANT, oid, VISA)
    assert doc["method"] == "card" and "wallet" not in doc["card"]


@pytest.mark.parametrize(("offered", "wallet", "message"), [
    (["card"], "apple_pay", "apple_pay is not offered for this order."),
    (["card", "apple_pay"], "google_pay", "google_pay is not offered for this order."),
    (["apple_pay"], None, "Cards are not offered for this order."),
])
def test_a_wallet_the_order_does_not_offer_is_refused_without_a_change(
        domain: Domain, offered: list[str], wallet: str | None, message: str) -> None:
    oid = _order(domain, offered)["id"]
    with pytest.raises(InvalidRequest) as err:
        domain.orders.pay_by_card(TENANT, oid, VISA, wallet=wallet)
    assert (err.value.code, err.value.message) == ("method_not_offered", message)
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["method"], doc["card"]) == ("created", None, None)


def test_an_unknown_wallet_is_refused(domain: Domain) -> None:
    oid = _order(domain, ["card", "apple_pay"])["id"]
    with pytest.raises(InvalidRequest) as err:
        domain.orders.pay_by_card(TENANT, oid, VISA, wallet="samsung_pay")
    assert err.value.code == "method_invalid"
    assert domain.orders.get(TENANT, oid)["status"] == "created"


def test_a_wallet_card_is_captured_voided_and_refunded_like_a_card(domain: Domain) -> None:
    first = _order(domain, ["apple_pay"], "W1")["id"]
    domain.orders.pay_by_card(TENANT, first, VISA, wallet="apple_pay", capture=False)
    captured = domain.orders.capture(TENANT, first, 800)
    assert (captured["status"], captured["captured_amount"]) == ("paid", 800)
    refunded = domain.orders.refund(TENANT, first, 300)
    assert refunded["refunded_amount"] == 300
    second = _order(domain, ["google_pay"], "W2")["id"]
    domain.orders.pay_by_card(TENANT, second, VISA, wallet="google_pay", capture=False)
    assert domain.orders.void(TENANT, second)["status"] == "canceled"


def test_a_wallets_declining_card_fails_the_order_under_the_wallet(domain: Domain) -> None:
    oid = _order(domain, ["google_pay"])["id"]
    with pytest.raises(CardDeclined):
        domain.orders.pay_by_card(TENANT, oid, "4000000000000002", wallet="google_pay")
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["method"], doc["card"]["wallet"]) == (
        "failed", "google_pay", "google_pay")


def test_the_figures_count_wallet_orders_under_their_names(domain: Domain) -> None:
    for no, wallet in (("A1", "apple_pay"), ("G1", "google_pay")):
        oid = _order(domain, ["card", wallet], no)["id"]
        domain.orders.pay_by_card(TENANT, oid, VISA, wallet=wallet)
    rows = {r["method"]: r for r in kpis.gateway_methods(domain.store, TENANT)}
    assert {"apple_pay", "google_pay"} <= set(rows)
    assert rows["apple_pay"]["gateway"] == rows["google_pay"]["gateway"] == "g"


@pytest.mark.parametrize("wallet", [{"type": "samsung_pay"}, "apple_pay", {"dynamic_last4": "1"}])
def test_a_card_with_an_unknown_wallet_is_refused_and_nothing_stored(
        domain: Domain, wallet: object) -> None:
    before = domain.objects.page(TENANT, "payment_method")[0]
    with pytest.raises(InvalidRequest) as err:
        domain.methods.create_card(TENANT, {"number": VISA, "exp_month": 12,
                                            "exp_year": 2040, "wallet": wallet})
    assert err.value.param == ("card", "wallet")
    assert domain.objects.page(TENANT, "payment_method")[0] == before


def test_a_wallet_token_stores_its_wallet_and_a_plain_token_none(domain: Domain) -> None:
    wallet = domain.methods.resolve(TENANT, "pm_card_visa_googlepay")
    assert wallet["card"]["wallet"] == {"type": "google_pay", "dynamic_last4": "1881"}
    assert wallet["card"]["last4"] == "4242"
    assert "wallet" not in domain.methods.resolve(TENANT, "pm_card_visa")["card"]


@pytest.mark.parametrize("wallet", ["apple_pay", "google_pay"])
def test_the_daily_close_captures_a_wallet_cards_authorisation(domain: Domain,
                                                               wallet: str) -> None:
    domain.orders.configure_close("g", DailyClose(int(domain.clock.now() % 86400) + 60))
    oid = _order(domain, [wallet])["id"]
    domain.orders.pay_by_card(TENANT, oid, VISA, wallet=wallet, capture=False)
    domain.advance_clock(61)
    Scheduler(domain).fire_due()
    doc = domain.orders.get(TENANT, oid)
    assert (doc["status"], doc["closed"], doc["captured_amount"]) == ("paid", True, 800)
