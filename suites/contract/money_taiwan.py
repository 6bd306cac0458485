"""ECPay's and NewebPay's money drivers for test_money: a merchant's own HTTP calls (the
contract layer's merchants, written from gateways.md) pay with the stage card, capture
(DoAction C / CreditCard/Close CloseType=1) and refund (DoAction R / CloseType=2).

Both gateways refund a capture fully only after their nightly close (ECPay 20:15, NewebPay
21:00, Taiwan time); so these drivers run on a simulator of their own whose virtual clock
stands still, and after each capture move it past the next close, as a merchant waiting
for the settlement would. TWD is whole dollars on both: amounts are the gateway's own units.
Their refusals name no field (ECPay answers `RtnCode=0&RtnMsg=...` or its error page,
NewebPay a Status code), so `Refused.param` is None.
"""

from __future__ import annotations

import re
from typing import Any

from paylab.suites.contract.ecpay_merchant import EcpayMerchant, form_actions
from paylab.suites.contract.ecpay_merchant import shown as ecpay_shown
from paylab.suites.contract.newebpay_merchant import NewebPayMerchant
from paylab.suites.contract.newebpay_merchant import shown as newebpay_shown

from paylab.testing.control import ControlClient

TAIWAN = 8 * 3600


def settle(control: ControlClient, close: str) -> None:
    """Move the standing clock just past the next nightly close at `close` (HH:MM, Taiwan
    time) and its 15-minute window, so captured trades are closed."""
    hours, minutes = (int(part) for part in close.split(":"))
    target = hours * 3600 + minutes * 60 + 16 * 60
    now = control.clock.now()
    ahead = (target - (now + TAIWAN) % 86400) % 86400 or 86400
    control.clock.advance(ahead)


class TaiwanMoney:
    """What both drivers share: the ledger of their tenant, amounts in whole TWD."""

    rules: Any
    close = "00:00"

    def __init__(self, control: ControlClient, tenant: str, refused: type[Exception]) -> None:
        self.control = control
        self.tenant = tenant
        self.refused = refused
        #: order id -> its MerchantTradeNo / MerchantOrderNo, TradeNo and page (a Response)
        self.trades: dict[str, dict[str, Any]] = {}

    def row(self, payment: str) -> dict[str, Any]:
        """The simulator's ledger row of one order."""
        rows = {r["id"]: r for r in self.control.get("ledger", tenant=self.tenant)["payments"]}
        return rows[payment]

    def remaining(self, payment: str) -> int:
        """What is left to refund; the whole capture once nothing is (asked again)."""
        row = self.row(payment)
        return row["captured"] - row["refunded"] or row["captured"]

    def check_currency(self, currency: str) -> None:
        assert currency == "twd", f"{type(self).__name__} takes TWD only, not {currency}"

    def change_currency(self, payment: str, currency: str) -> None:
        raise NotImplementedError("no currency can be named or changed on this gateway")

    def checkout(self, amount: int, currency: str, item_currency: str) -> str:
        raise NotImplementedError("no currency can be named on this gateway")

    def capture(self, payment: str, amount: int | None = None) -> None:
        raise NotImplementedError

    def pay(self, amount: int, currency: str, *, manual_capture: bool = False) -> str:
        """An order paid with the stage card: authorised, and captured and closed unless
        `manual_capture`."""
        payment = self.authorize(amount, currency)
        if not manual_capture:
            self.capture(payment)
        return payment

    def authorize(self, amount: int, currency: str) -> str:
        raise NotImplementedError


