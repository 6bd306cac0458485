"""Money through the official client of every gateway: cumulative refunds, captures and
refunds after partial captures, currencies that must match, and amounts at the limits.

Each gateway takes part through a `MoneyDriver` (how its official client pays, captures
and refunds, and how its refusals read) plus its `MoneyRules` (minimums per currency, the
maximum, how amounts are shown). A gateway mounted without a driver fails this module, so
a new gateway cannot skip these checks. The simulator's ledger (`/_sim/ledger`) is the
ground truth the answers are compared with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
import stripe
from paylab.simulator.gateways import all_gateways
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator


class Refused(Exception):
    """A gateway refused a money operation: its error code, the field it names, its text."""

    def __init__(self, code: str | None, param: str | None, message: str) -> None:
        super().__init__(f"{code} ({param}): {message}")
        self.code = code
        self.param = param
        self.message = message


@dataclass(frozen=True)
class MoneyRules:
    """What a gateway promises about amounts, as data (the expected values, not read back
    from the simulator)."""

    #: The smallest amount a payment may be created for, per currency, in minor units.
    minimum: dict[str, int]
    #: The largest amount any payment may be created for, in minor units.
    maximum: int
    #: How the gateway writes an amount in its messages, for a few (amount, currency).
    shown_as: dict[tuple[int, str], str] = field(default_factory=dict)
    #: Error codes of the refusals, in the gateway's own words.
    too_small: str = "amount_too_small"
    too_large: str = "amount_too_large"
    already_refunded: str = "charge_already_refunded"
    not_refundable: str = "charge_not_refundable"
    wrong_state: str = "payment_intent_unexpected_state"
    invalid_amount: str = "parameter_invalid_integer"
    unknown_parameter: str = "parameter_unknown"


class MoneyDriver(Protocol):
    """How one gateway's official client moves money (raises `Refused` on a refusal)."""

    rules: MoneyRules

    def create(self, amount: int, currency: str) -> str:
        """A payment for `amount`, not yet paid; returns its id."""

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """A payment paid with a good test card (authorised only, with manual capture)."""

    def capture(self, payment: str, amount: int | None = None) -> None:
        """Capture an authorised payment, all of it or `amount`."""

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """Refund `amount` (default: what remains); returns the amount refunded."""

    def change_currency(self, payment: str, currency: str) -> None:
        """Change a payment's currency (allowed only before it is paid)."""

    def checkout(self, amount: int, currency: str, item_currency: str) -> str:
        """A hosted checkout for `amount` in `currency` whose one item is priced in
        `item_currency`; returns the session's currency."""


