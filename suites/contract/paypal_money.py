"""PayPal's money driver for test_money: `paypal-server-sdk` 2.4.0 (PayPal's own Python
client, as test_paypal_sdk.py drives it) on a fresh app of its own (`/_sim/merchants`,
gateway paypal), pointed at the layer's simulator by its base URL only.

An order is created (intent CAPTURE, or AUTHORIZE for a manual capture), approved by the
buyer through `/_sim/payments/{id}/simulate` on the paylab payment behind it (the ledger
row whose merchant_order_no is the order id), then captured or authorized; captures of an
authorization, and refunds of a capture, are Payments v2 calls. Payments are named by
PayPal's order id; `row` maps one to its ledger row.

Amounts stay the test's integers in the currency's minor units and go on the wire as
PayPal's decimal strings (HUF, JPY and TWD take no decimals on PayPal). A refusal is
PayPal's first `details[]` entry: its issue is `Refused.code` and its field (a JSON pointer
into the request) is `Refused.param`, named relative to the order's one purchase unit, so
an amount is `/amount/value` on an order as on a capture or a refund.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import requests
from paypalserversdk.configuration import Environment, Server
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from paylab.testing.control import ControlClient

#: PayPal's currencies without decimals (its currency codes page); every other takes two.
ZERO_DECIMAL = {"HUF", "JPY", "TWD"}
#: The one purchase unit of the driver's orders: fields are named relative to it.
UNIT = "/purchase_units/0"


def to_value(amount: int | float, currency: str) -> str:
    """Minor units as PayPal's decimal string: 2000 USD is "20.00", 5000 JPY "5000"; a
    fraction of a minor unit stays in the string (12.5 JPY is "12.5"), for PayPal to judge."""
    places = 0 if currency.upper() in ZERO_DECIMAL else 2
    return format(decimal.Decimal(amount).scaleb(-places), "f")


def to_minor(value: str, currency: str) -> int:
    """PayPal's decimal string in minor units."""
    places = 0 if currency.upper() in ZERO_DECIMAL else 2
    return int(decimal.Decimal(value).scaleb(places))


