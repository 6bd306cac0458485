"""Money through the official client of every gateway: cumulative refunds, captures and
refunds after partial captures, currencies that must match, and amounts at the limits.

Each gateway takes part through a `MoneyDriver` (how its official client pays, captures
and refunds, and how its refusals read) plus its `MoneyRules` (minimums per currency, the
maximum, how amounts are shown, which fields and codes its refusals carry, whether it has
currencies at all). A gateway mounted without a driver fails this module, so a new gateway
cannot skip these checks; a check its rules rule out (the currency tests for ECPay, NewebPay,
LINE Pay and JKOPay, which take TWD only, in whole dollars; a currency change on PayPal, whose
order PATCH is not simulated; the capture tests for JKOPay, which pays at once) is not
generated for it. The simulator's ledger (`/_sim/ledger`) is the ground truth the answers are
compared with (a driver whose payments live in a tenant of its own reads its rows through its
`row` method). ECPay and NewebPay
refund a capture fully only after their nightly close: their drivers (money_taiwan.py) run on
a simulator with a standing clock that they move past the close, as a merchant waits for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from paylab.simulator.gateways import all_gateways
from paylab.suites.contract.money_drivers import (
    MONEY,
    MoneyDriver,
    MoneyRules,
    Refused,
    Setup,
)
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator, stop_simulator
from paylab.suites.plugins.standing_clock import start_with_standing_clock

GATEWAYS = [g.name for g in all_gateways()]


def where(applies: Callable[[MoneyRules], bool]) -> list[str]:
    """The gateways a check applies to by their rules; a gateway without rules is listed
    (and fails in the `gateway` fixture)."""
    return [name for name in GATEWAYS if name not in MONEY or applies(MONEY[name][0])]


@pytest.fixture(scope="module")
def standing_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        Callable[[], LiveSimulator]]:
    """A simulator with a standing clock, started the first time a driver asks for it."""
    started: list[LiveSimulator] = []

    def get() -> LiveSimulator:
        if not started:
            started.append(start_with_standing_clock(tmp_path_factory.mktemp("money"),
                                                     name="money"))
        return started[0]

    yield get
    for sim in started:
        stop_simulator(sim)


@pytest.fixture(params=GATEWAYS)
def gateway(request: pytest.FixtureRequest, simulator: LiveSimulator, api_key: str,
            http: EvidenceSession, control: Control,
            standing_simulator: Callable[[], LiveSimulator]) -> MoneyDriver:
    """The money driver of each mounted gateway, on this test's own tenant."""
    if request.param not in MONEY:
        pytest.fail(f"gateway {request.param!r} has no money driver: add it to MONEY")
    rules, build = MONEY[request.param]
    driver = build(Setup(simulator, api_key, http, control, standing_simulator))
    assert driver.rules is rules
    return driver


@pytest.fixture
def ledger(gateway: MoneyDriver, control: Control, api_key: str
           ) -> Callable[[str], dict[str, Any]]:
    """The simulator's ground truth for one payment of this tenant."""

    def row(payment: str) -> dict[str, Any]:
        # a driver whose payments live in a tenant of its own (or under another id than
        # the ledger's) reads its row itself
        own = getattr(gateway, "row", None)
        if own is not None:
            return own(payment)
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
    payment = gateway.pay(2000, rules.currency)
    assert gateway.refund(payment, 1500) == 1500
    second = refused(lambda: gateway.refund(payment, 600),
                     "a refund of 600 after 1500 of a 2000 charge", lambda: ledger(payment))
    assert (second.code, second.param) == (rules.too_large, rules.amount_param), second
    left = rules.shown_as.get((500, rules.currency))
    assert left is None or left in second.message, "names what is left (5.00 USD)"
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
    payment = gateway.pay(2000, gateway.rules.currency)
    gateway.refund(payment, 700)
    assert gateway.refund(payment) == 1300, "no amount means all that remains"
    assert refused(lambda: gateway.refund(payment)).code == gateway.rules.already_refunded
    assert ledger(payment)["refunded"] == 2000


@pytest.mark.parametrize("amount", [0, -1, -2000])
def test_zero_and_negative_refunds_are_refused(gateway: MoneyDriver, ledger: Callable,
                                               amount: int) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, rules.currency)
    refusal = refused(lambda: gateway.refund(payment, amount))
    assert (refusal.code, refusal.param) == (rules.invalid_refund or rules.invalid_amount,
                                             rules.amount_param), refusal
    assert ledger(payment)["refunded"] == 0