class EcpayMoney(TaiwanMoney):
    """ECPay AIO: AioCheckOut + the cashier's card form, CreditDetail/DoAction."""

    close = "20:15"

    def __init__(self, merchant: EcpayMerchant, control: ControlClient,
                 refused: type[Exception], rules: Any) -> None:
        super().__init__(control, merchant.tenant, refused)
        self.merchant, self.rules = merchant, rules

    def create(self, amount: int, currency: str) -> str:
        """An order for `amount` (the cashier page); its id from the cashier's links."""
        self.check_currency(currency)
        page = self.merchant.checkout(TotalAmount=amount, ChoosePayment="Credit")
        if page.status_code != 200:
            raise self.refused(ecpay_shown(page.text, "error-code"), None,
                               ecpay_shown(page.text, "error-message") or page.text[-300:])
        found = re.search(r"/Cashier/Order/([A-Za-z0-9_]+)/", form_actions(page.text)[0])
        assert found, page.text[-300:]
        self.trades[found.group(1)] = {"no": ecpay_shown(page.text, "merchant-trade-no"),
                                       "page": page}
        return found.group(1)

    def authorize(self, amount: int, currency: str) -> str:
        payment = self.create(amount, currency)
        trade = self.trades[payment]
        result = self.merchant.pay_card(self.merchant.choose(trade["page"], "Credit"))
        assert 'data-testid="ecpay-result"' in result.text, result.text[-500:]
        trade["trade_no"] = self.merchant.query(trade["no"])[1]["TradeNo"]
        return payment

    def _act(self, payment: str, action: str, amount: int, extra: dict[str, Any] | None
             ) -> None:
        trade = self.trades[payment]
        fields = {"MerchantID": self.merchant.merchant_id, "MerchantTradeNo": trade["no"],
                  "TradeNo": trade["trade_no"], "Action": action, "TotalAmount": amount,
                  **{k.title(): v for k, v in (extra or {}).items()}}
        _, parsed = self.merchant.api("/CreditDetail/DoAction", fields)
        if parsed.get("RtnCode") != "1":
            raise self.refused(parsed.get("RtnCode"), None, parsed.get("RtnMsg", ""))

    def capture(self, payment: str, amount: int | None = None) -> None:
        """DoAction C (all of the authorisation, or `amount`), then the nightly close."""
        self._act(payment, "C", amount if amount is not None else self.row(payment)["amount"],
                  None)
        settle(self.control, self.close)

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """DoAction R of `amount` (default: what is left)."""
        amount = self.remaining(payment) if amount is None else amount
        self._act(payment, "R", amount, extra)
        return amount


class NewebPayMoney(TaiwanMoney):
    """NewebPay MPG: the MPG form + the page's card form, CreditCard/Close."""

    close = "21:00"

    def __init__(self, merchant: NewebPayMerchant, control: ControlClient,
                 refused: type[Exception], rules: Any) -> None:
        super().__init__(control, merchant.tenant, refused)
        self.merchant, self.rules = merchant, rules

    def create(self, amount: int, currency: str) -> str:
        """An order for `amount` (the MPG page); its id from the page's address."""
        self.check_currency(currency)
        page = self.merchant.start(Amt=amount, CREDIT=1)
        if 'data-testid="mpg-page"' not in page.text:
            raise self.refused(newebpay_shown(page.text, "error-code"), None,
                               newebpay_shown(page.text, "error-message") or "")
        found = re.search(r"/MPG/pay/([A-Za-z0-9_]+)", page.url)
        assert found, page.url
        self.trades[found.group(1)] = {"no": newebpay_shown(page.text, "mpg-order"),
                                       "page": page}
        return found.group(1)

    def authorize(self, amount: int, currency: str) -> str:
        payment = self.create(amount, currency)
        result = self.merchant.pay(self.trades[payment]["page"])
        assert newebpay_shown(result.text, "mpg-status") == "SUCCESS", result.text[-500:]
        return payment

    def _close(self, payment: str, amount: int, close_type: int,
               extra: dict[str, Any] | None) -> None:
        answer = self.merchant.post_data("/API/CreditCard/Close", {
            "Version": "1.1", "Amt": amount, "MerchantOrderNo": self.trades[payment]["no"],
            "IndexType": 1, "CloseType": close_type,
            **{k.title(): v for k, v in (extra or {}).items()}}).json()
        if answer["Status"] != "SUCCESS":
            raise self.refused(answer["Status"], None, answer["Message"])

    def capture(self, payment: str, amount: int | None = None) -> None:
        """Close CloseType=1 (all, or `amount`), then the nightly close."""
        self._close(payment, amount if amount is not None else self.row(payment)["amount"],
                    1, None)
        settle(self.control, self.close)

    def refund(self, payment: str, amount: int | None = None,
               extra: dict[str, Any] | None = None) -> int:
        """Close CloseType=2 of `amount` (default: what is left)."""
        amount = self.remaining(payment) if amount is None else amount
        self._close(payment, amount, 2, extra)
        return amount
