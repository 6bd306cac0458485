"""Money drivers and rules for test_money: how each gateway's official client (or, for the
form-post gateways, a merchant's own HTTP calls) pays, captures and refunds, and what the
gateway promises about amounts and how its refusals read, as data. A new gateway adds its
rules, a driver and one line in MONEY."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import stripe
from paylab.suites.contract.ecpay_merchant import EcpayMerchant
from paylab.suites.contract.money_taiwan import EcpayMoney, NewebPayMoney
from paylab.suites.contract.newebpay_merchant import NewebPayMerchant
from paylab.suites.contract.paypal_money import PaypalMoney
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paylab.suites.unit.jkopay_money import JkoPayMoney
from paylab.suites.unit.linepay_money import LinePayMoney

from paylab.testing.control import ControlClient


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
    #: The largest amount any payment may be created for, in minor units (None: the
    #: gateway publishes none, and the maximum test does not apply).
    maximum: int | None
    #: How the gateway writes an amount in its messages, for a few (amount, currency).
    shown_as: dict[tuple[int, str], str] = field(default_factory=dict)
    #: Error codes of the refusals, in the gateway's own words.
    too_small: str = "amount_too_small"
    too_large: str = "amount_too_large"
    already_refunded: str = "charge_already_refunded"
    not_refundable: str = "charge_not_refundable"
    wrong_state: str = "payment_intent_unexpected_state"
    invalid_amount: str = "parameter_invalid_integer"
    #: None: the gateway ignores fields it does not know (the test naming one does not apply).
    unknown_parameter: str | None = "parameter_unknown"
    #: A refund beyond what was captured (rather than beyond what is left), and a refund of
    #: no amount, where their codes differ from too_large and invalid_amount.
    beyond_capture: str | None = None
    invalid_refund: str | None = None
    #: A fraction of the amount's unit, where its code differs from invalid_amount.
    fraction: str | None = None
    #: The currency amounts are tested in, and one without decimals (its amounts whole).
    currency: str = "usd"
    zero_decimal: str = "jpy"
    #: Whether payments name a currency of their own (the currency tests apply).
    multi_currency: bool = True
    #: Whether a payment's currency can be changed before it is paid (the tests of a
    #: currency change apply, where multi_currency).
    currency_change: bool = True
    #: The fields a checkout whose items are priced in another currency may be refused on.
    checkout_params: tuple[str, ...] = ("currency", "line_items")
    #: The fields refusals name (None: the gateway's refusals name no field).
    amount_param: str | None = "amount"
    capture_param: str | None = "amount_to_capture"
    currency_param: str | None = "currency"
    #: Whether a payment can be authorised and captured later (the capture tests apply).
    captures: bool = True


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


# TWD is whole dollars on both: 1 is NT$1; neither publishes a maximum but NewebPay's Amt is
# Int(10). Their refusals carry codes, not fields: ECPay's RtnCode (0 for any refused
# DoAction, 10100050 for a bad field), NewebPay's Status (TRA/MPG codes, gateways.md 2.4).
ECPAY_RULES = MoneyRules(
    minimum={"twd": 1}, maximum=None, shown_as={(500, "twd"): "500"},
    too_small="10100050", too_large="10100050", already_refunded="0", not_refundable="0",
    wrong_state="0", invalid_amount="10100050", unknown_parameter="10100050",
    currency="twd", zero_decimal="twd", multi_currency=False, amount_param=None,
    capture_param=None, currency_param=None)
NEWEBPAY_RULES = MoneyRules(
    minimum={"twd": 1}, maximum=9_999_999_999,
    too_small="MPG01015", too_large="TRA20028", already_refunded="TRA20028",
    not_refundable="TRA10035", wrong_state="TRA10027", invalid_amount="MPG01015",
    unknown_parameter=None, beyond_capture="TRA10039", invalid_refund="TRA10003",
    currency="twd", zero_decimal="twd", multi_currency=False, amount_param=None,
    capture_param=None, currency_param=None)


# JKOPay pays at once (no capture); amounts are whole TWD up to 999,999,999,999; refusals
# are its `result` codes (201 validation, 113 a refund past what is left, 103 a bad refund
# amount) and name no field.
JKOPAY_RULES = MoneyRules(
    minimum={"twd": 1}, maximum=999_999_999_999, too_small="201", too_large="113",
    already_refunded="113", not_refundable="113", wrong_state="201", invalid_amount="201",
    unknown_parameter="201", invalid_refund="103", currency="twd", zero_decimal="twd",
    multi_currency=False, amount_param=None, capture_param=None, currency_param=None,
    captures=False)
# LINE Pay: whole TWD, no published maximum; refusals are its returnCodes (2101 parameter
# error, 1124 an amount of the wrong scale, 1164/1165 past what is refundable / already
# refunded, 1155 not refundable, 1150 no such transaction) and name no field.
LINEPAY_RULES = MoneyRules(
    minimum={"twd": 1}, maximum=None, shown_as={(500, "twd"): "500"}, too_small="2101",
    too_large="1164", already_refunded="1165", not_refundable="1155", wrong_state="1150",
    invalid_amount="2101", unknown_parameter="2101", currency="twd", zero_decimal="twd",
    multi_currency=False, amount_param=None, capture_param=None, currency_param=None,
    fraction="1124")
# PayPal takes any positive amount (its only floor: CANNOT_BE_ZERO_OR_NEGATIVE, so the
# minimum is one minor unit in every currency) and refuses a precision finer than the
# currency's (DECIMAL_PRECISION). Its maximum here is the simulator's documented one
# (99,999,999 minor units, MAX_VALUE_EXCEEDED; README), not PayPal's own. Its refusals name
# the field (JSON pointer) and never write an amount in their text, so shown_as is empty.
# A refund's body may carry fields it does not know (unknown_parameter None). PayPal takes
# many currencies (HUF, JPY and TWD without decimals); an order's currency cannot change
# here (PayPal's order PATCH is not simulated: currency_change False), and an order whose
# item is priced in another currency is refused on that item's currency_code.
PAYPAL_RULES = MoneyRules(
    minimum={"usd": 1, "eur": 1, "jpy": 1, "twd": 1}, maximum=99_999_999,
    too_small="CANNOT_BE_ZERO_OR_NEGATIVE", too_large="REFUND_AMOUNT_EXCEEDED",
    already_refunded="CAPTURE_FULLY_REFUNDED", not_refundable="INVALID_RESOURCE_ID",
    wrong_state="AUTHORIZATION_ALREADY_CAPTURED", invalid_amount="CANNOT_BE_ZERO_OR_NEGATIVE",
    unknown_parameter=None, fraction="DECIMAL_PRECISION", currency="usd", zero_decimal="jpy",
    currency_change=False, checkout_params=("/items/0/unit_amount/currency_code",),
    amount_param="/amount/value", capture_param="/amount/value", currency_param=None)


@dataclass
class Setup:
    """What a driver factory may use: the layer's simulator and this test's key and
    session, and (started once per module, on demand) a simulator with a standing clock."""

    simulator: LiveSimulator
    api_key: str
    http: EvidenceSession
    control: Control
    standing: Callable[[], LiveSimulator]


def ecpay_driver(setup: Setup) -> MoneyDriver:
    """A fresh ECPay merchant on the standing-clock simulator (its nightly close)."""
    sim = setup.standing()
    control = ControlClient(sim.url, setup.http)
    made = control.post("merchants", {"gateway": "ecpay"})
    return EcpayMoney(EcpayMerchant(sim.url, setup.http, made["merchant_id"], made["hash_key"],
                                    made["hash_iv"], made["tenant"]), control, Refused,
                      ECPAY_RULES)


def newebpay_driver(setup: Setup) -> MoneyDriver:
    """A fresh NewebPay merchant on the standing-clock simulator (its nightly close)."""
    sim = setup.standing()
    control = ControlClient(sim.url, setup.http)
    made = control.post("merchants", {"gateway": "newebpay"})
    return NewebPayMoney(NewebPayMerchant(sim.url, setup.http, made["merchant_id"],
                                          made["hash_key"], made["hash_iv"], made["tenant"]),
                         control, Refused, NEWEBPAY_RULES)


DriverFactory = Callable[[Setup], MoneyDriver]

#: Every gateway's money rules and driver: a new gateway adds one line here.
MONEY: dict[str, tuple[MoneyRules, DriverFactory]] = {
    "stripe": (STRIPE_RULES, lambda setup: stripe_driver(setup.simulator, setup.api_key,
                                                         setup.http)),
    "ecpay": (ECPAY_RULES, ecpay_driver),
    "newebpay": (NEWEBPAY_RULES, newebpay_driver),
    "linepay": (LINEPAY_RULES, lambda setup: LinePayMoney.register(
        setup.simulator.url, setup.http, Refused, LINEPAY_RULES)),
    "jkopay": (JKOPAY_RULES, lambda setup: JkoPayMoney.register(
        setup.simulator.url, setup.http, Refused, JKOPAY_RULES)),
    "paypal": (PAYPAL_RULES, lambda setup: PaypalMoney.register(
        setup.simulator.url, setup.http, Refused, PAYPAL_RULES)),
}
