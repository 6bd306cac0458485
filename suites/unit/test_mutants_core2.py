"""More of the core pinned down where mutation testing found it loose: what a fraud rule
sees of an attempt, credentials with undecodable bytes, tenants seen by another process,
list pages (Stripe's default size, `has_more` on an exact fit), event type families, and
the errors a caller reads."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from paylab.simulator.core import cards
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, NotFound
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt, attempt_of
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe import vocabulary as stripe_words
from paylab.suites.unit.conftest import TENANT
from paylab.suites.unit.inprocess import ClientFactory, start

TODAY = dt.date(2026, 12, 2)
CLIENT = Client(ip="203.0.113.9", country="TW", device="dev-1", gateway="stripe")
CARD = {"fingerprint": "fp_1", "bin": "424242", "country": "US"}


# -- what a fraud rule sees ---------------------------------------------------------------------
def test_an_attempt_carries_the_payment_card_and_billing_email() -> None:
    payment = {"amount": 1234, "currency": "twd", "receipt_email": "receipt@example.com"}
    method = {"card": CARD, "billing_details": {"email": "payer@example.com"}}
    assert attempt_of("acct_a", payment, method, CLIENT, 99.5) == Attempt(
        "acct_a", 1234, "twd", "fp_1", "424242", "US", "payer@example.com", CLIENT, 99.5)


@pytest.mark.parametrize("billing", [None, {}, {"email": None}, {"name": "Mei"}])
def test_without_a_billing_email_the_receipt_email_stands_in(billing: dict | None) -> None:
    payment = {"amount": 500, "currency": "usd", "receipt_email": "receipt@example.com"}
    method = {"card": {**CARD, "country": None}, "billing_details": billing}
    attempt = attempt_of("acct_b", payment, method, CLIENT, 1.0)
    assert attempt.email == "receipt@example.com"
    assert (attempt.tenant, attempt.currency, attempt.card_bin) == ("acct_b", "usd", "424242")


# -- credentials ----------------------------------------------------------------------------------
def test_a_token_with_undecodable_bytes_still_compares() -> None:
    # os.environ hands undecodable bytes of PAYLAB_CONTROL_TOKEN over as lone surrogates
    token = os.fsdecode(b"tok\xffen")
    assert same_credential(token, token)
    assert not same_credential(token, "token")
    assert not same_credential("token", token)


# -- tenants and errors ---------------------------------------------------------------------------
def test_a_tenant_another_process_recorded_is_known(tmp_path: object) -> None:
    path = f"{tmp_path}/t.db"
    first = Domain(Store(path), Clock(), seed=1)
    first.tenants.seen("acct_elsewhere")
    first.store.close()
    other = Domain(Store(path), Clock(), seed=1)
    assert other.tenants.known("acct_elsewhere")
    assert not other.tenants.known("acct_never")
    other.store.close()


def test_a_core_error_reads_as_its_message() -> None:
    # logs and tracebacks show str(exc)
    error = NotFound("not_found", "No such charge: 'ch_x'", param="id")
    assert str(error) == "No such charge: 'ch_x'"


def test_an_unknown_card_token_names_the_token_and_the_parameter() -> None:
    with pytest.raises(InvalidRequest) as caught:
        cards.card_for_token("pm_card_nonsense", today=TODAY)
    assert caught.value.message == "No such payment method: 'pm_card_nonsense'"
    assert stripe_words.message(caught.value) == "No such PaymentMethod: 'pm_card_nonsense'"
    assert caught.value.param == "payment_method"


def test_a_raw_card_with_a_short_cvc_is_refused(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as caught:
        domain.methods.create_card(TENANT, {"number": "4242424242424242", "exp_month": 12,
                                            "exp_year": 2040, "cvc": "12"})
    assert caught.value.code == "invalid_cvc"
    assert caught.value.param == ("card", "cvc")


# -- lists ----------------------------------------------------------------------------------------
def things(domain: Domain, count: int) -> None:
    for n in range(count):
        domain.objects.insert(TENANT, "thing", {"id": f"t{n}", "created": n})


def test_a_page_holds_ten_by_default(domain: Domain) -> None:
    things(domain, 12)
    docs, more = domain.objects.page(TENANT, "thing")
    assert [d["id"] for d in docs] == [f"t{n}" for n in range(11, 1, -1)] and more


@pytest.mark.parametrize(("count", "more"), [(3, False), (4, True)])
def test_has_more_only_when_objects_lie_beyond_the_page(domain: Domain, count: int,
                                                        more: bool) -> None:
    things(domain, count)
    assert domain.objects.page(TENANT, "thing", limit=3)[1] is more


def test_a_type_family_matches_only_its_own_types(domain: Domain) -> None:
    paid = domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    domain.refunds.create(TENANT, {"payment": paid["id"]})
    charges = stripe_words.type_filter(["charge.*"])
    family = [e["type"] for e in domain.events.page(TENANT, types=charges, limit=100)[0]]
    assert "charge.refunded" in family
    # Stripe's charge.refund.updated family: none emitted, and charge.refunded is not one
    assert stripe_words.type_filter(["charge.refund.*"]) == []


# -- a declined payment, as the API shows it --------------------------------------------------
async def test_a_declined_payment_names_its_charge_in_the_last_error(
        aiohttp_client: ClientFactory) -> None:
    sim = await start(aiohttp_client)
    declined = await sim.pay(card="pm_card_chargeDeclined")
    assert declined.status == 402
    intent = declined.error["payment_intent"]["id"]
    payment = await sim.stripe("GET", f"/v1/payment_intents/{intent}")
    error = payment.body["last_payment_error"]
    assert error["code"] == "card_declined"
    assert error["charge"] == payment.body["latest_charge"] is not None


# -- checkout -------------------------------------------------------------------------------------
def test_expiring_a_session_cancels_a_payment_awaiting_confirmation(domain: Domain) -> None:
    session = domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    declined = {"number": "4000000000000002", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    with pytest.raises(CardDeclined):
        domain.sessions.pay(TENANT, session["id"], declined, name="Mei", email=None,
                            return_url="https://sim.example/return")
    intent = domain.sessions.get(TENANT, session["id"])["payment"]
    # the shop attaches another card through the API but never confirms
    updated = domain.payments.update(TENANT, intent, {"payment_method": "pm_card_visa"})
    assert updated["status"] == "needs_confirmation"
    assert domain.sessions.expire(TENANT, session["id"])["status"] == "expired"
    payment = domain.payments.get(TENANT, intent)
    assert (payment["status"], payment["cancellation_reason"]) == ("canceled", "abandoned")
