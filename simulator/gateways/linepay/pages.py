"""The approval page's HTML: the simulated LINE login, the payment sheet (Approve, Cancel,
funding choices) and one-message pages (link not valid, expired, declined, processing).

Templates live beside this module and use the shared layout and stylesheet (LINE's green
set as the page's brand colour); every value is escaped (simulator.ui.escape) unless it is
a fragment built here from escaped parts.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.linepay.wire import DECIMALS
from paylab.simulator.ui import Markup, PackageTemplates

Order = dict[str, Any]
SYMBOLS = {"TWD": "NT$", "JPY": "¥", "USD": "US$", "THB": "฿"}

#: This package's page templates.
TEMPLATES = PackageTemplates("paylab.simulator.gateways.linepay")






def fragment(name: str, /, **values: Any) -> Markup:
    """A partial template, every value escaped."""
    return TEMPLATES.fragment(name, **values)


def page(name: str, title: str, /, **values: Any) -> str:
    """A whole page in the shared layout, under LINE Pay's header."""
    return TEMPLATES.page(fragment(name, header=fragment("header.html"), **values), title)


def money(order: Order) -> str:
    """The order's amount as the sheet shows it (`NT$ 1,000`, `US$ 12.50`)."""
    currency = order["currency"].upper()
    decimals = DECIMALS.get(currency, 0)
    value = order["amount"] / 10 ** decimals
    return f"{SYMBOLS.get(currency, currency)} {value:,.{decimals}f}"


def summary(order: Order) -> Markup:
    """Merchant (channel), orderId, the products (one a line), amount."""
    products = [p for package in order["extra"]["packages"] for p in package["products"]]
    items = Markup("<br>".join(fragment("item.html", name=p["name"], quantity=p["quantity"])
                               for p in products))
    return fragment("summary.html", merchant=order["extra"]["channelId"], order_id=order[
        "merchant_order_no"], items=items, amount=money(order))


def login(order: Order, action: str) -> str:
    """Step 1: the simulated LINE login."""
    return page("login.html", "LINE Pay", summary=summary(order), action=action)


def sheet(order: Order, action: str) -> str:
    """Step 2: the payment sheet with Approve and Cancel."""
    return page("sheet.html", "LINE Pay", summary=summary(order), action=action)


def message(heading: str, text: str, testid: str,
            link: tuple[str, str] | None = None) -> str:
    """A one-message page, with an optional link (href, text) `<testid>-link`."""
    extra = fragment("link.html", href=link[0], text=link[1], testid=f"{testid}-link") \
        if link and link[0] else Markup("")
    return page("message.html", heading, heading=heading, message=text, testid=testid,
                link=extra)