# -- captures and refunds -------------------------------------------------------------------
@pytest.mark.parametrize("gateway", where(lambda r: r.captures), indirect=True)
def test_an_uncaptured_payment_cannot_be_refunded_and_captures_in_full_after(
        gateway: MoneyDriver, ledger: Callable) -> None:
    payment = gateway.pay(2000, gateway.rules.currency, manual_capture=True)
    assert refused(lambda: gateway.refund(payment, 500)).code == gateway.rules.not_refundable
    gateway.capture(payment)
    row = ledger(payment)
    assert (row["captured"], row["refunded"]) == (2000, 0), "the refused refund took nothing"
    assert gateway.refund(payment) == 2000


@pytest.mark.parametrize("gateway", where(lambda r: r.captures), indirect=True)
def test_a_partial_capture_caps_what_can_be_refunded(gateway: MoneyDriver,
                                                     ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, rules.currency, manual_capture=True)
    gateway.capture(payment, 1200)
    beyond = refused(lambda: gateway.refund(payment, 1201),
                     "a refund of 1201 of a 1200 capture", lambda: ledger(payment))
    assert (beyond.code, beyond.param) == (rules.beyond_capture or rules.too_large,
                                           rules.amount_param), beyond
    assert gateway.refund(payment, 1000) == 1000
    assert refused(lambda: gateway.refund(payment, 201), "201 of the remaining 200",
                   lambda: ledger(payment)).code == rules.too_large
    assert gateway.refund(payment) == 200, "the 800 released at capture is not refundable"
    row = ledger(payment)
    assert (row["authorized"], row["captured"], row["refunded"]) == (1200, 1200, 1200)


