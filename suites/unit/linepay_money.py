"""LINE Pay's money driver for suites/contract/test_money.py: a merchant's own signed calls
(suites/unit/linepay_merchant.py) request a payment, have the shopper approve it (through
`/_sim/payments/{id}/simulate`), confirm it (captured at once, or only authorised with
`capture: false`), capture and refund. Payments are named by the order id the ledger
files them under; LINE Pay's refusals name no field apart from their message, so
`Refused.param` is None. TWD is whole dollars: amounts are LINE Pay's own units.

money_drivers.py builds it (`LinePayMoney.register`) with its rules; it lives here so the
LINE Pay helper owns it."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from paylab.suites.contract.money_taiwan import TaiwanMoney
from paylab.suites.unit.linepay_merchant import Channel, request_body, reserve_id

from paylab.testing.control import ControlClient


class LinePayMoney(TaiwanMoney):
    """LINE Pay Online API v3: Request, approval, Confirm, Capture, Refund."""

    def __init__(self, channel: Channel, control: ControlClient, refused: type[Exception],
                 rules: Any) -> None:
        super().__init__(control, channel.tenant, refused)
        self.channel, self.rules = channel, rules

    @classmethod
    def register(cls, url: str, http: requests.Session, refused: type[Exception],
                 rules: Any) -> LinePayMoney:
        """A fresh channel (its own tenant) on the simulator at `url`."""
        return cls(Channel.register(url, http), ControlClient(url, http), refused, rules)

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.channel.call("POST", path, body)
        if answer["returnCode"] != "0000":
            raise self.refused(answer["returnCode"], None, answer["returnMessage"])
        return answer

    def _request(self, amount: Any, currency: str, *, capture: bool) -> str:
        self.check_currency(currency)
        body = request_body(f"M-{uuid.uuid4().hex[:16]}", amount, capture=capture)
        info = self._call("/v3/payments/request", body)["info"]
        payment = reserve_id(info)
        self.trades[payment] = {"tid": info["transactionId"], "amount": amount}
        return payment

    def create(self, amount: int, currency: str) -> str:
        """A payment request for `amount` (not approved); its order id."""
        return self._request(amount, currency, capture=True)

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """Requested, approved by the shopper and confirmed: captured, or only authorised
        (`capture: false`) with `manual_capture`."""
        payment = self._request(amount, currency, capture=not manual_capture)
        trade = self.trades[payment]
        self.control.post(f"payments/{payment}/simulate", {"outcome": "approved"})
        self._call(f"/v3/payments/{trade['tid']}/confirm",
                   {"amount": amount, "currency": "TWD"})
        return payment

    def capture(self, payment: str, amount: int | None = None) -> None:
        """Capture API (all of the authorisation, or `amount`)."""
        trade = self.trades[payment]
        self._call(f"/v3/payments/authorizations/{trade['tid']}/capture",
                   {"amount": trade["amount"] if amount is None else amount,
                    "currency": "TWD"})

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """Refund API: `refundAmount`, or none (all that is left)."""
        left = self.remaining(payment)
        body = {**({} if amount is None else {"refundAmount": amount}), **(extra or {})}
        self._call(f"/v3/payments/{self.trades[payment]['tid']}/refund", body)
        return left if amount is None else amount
