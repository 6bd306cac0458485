"""JKOPay's money driver for suites/contract/test_money.py: a store's own signed calls
(suites/unit/jkopay_store.py) enter an order, have the shopper approve it (through
`/_sim/payments/{id}/simulate`; JKOPay pays at once, there is no capture) and refund it
with a fresh refund_order_id each time. Payments are named by the order id the ledger
files them under; JKOPay's refusals name no field apart from their message, so
`Refused.param` is None. TWD is whole dollars: amounts are JKOPay's own units.

money_drivers.py builds it (`JkoPayMoney.register`) with its rules; it lives here so the
JKOPay helper owns it. JKOPay has no capture: the capture tests do not apply to it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests
from paylab.suites.contract.money_taiwan import TaiwanMoney
from paylab.suites.unit.jkopay_store import JkoStore

from paylab.testing.control import ControlClient

_ORDER = re.compile(r"/onlinepay/(ord_[A-Za-z0-9]+)")


class JkoPayMoney(TaiwanMoney):
    """JKOPay OnlinePay: Entry, the shopper's approval, Refund."""

    def __init__(self, store: JkoStore, control: ControlClient, refused: type[Exception],
                 rules: Any) -> None:
        super().__init__(control, store.tenant, refused)
        self.store, self.rules = store, rules

    @classmethod
    def register(cls, url: str, http: requests.Session, refused: type[Exception],
                 rules: Any) -> JkoPayMoney:
        """A fresh store (its own tenant) on the simulator at `url`."""
        return cls(JkoStore.register(url, http), ControlClient(url, http), refused, rules)

    def _answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        if answer["result"] != "000":
            raise self.refused(answer["result"], None, answer["message"])
        return answer["result_object"]

    def create(self, amount: int, currency: str) -> str:
        """An entry for `amount` (not approved); its order id."""
        self.check_currency(currency)
        no = f"M-{uuid.uuid4().hex[:16]}"
        result = self._answer(self.store.entry(no, amount))
        payment = _ORDER.search(result["payment_url"]).group(1)  # type: ignore[union-attr]
        self.trades[payment] = {"no": no, "amount": amount}
        return payment

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """Entered and approved by the shopper: paid at once (JKOPay has no capture)."""
        if manual_capture:
            raise NotImplementedError("JKOPay pays at once: there is no capture")
        payment = self.create(amount, currency)
        self.control.post(f"payments/{payment}/simulate", {"outcome": "paid"})
        return payment

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """Refund API with a new refund_order_id: `amount`, or all that is left."""
        left = self.remaining(payment)
        body = {"platform_order_id": self.trades[payment]["no"],
                "refund_order_id": f"R-{uuid.uuid4().hex[:16]}",
                "refund_amount": left if amount is None else amount, **(extra or {})}
        self._answer(self.store.post("/platform/refund", body).json())
        return body["refund_amount"]
