"""Checkout on the form-post rails (ECPay AIO, NewebPay MPG).

These gateways take the order as a signed form that the shopper's own browser posts to
them (a server-to-server post is refused there), so checkout answers with a page holding
that form: a script submits it at once, and a Continue button does for browsers without
JavaScript. The order's trade (its number on the gateway, its amount in TWD) is stored
first, so the notifications that come back can be checked against it.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web
from paylab.shop import ecpay, newebpay
from paylab.shop.db import ShopDB
from paylab.shop.settings import ShopSettings
from paylab.shop.ui import Safe, page, part

#: The cart's `pay_with` values for these rails: (gateway, method).
CHOICES = {"ecpay-credit": ("ecpay", "credit"), "ecpay-cvs": ("ecpay", "cvs"),
           "newebpay": ("newebpay", "any")}
GATEWAY_NAMES = {"ecpay": "ECPay", "newebpay": "NewebPay"}
METHOD_NAMES = {"credit": "Credit card", "cvs": "Convenience store code",
                "any": "Card, ATM transfer or convenience store code"}


def twd_amount(amount: int, currency: str, rate: float) -> int:
    """Whole New Taiwan dollars for `amount` minor units of `currency` (half up, at least
    1): both rails charge integer TWD."""
    per_unit = Decimal(1) if currency.lower() == "twd" else Decimal(str(rate))
    twd = (Decimal(amount) * per_unit / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(int(twd), 1)


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL (for the page's form-action policy)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Rails:
    """Builds the payment forms; the settings hold each merchant's credentials."""

    settings: ShopSettings
    db: ShopDB

    def form(self, order: dict[str, Any], trade: dict[str, Any],
             names: list[str]) -> tuple[str, dict[str, str]]:
        """(action URL, fields) of the form that pays `order` under `trade`."""
        s, base, no = self.settings, self.settings.base_url, trade["trade_no"]
        back, returned = f"{base}/orders/{order['id']}", f"{base}/return/{trade['gateway']}"
        if trade["gateway"] == "ecpay":
            return s.ecpay_base + ecpay.CHECKOUT_PATH, ecpay.checkout_fields(
                merchant_id=s.ecpay_merchant_id, hash_key=s.ecpay_hash_key,
                hash_iv=s.ecpay_hash_iv, trade_no=no, amount=trade["amount"], items=names,
                choice=trade["method"], description=f"{s.name} order {order['id']}",
                return_url=f"{base}/notify/ecpay", info_url=f"{base}/notify/ecpay",
                result_url=f"{returned}/{order['id']}", back_url=back, now=datetime.now(UTC))
        return s.newebpay_base + newebpay.GATEWAY_PATH, newebpay.checkout_fields(
            merchant_id=s.newebpay_merchant_id, hash_key=s.newebpay_hash_key,
            hash_iv=s.newebpay_hash_iv, order_no=no, amount=trade["amount"],
            description=f"{s.name} order {order['id']}", notify_url=f"{base}/notify/newebpay",
            return_url=f"{returned}/{order['id']}", customer_url=f"{returned}/{order['id']}",
            back_url=back, timestamp=int(time.time()))

    def checkout(self, order: dict[str, Any], choice: str, cart_count: int) -> web.Response:
        """Store the order's trade and answer with the self-submitting payment form."""
        gateway, method = CHOICES[choice]
        amount = twd_amount(order["amount"], order["currency"], self.settings.twd_rate)
        trade = self.db.trade(self.db.create_trade(order["id"], gateway, method, amount))
        assert trade is not None
        names = [f"{item['name']} x {item['quantity']}" for item in order["items"]]
        action, fields = self.form(order, trade, names)
        inputs = Safe("".join(part("hidden_field.html", name=k, value=v)
                              for k, v in fields.items()))
        response = page("redirect.html", title="Paying", cart_count=cart_count,
                        gateway=GATEWAY_NAMES[gateway], action=action, fields=inputs,
                        trade=trade["trade_no"], amount=f"NT${amount:,}", order=order["id"])
        # The page posts to the gateway and nowhere else; never replayed from a cache.
        response.headers["Content-Security-Policy"] = f"form-action 'self' {origin(action)}"
        response.headers["Cache-Control"] = "no-store"
        return response


def describe(trade: dict[str, Any] | None, order: dict[str, Any]) -> Safe:
    """The order page's lines about a form-post trade: gateway, method, amount, and while
    the order waits, the code to pay with and its deadline (not once the gateway reported
    a failure, such as the code expiring: the order stays payable, the code does not)."""
    if trade is None:
        return Safe("")
    how = METHOD_NAMES.get(trade["method"], trade["method"])
    if trade["payment_type"]:
        how = f"{how} ({trade['payment_type']})"
    text = Safe(part("order_payment.html", gateway=GATEWAY_NAMES.get(trade["gateway"], ""),
                     method=how, amount=f"NT${trade['amount']:,}"))
    if trade["code"] and order["status"] == "pending" and not order["last_error"]:
        where = {"atm": "Transfer by ATM to bank and account",
                 "barcode": "Pay at a convenience store with barcodes"}
        text = Safe(text + part(
            "order_code.html", code=trade["code"], expires=trade["code_expires"] or "?",
            how=where.get(trade["code_kind"], "Pay at a convenience store with code")))
    return text