class PaypalMoney:
    """PayPal Orders v2 and Payments v2 through paypal-server-sdk."""

    def __init__(self, sdk: PaypalServersdkClient, control: ControlClient, tenant: str,
                 refused: type[Exception], rules: Any) -> None:
        self.sdk, self.control, self.tenant = sdk, control, tenant
        self.refused, self.rules = refused, rules
        #: order id -> its currency, authorization id and capture id (once made)
        self.orders: dict[str, dict[str, Any]] = {}

    @classmethod
    def register(cls, url: str, http: requests.Session, refused: type[Exception],
                 rules: Any) -> PaypalMoney:
        """A fresh app (its own tenant) on the simulator at `url`; the SDK sends through
        `http` (the test's recorded session), its base URL the only change."""
        control = ControlClient(url, http)
        made = control.post("merchants", {"gateway": "paypal"})
        sdk = PaypalServersdkClient(
            http_client_instance=http,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=made["merchant_id"], o_auth_client_secret=made["hash_key"]),
            environment=Environment.SANDBOX)
        sdk.config.environments = {Environment.SANDBOX: {Server.DEFAULT: url + "/paypal"}}
        return cls(sdk, control, made["tenant"], refused, rules)

    def _call(self, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except ErrorException as exc:
            first = (exc.details or [None])[0]
            if first is None:
                raise self.refused(exc.name, None, exc.message or str(exc)) from exc
            field = getattr(first, "field", None)
            if field is not None and field.startswith(UNIT + "/"):
                field = field[len(UNIT):]
            text = getattr(first, "description", None) or exc.message or ""
            raise self.refused(first.issue, field, text) from exc

    def row(self, payment: str) -> dict[str, Any]:
        """The simulator's ledger row of one order (filed under its paylab payment id,
        with the order id as merchant_order_no)."""
        rows = self.control.get("ledger", tenant=self.tenant)["payments"]
        return next(r for r in rows if r.get("merchant_order_no") == payment)

    def _order(self, amount: int, currency: str, intent: str) -> str:
        code = currency.upper()
        body = {"intent": intent, "purchase_units": [{
            "amount": {"currency_code": code, "value": to_value(amount, code)},
            "description": "Oolong tea"}],
            "application_context": {"return_url": "https://shop.example/paypal/return",
                                    "cancel_url": "https://shop.example/paypal/cancel"}}
        order = self._call(lambda: self.sdk.orders.create_order({"body": body})).body
        self.orders[order.id] = {"currency": code, "authorization": None, "capture": None}
        return order.id

    def create(self, amount: int, currency: str) -> str:
        """An order for `amount` (not approved); its id."""
        return self._order(amount, currency, "CAPTURE")

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """An order the buyer approved, then captured (intent CAPTURE), or only authorized
        (intent AUTHORIZE) with `manual_capture`."""
        payment = self._order(amount, currency, "AUTHORIZE" if manual_capture else "CAPTURE")
        core = self.row(payment)["id"]
        self.control.post(f"payments/{core}/simulate", {"outcome": "approved"})
        known = self.orders[payment]
        if manual_capture:
            done = self._call(lambda: self.sdk.orders.authorize_order({"id": payment})).body
            known["authorization"] = done.purchase_units[0].payments.authorizations[0].id
        else:
            done = self._call(lambda: self.sdk.orders.capture_order({"id": payment})).body
            known["capture"] = done.purchase_units[0].payments.captures[0].id
        return payment

    def capture(self, payment: str, amount: int | None = None) -> None:
        """Capture the authorization, all of it or `amount`, as the final capture (what is
        left of the authorization is released)."""
        known = self.orders[payment]
        body: dict[str, Any] = {"final_capture": True}
        if amount is not None:
            body["amount"] = {"currency_code": known["currency"],
                              "value": to_value(amount, known["currency"])}
        made = self._call(lambda: self.sdk.payments.capture_authorized_payment({
            "authorization_id": known["authorization"], "body": body})).body
        known["capture"] = made.id

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """Refund the order's capture: `amount`, or all that is left; the amount PayPal
        says it refunded. An order only authorized has no capture: the refund names the
        authorization's id, as a merchant mistaking one for the other would, and PayPal
        finds no capture of that id."""
        known = self.orders[payment]
        body: dict[str, Any] = dict(extra or {})
        if amount is not None:
            body["amount"] = {"currency_code": known["currency"],
                              "value": to_value(amount, known["currency"])}
        target = known["capture"] or known["authorization"]
        made = self._call(lambda: self.sdk.payments.refund_captured_payment({
            "capture_id": target, "prefer": "return=representation", "body": body})).body
        assert made.status == "COMPLETED", made.status
        return to_minor(made.amount.value, made.amount.currency_code)

    def change_currency(self, payment: str, currency: str) -> None:
        """Not simulated (its rules say currency_change False)."""
        raise NotImplementedError("PayPal's order PATCH is not simulated: an order's "
                                  "currency cannot be changed")

    def checkout(self, amount: int, currency: str, item_currency: str) -> str:
        """PayPal's checkout is the order itself: one for `amount` in `currency` whose
        breakdown and one item price it in `item_currency`; the order's currency."""
        code, item = currency.upper(), item_currency.upper()
        body = {"intent": "CAPTURE", "purchase_units": [{
            "amount": {"currency_code": code, "value": to_value(amount, code),
                       "breakdown": {"item_total": {"currency_code": code,
                                                    "value": to_value(amount, code)}}},
            "items": [{"name": "Tea", "quantity": "1", "unit_amount": {
                "currency_code": item, "value": to_value(amount, item)}}]}],
            "application_context": {"return_url": "https://shop.example/paypal/return",
                                    "cancel_url": "https://shop.example/paypal/cancel"}}
        order = self._call(lambda: self.sdk.orders.create_order({
            "body": body, "prefer": "return=representation"})).body
        return order.purchase_units[0].amount.currency_code.lower()