STRIPE_RULES = MoneyRules(
    # Stripe's published minimum charge amounts; TWD is a two-decimal currency on the API
    # and paylab's minimum for it is NT$10.00; JPY is zero-decimal (50 means ¥50).
    minimum={"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "hkd": 400, "twd": 1000},
    maximum=99_999_999,
    shown_as={(50, "usd"): "0.50 USD", (50, "jpy"): "50 JPY", (1000, "twd"): "10.00 TWD",
              (500, "usd"): "5.00 USD", (5000, "jpy"): "5,000 JPY",
              (1200, "twd"): "12.00 TWD"},
)


class StripeMoney:
    """Stripe through stripe-python."""

    rules = STRIPE_RULES

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    def _call(self, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except stripe.InvalidRequestError as exc:
            raise Refused(exc.code, exc.param, exc.user_message or str(exc)) from exc

    def create(self, amount: int, currency: str) -> str:
        """A PaymentIntent in requires_payment_method."""
        return self._call(lambda: self.client.v1.payment_intents.create(
            params={"amount": amount, "currency": currency})).id

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """A PaymentIntent confirmed with pm_card_visa."""
        params: dict[str, Any] = {"amount": amount, "currency": currency,
                                  "payment_method": "pm_card_visa", "confirm": True}
        if manual_capture:
            params["capture_method"] = "manual"
        intent = self._call(lambda: self.client.v1.payment_intents.create(params=params))
        assert intent.status == ("requires_capture" if manual_capture else "succeeded")
        return intent.id

    def capture(self, payment: str, amount: int | None = None) -> None:
        """POST /v1/payment_intents/{id}/capture."""
        params = {} if amount is None else {"amount_to_capture": amount}
        self._call(lambda: self.client.v1.payment_intents.capture(payment, params=params))

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """POST /v1/refunds by payment_intent."""
        params: dict[str, Any] = {"payment_intent": payment, **(extra or {})}
        if amount is not None:
            params["amount"] = amount
        refund = self._call(lambda: self.client.v1.refunds.create(params=params))
        assert refund.status == "succeeded" and refund.payment_intent == payment
        return refund.amount

    def change_currency(self, payment: str, currency: str) -> None:
        """POST /v1/payment_intents/{id} with a new currency."""
        self._call(lambda: self.client.v1.payment_intents.update(
            payment, params={"currency": currency}))

    def checkout(self, amount: int, currency: str, item_currency: str) -> str:
        """A Checkout Session with paylab's `amount`+`currency` and one priced item."""
        session = self._call(lambda: self.client.v1.checkout.sessions.create(params={
            "success_url": "https://shop.example/ok", "amount": amount, "currency": currency,
            "line_items": [{"quantity": 1, "price_data": {
                "currency": item_currency, "unit_amount": amount,
                "product_data": {"name": "Tea"}}}]}))
        return session.currency


def stripe_driver(simulator: LiveSimulator, api_key: str, http: EvidenceSession) -> StripeMoney:
    """stripe-python on this test's tenant, every exchange recorded (and contract-checked)."""
    return StripeMoney(stripe.StripeClient(
        api_key, base_addresses={"api": simulator.stripe_url},
        http_client=stripe.RequestsClient(session=http), max_network_retries=0))


DriverFactory = Callable[[LiveSimulator, str, EvidenceSession], MoneyDriver]

#: Every gateway's money rules and driver: a new gateway adds one line here.
MONEY: dict[str, tuple[MoneyRules, DriverFactory]] = {
    "stripe": (STRIPE_RULES, stripe_driver),
}

GATEWAYS = [g.name for g in all_gateways()]


@pytest.fixture(params=GATEWAYS)
def gateway(request: pytest.FixtureRequest, simulator: LiveSimulator, api_key: str,
            http: EvidenceSession) -> MoneyDriver:
    """The money driver of each mounted gateway, on this test's own tenant."""
    if request.param not in MONEY:
        pytest.fail(f"gateway {request.param!r} has no money driver: add it to MONEY")
    rules, build = MONEY[request.param]
    driver = build(simulator, api_key, http)
    assert driver.rules is rules
    return driver


@pytest.fixture
def ledger(control: Control, api_key: str) -> Callable[[str], dict[str, Any]]:
    """The simulator's ground truth for one payment of this tenant."""

    def row(payment: str) -> dict[str, Any]:
        rows = {r["id"]: r for r in control.get("ledger", tenant=api_key)["payments"]}
        return rows[payment]

    return row


def refused(call: Callable[[], Any], what: str = "the operation",
            evidence: Callable[[], Any] | None = None) -> Refused:
    """Run `call`, which must be refused; the refusal. When it is accepted, fail saying
    `what` was accepted, with `evidence()` (e.g. the ledger row) when given."""
    try:
        result = call()
    except Refused as refusal:
        return refusal
    shown = f"; then: {evidence()}" if evidence is not None else ""
    pytest.fail(f"{what} was accepted (got {result!r}){shown}")


# -- refunds add up -------------------------------------------------------------------------
def test_refunds_are_cumulative_and_never_exceed_the_charge(gateway: MoneyDriver,
                                                            ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, "usd")
    assert gateway.refund(payment, 1500) == 1500
    second = refused(lambda: gateway.refund(payment, 600),
                     "a refund of 600 after 1500 of a 2000 charge", lambda: ledger(payment))
    assert (second.code, second.param) == (rules.too_large, "amount"), second
    assert rules.shown_as[(500, "usd")] in second.message, "names what is left: 5.00"
    assert ledger(payment)["refunded"] == 1500, "a refused refund moved no money"
    assert refused(lambda: gateway.refund(payment, 501), "501 of the remaining 500",
                   lambda: ledger(payment)).code == rules.too_large
    assert gateway.refund(payment, 500) == 500, "exactly the remaining 500 is refundable"
    after = refused(lambda: gateway.refund(payment, 1), "a refund of a fully refunded charge",
                    lambda: ledger(payment))
    assert after.code == rules.already_refunded, after
    row = ledger(payment)
    assert (row["captured"], row["refunded"], row["refund_count"]) == (2000, 2000, 2)


def test_a_full_refund_after_a_partial_one_takes_only_the_rest(gateway: MoneyDriver,
                                                                ledger: Callable) -> None:
    payment = gateway.pay(2000, "usd")
    gateway.refund(payment, 700)
    assert gateway.refund(payment) == 1300, "no amount means all that remains"
    assert refused(lambda: gateway.refund(payment)).code == gateway.rules.already_refunded
    assert ledger(payment)["refunded"] == 2000


@pytest.mark.parametrize("amount", [0, -1, -2000])
def test_zero_and_negative_refunds_are_refused(gateway: MoneyDriver, ledger: Callable,
                                               amount: int) -> None:
    payment = gateway.pay(2000, "usd")
    refusal = refused(lambda: gateway.refund(payment, amount))
    assert (refusal.code, refusal.param) == (gateway.rules.invalid_amount, "amount"), refusal
    assert ledger(payment)["refunded"] == 0


# -- captures and refunds -------------------------------------------------------------------
def test_an_uncaptured_payment_cannot_be_refunded_and_captures_in_full_after(
        gateway: MoneyDriver, ledger: Callable) -> None:
    payment = gateway.pay(2000, "usd", manual_capture=True)
    assert refused(lambda: gateway.refund(payment, 500)).code == gateway.rules.not_refundable
    gateway.capture(payment)
    row = ledger(payment)
    assert (row["captured"], row["refunded"]) == (2000, 0), "the refused refund took nothing"
    assert gateway.refund(payment) == 2000


def test_a_partial_capture_caps_what_can_be_refunded(gateway: MoneyDriver,
                                                     ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, "usd", manual_capture=True)
    gateway.capture(payment, 1200)
    beyond = refused(lambda: gateway.refund(payment, 1201),
                     "a refund of 1201 of a 1200 capture", lambda: ledger(payment))
    assert (beyond.code, beyond.param) == (rules.too_large, "amount"), beyond
    assert gateway.refund(payment, 1000) == 1000
    assert refused(lambda: gateway.refund(payment, 201), "201 of the remaining 200",
                   lambda: ledger(payment)).code == rules.too_large
    assert gateway.refund(payment) == 200, "the 800 released at capture is not refundable"
    row = ledger(payment)
    assert (row["authorized"], row["captured"], row["refunded"]) == (1200, 1200, 1200)


def test_no_capture_after_a_partial_refund(gateway: MoneyDriver, ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, "usd", manual_capture=True)
    gateway.capture(payment, 1500)
    gateway.refund(payment, 400)
    again = refused(lambda: gateway.capture(payment, 100))
    assert again.code == rules.wrong_state, again
    assert refused(lambda: gateway.refund(payment, 1101), "1101 of the remaining 1100",
                   lambda: ledger(payment)).code == rules.too_large
    assert gateway.refund(payment) == 1100
    row = ledger(payment)
    assert (row["captured"], row["refunded"], row["refund_count"]) == (1500, 1500, 2)


@pytest.mark.parametrize("amount", [0, 2001])
def test_a_capture_outside_the_authorisation_is_refused(gateway: MoneyDriver,
                                                        ledger: Callable, amount: int) -> None:
    payment = gateway.pay(2000, "usd", manual_capture=True)
    refusal = refused(lambda: gateway.capture(payment, amount))
    assert refusal.param == "amount_to_capture", refusal
    assert ledger(payment)["captured"] == 0
    gateway.capture(payment, 2000)
    assert ledger(payment)["captured"] == 2000


# -- currencies -----------------------------------------------------------------------------
def test_a_refund_cannot_name_a_currency(gateway: MoneyDriver, ledger: Callable) -> None:
    payment = gateway.pay(5000, "jpy")
    refusal = refused(lambda: gateway.refund(payment, 100, {"currency": "usd"}))
    assert (refusal.code, refusal.param) == (gateway.rules.unknown_parameter, "currency")
    assert ledger(payment)["refunded"] == 0


def test_the_currency_of_a_paid_payment_cannot_change(gateway: MoneyDriver,
                                                      ledger: Callable) -> None:
    payment = gateway.pay(2000, "usd")
    refusal = refused(lambda: gateway.change_currency(payment, "jpy"))
    assert (refusal.code, refusal.param) == (gateway.rules.wrong_state, "currency"), refusal
    assert ledger(payment)["currency"] == "usd"


def test_a_currency_change_before_payment_is_checked_against_its_minimum(
        gateway: MoneyDriver) -> None:
    payment = gateway.create(600, "usd")
    refusal = refused(lambda: gateway.change_currency(payment, "twd"))
    assert (refusal.code, refusal.param) == (gateway.rules.too_small, "amount"), refusal


def test_a_checkout_whose_items_disagree_with_its_currency_is_refused(
        gateway: MoneyDriver) -> None:
    refusal = refused(lambda: gateway.checkout(1000, "usd", "eur"))
    assert refusal.param in ("currency", "line_items"), refusal


def test_refund_amounts_are_in_the_payments_minor_units(gateway: MoneyDriver) -> None:
    """JPY is zero-decimal: 5000 is ¥5,000 and the refusal says so; TWD has two decimals."""
    rules = gateway.rules
    yen = gateway.pay(5000, "jpy")
    over = refused(lambda: gateway.refund(yen, 5001))
    assert rules.shown_as[(5000, "jpy")] in over.message, over
    assert gateway.refund(yen, 5000) == 5000
    dollars = gateway.pay(1200, "twd")
    over = refused(lambda: gateway.refund(dollars, 1201))
    assert rules.shown_as[(1200, "twd")] in over.message, over


# -- amounts at the limits ------------------------------------------------------------------
def minimum_cases() -> list[tuple[str, str]]:
    """(gateway, currency) for each currency minimum every gateway declares; a gateway
    without rules still gets one case, which fails in the `gateway` fixture."""
    return [(name, currency) for name in GATEWAYS
            for currency in (sorted(MONEY[name][0].minimum) if name in MONEY else ["usd"])]


@pytest.mark.parametrize(("gateway", "currency"), minimum_cases(), indirect=["gateway"])
def test_the_minimum_amount_of_each_currency(gateway: MoneyDriver, currency: str) -> None:
    rules = gateway.rules
    minimum = rules.minimum[currency]
    below = refused(lambda: gateway.create(minimum - 1, currency))
    assert (below.code, below.param) == (rules.too_small, "amount"), below
    shown = rules.shown_as.get((minimum, currency))
    if shown is not None:
        assert shown in below.message, below
    assert gateway.create(minimum, currency)
    assert gateway.pay(minimum, currency)


def test_the_maximum_amount(gateway: MoneyDriver, ledger: Callable) -> None:
    rules = gateway.rules
    above = refused(lambda: gateway.create(rules.maximum + 1, "usd"))
    assert above.param == "amount", above
    payment = gateway.pay(rules.maximum, "jpy")
    assert gateway.refund(payment) == rules.maximum
    assert refused(lambda: gateway.refund(payment, 1)).code == rules.already_refunded
    row = ledger(payment)
    assert (row["captured"], row["refunded"]) == (rules.maximum, rules.maximum)


@pytest.mark.parametrize("amount", [0, -1, -50])
def test_zero_and_negative_payments_are_refused(gateway: MoneyDriver, amount: int) -> None:
    refusal = refused(lambda: gateway.create(amount, "usd"))
    assert (refusal.code, refusal.param) == (gateway.rules.invalid_amount, "amount"), refusal
