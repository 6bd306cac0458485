"""Orders: a merchant-numbered payment paid on a hosted cashier, by card or by a payment code.

The neutral model behind the form-post rails. A merchant posts an order with its own order
number; the shopper pays on the cashier by card (maybe through 3-D Secure), or takes a code
(a virtual bank account, a convenience-store code, a three-part barcode) and pays it later,
or never (the code expires on the virtual clock). Card orders are authorised, then captured
(a gateway may close every authorised order automatically at a time of day), voided before
capture or refunded after it. Every change happens in one `store.atomic()` with its event.

A wallet order waits for the shopper's approval on the wallet's page, then (on wallets that
ask for it) for the merchant's confirmation; see `wallets`.

Statuses: `created` (at the cashier), `needs_action` (3-D Secure), `awaiting_payment` (code
issued), `approved` (a wallet approval waiting for the merchant's confirmation),
`authorized`, `paid`, `failed`, `expired`, `canceled`. The refunded amount is kept
beside the status. Adapters map all of this to their gateway's words.
"""

from __future__ import annotations

from paylab.simulator.core.orders.base import (
    CAPTURABLE,
    CLOSE_TIMER,
    CODE_METHODS,
    EVENT_KINDS,
    EXPIRE_TIMER,
    KIND,
    METHODS,
    PAY_LATE_TIMER,
    PENDING,
    STATUSES,
    DailyClose,
    daily_close,
)
from paylab.simulator.core.orders.codes import CodePayments
from paylab.simulator.core.orders.paying import CardPayments
from paylab.simulator.core.orders.settlement import Settlement
from paylab.simulator.core.orders.wallets import APPROVE_LATE_TIMER, WalletPayments


class Orders(CardPayments, CodePayments, WalletPayments, Settlement):
    """Create orders, pay them by card, code or wallet, and move them through their states."""


__all__ = ["APPROVE_LATE_TIMER", "CAPTURABLE", "CLOSE_TIMER", "CODE_METHODS", "EVENT_KINDS",
           "EXPIRE_TIMER", "KIND", "METHODS", "PAY_LATE_TIMER", "PENDING", "STATUSES",
           "DailyClose", "Orders", "daily_close"]
