"""Applying a wallet's outcome to the shop's order, at most once.

Each outcome is recorded and applied in one transaction (`ShopDB.recording`), keyed by
what it is about (a LINE Pay transaction confirmed, a PayPal capture, a JKOPay order
paid), so the browser's return and the wallet's callback reporting the same payment
fulfil the order once between them, and a replay is acknowledged and changes nothing.
Callers check the amount and currency (`same_money`) before anything is recorded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from paylab.shop.db import ShopDB

#: The wallets by the cart's `pay_with` value, and their names on the shop's pages.
NAMES = {"linepay": "LINE Pay", "jkopay": "JKOPay", "paypal": "PayPal"}


def same_money(payment: dict[str, Any], value: Any, currency: Any) -> bool:
    """Whether `value` `currency` (as a wallet reports them) is what the shop charges for
    `payment`: the same number (`592`, `592.0`, `"592"` alike) and currency code."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str) or \
            not isinstance(currency, str):
        return False
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return False
    return number.is_finite() and number == Decimal(payment["value"]) and \
        currency.upper() == payment["currency"]


def fulfil(db: ShopDB, payment: dict[str, Any], key: str, reference: str) -> str:
    """Mark the payment's order paid and fulfil it, once; returns what happened."""
    order_id = payment["order_id"]
    with db.recording(key, f"{payment['gateway']}.paid") as first_time:
        if not first_time:
            return "duplicate"
        if not db.mark_paid(order_id, reference, None, key):
            return f"order {order_id} was not pending"
        db.empty_cart((db.order(order_id) or {}).get("cart", ""))
        return f"order {order_id} paid and fulfilled"


def cancel(db: ShopDB, payment: dict[str, Any], key: str, why: str = "canceled") -> str:
    """The shopper canceled at the wallet (or the wallet says it was never paid, or that
    it `failed`): a pending order becomes canceled, once; a paid one stays paid."""
    order_id = payment["order_id"]
    with db.recording(key, f"{payment['gateway']}.{why}") as first_time:
        if not first_time:
            return "duplicate"
        return f"order {order_id} canceled" if db.mark(order_id, "canceled") \
            else f"order {order_id} was not pending"