@pytest.mark.parametrize("gateway", where(lambda r: r.captures), indirect=True)
def test_no_capture_after_a_partial_refund(gateway: MoneyDriver, ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(2000, rules.currency, manual_capture=True)
    gateway.capture(payment, 1500)
    gateway.refund(payment, 400)
    again = refused(lambda: gateway.capture(payment, 100))
    assert again.code == rules.wrong_state, again
    assert refused(lambda: gateway.refund(payment, 1101), "1101 of the remaining 1100",
                   lambda: ledger(payment)).code == rules.too_large
    assert gateway.refund(payment) == 1100
    row = ledger(payment)
    assert (row["captured"], row["refunded"], row["refund_count"]) == (1500, 1500, 2)


@pytest.mark.parametrize("gateway", where(lambda r: r.captures), indirect=True)
@pytest.mark.parametrize("amount", [0, 2001])
def test_a_capture_outside_the_authorisation_is_refused(gateway: MoneyDriver,
                                                        ledger: Callable, amount: int) -> None:
    payment = gateway.pay(2000, gateway.rules.currency, manual_capture=True)
    refusal = refused(lambda: gateway.capture(payment, amount))
    assert refusal.param == gateway.rules.capture_param, refusal
    assert ledger(payment)["captured"] == 0
    gateway.capture(payment, 2000)
    assert ledger(payment)["captured"] == 2000


# -- currencies -----------------------------------------------------------------------------
@pytest.mark.parametrize("gateway", where(lambda r: r.unknown_parameter is not None),
                         indirect=True)
def test_a_refund_cannot_name_a_currency(gateway: MoneyDriver, ledger: Callable) -> None:
    rules = gateway.rules
    payment = gateway.pay(5000, rules.zero_decimal)
    refusal = refused(lambda: gateway.refund(payment, 100, {"currency": "usd"}))
    assert (refusal.code, refusal.param) == (rules.unknown_parameter, rules.currency_param)
    assert ledger(payment)["refunded"] == 0


@pytest.mark.parametrize("gateway", where(lambda r: r.multi_currency and r.currency_change),
                         indirect=True)
def test_the_currency_of_a_paid_payment_cannot_change(gateway: MoneyDriver,
                                                      ledger: Callable) -> None:
    payment = gateway.pay(2000, "usd")
    refusal = refused(lambda: gateway.change_currency(payment, "jpy"))
    assert (refusal.code, refusal.param) == (gateway.rules.wrong_state, "currency"), refusal
    assert ledger(payment)["currency"] == "usd"


@pytest.mark.parametrize("gateway", where(lambda r: r.multi_currency and r.currency_change),
                         indirect=True)
def test_a_currency_change_before_payment_is_checked_against_its_minimum(
        gateway: MoneyDriver) -> None:
    payment = gateway.create(600, "usd")
    refusal = refused(lambda: gateway.change_currency(payment, "twd"))
    assert (refusal.code, refusal.param) == (gateway.rules.too_small, "amount"), refusal


@pytest.mark.parametrize("gateway", where(lambda r: r.multi_currency), indirect=True)
def test_a_checkout_whose_items_disagree_with_its_currency_is_refused(
        gateway: MoneyDriver) -> None:
    refusal = refused(lambda: gateway.checkout(1000, "usd", "eur"))
    assert refusal.param in gateway.rules.checkout_params, refusal


@pytest.mark.parametrize("gateway", where(lambda r: r.multi_currency), indirect=True)
def test_refund_amounts_are_in_the_payments_minor_units(gateway: MoneyDriver,
                                                        ledger: Callable) -> None:
    """JPY is zero-decimal: 5000 is ¥5,000 and the refusal says so (where the gateway's
    refusals show amounts); TWD has two decimals on Stripe, none on PayPal."""
    rules = gateway.rules
    yen = gateway.pay(5000, "jpy")
    over = refused(lambda: gateway.refund(yen, 5001), "5001 of a 5000 JPY charge",
                   lambda: ledger(yen))
    shown = rules.shown_as.get((5000, "jpy"))
    assert shown is None or shown in over.message, over
    assert gateway.refund(yen, 5000) == 5000
    row = ledger(yen)
    assert (row["amount"], row["currency"], row["refunded"]) == (5000, "jpy", 5000)
    dollars = gateway.pay(1200, "twd")
    over = refused(lambda: gateway.refund(dollars, 1201), "1201 of a 1200 TWD charge",
                   lambda: ledger(dollars))
    shown = rules.shown_as.get((1200, "twd"))
    assert shown is None or shown in over.message, over
    row = ledger(dollars)
    assert (row["amount"], row["currency"], row["refunded"]) == (1200, "twd", 0)


# -- amounts at the limits ------------------------------------------------------------------
def minimum_cases() -> list[tuple[str, str]]:
    """(gateway, currency) for each currency minimum every gateway declares; a gateway
    without rules still gets one case, which fails in the `gateway` fixture."""
    return [(name, currency) for name in GATEWAYS
            for currency in (sorted(MONEY[name][0].minimum) if name in MONEY else ["any"])]


@pytest.mark.parametrize(("gateway", "currency"), minimum_cases(), indirect=["gateway"])
def test_the_minimum_amount_of_each_currency(gateway: MoneyDriver, currency: str) -> None:
    rules = gateway.rules
    minimum = rules.minimum[currency]
    below = refused(lambda: gateway.create(minimum - 1, currency))
    assert (below.code, below.param) == (rules.too_small, rules.amount_param), below
    shown = rules.shown_as.get((minimum, currency))
    if shown is not None:
        assert shown in below.message, below
    assert gateway.create(minimum, currency)
    assert gateway.pay(minimum, currency)


@pytest.mark.parametrize("gateway", where(lambda r: r.maximum is not None), indirect=True)
def test_the_maximum_amount(gateway: MoneyDriver, ledger: Callable) -> None:
    rules = gateway.rules
    assert rules.maximum is not None
    above = refused(lambda: gateway.create(rules.maximum + 1, rules.currency))
    assert above.param == rules.amount_param, above
    payment = gateway.pay(rules.maximum, rules.zero_decimal)
    assert gateway.refund(payment) == rules.maximum
    assert refused(lambda: gateway.refund(payment, 1)).code == rules.already_refunded
    row = ledger(payment)
    assert (row["captured"], row["refunded"]) == (rules.maximum, rules.maximum)


@pytest.mark.parametrize("amount", [0, -1, -50])
def test_zero_and_negative_payments_are_refused(gateway: MoneyDriver, amount: int) -> None:
    rules = gateway.rules
    refusal = refused(lambda: gateway.create(amount, rules.currency))
    assert (refusal.code, refusal.param) == (rules.invalid_amount, rules.amount_param), refusal


def test_an_amount_with_a_fraction_of_its_unit_is_refused(gateway: MoneyDriver,
                                                          ledger: Callable) -> None:
    """Amounts are whole units of each gateway's own: Stripe's minor units (¥1 for JPY), and
    TWD's whole dollars on ECPay and NewebPay (1 is NT$1); 12.5 of them is no amount."""
    rules = gateway.rules
    refusal = refused(lambda: gateway.create(12.5, rules.zero_decimal))  # type: ignore[arg-type]
    assert (refusal.code, refusal.param) == (rules.fraction or rules.invalid_amount,
                                             rules.amount_param), refusal
    payment = gateway.pay(101, rules.zero_decimal)
    row = ledger(payment)
    assert (row["amount"], row["currency"], row["captured"]) == (101, rules.zero_decimal, 101)
