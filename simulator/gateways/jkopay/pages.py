"""The approval page's HTML: the order (store, products, amount, expiry), the QR code of
the payment URL (qr.py) and the Approve and Cancel buttons; and one-message pages for the
outcomes.

Templates live beside this module; every value is escaped (simulator.ui.escape) unless it
is a fragment built here from escaped parts. Pages use the shared layout and stylesheet.
"""

from __future__ import annotations

import base64
from typing import Any

from paylab.simulator.gateways.jkopay import qr
from paylab.simulator.gateways.jkopay.wire import taiwan_time
from paylab.simulator.ui import Markup, PackageTemplates

Order = dict[str, Any]
PACKAGE = "paylab.simulator.gateways.jkopay"
#: This package's page templates.
TEMPLATES = PackageTemplates(PACKAGE)






def fragment(name: str, /, **values: Any) -> Markup:
    """A partial template, every value escaped."""
    return TEMPLATES.fragment(name, **values)


def page(name: str, title: str, /, **values: Any) -> str:
    """A whole page in the shared layout."""
    return TEMPLATES.page(fragment(name, **values), title)


def qr_svg(order: Order, payment_url: str) -> str:
    """The QR code of the payment URL (SVG); the labelled placeholder if the URL is too
    long for a version 15 code (a public URL of several hundred characters)."""
    try:
        return qr.svg(payment_url)
    except qr.TooLong:
        return str(fragment("qr.svg", label=f"NT$ {order['amount']:,}"))


def _qr_data_url(order: Order, payment_url: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(
        qr_svg(order, payment_url).encode()).decode()


def _back(url: str | None) -> Markup:
    return fragment("back.html", href=url, text="返回商店 Back to the shop") if url \
        else Markup("")


def approval(order: Order, *, payment_url: str, approve: str, cancel: str,
             back: str | None, error: str | None = None) -> str:
    """The approval page: what is paid, to whom, until when; Approve and Cancel."""
    products = order["extra"].get("products") or []
    rows = Markup("".join(fragment("product.html", name=p["name"], count=p["unit_count"],
                                   price=f"{p['unit_final_price'] * p['unit_count']:,}")
                          for p in products))
    return page("approve.html", "JKOPay 街口支付", back=_back(back),
                amount=f"{order['amount']:,}", store=order["extra"]["store_id"],
                order_no=order["merchant_order_no"], expires=taiwan_time(order["expires_at"]),
                products=rows, qr=_qr_data_url(order, payment_url), payment_url=payment_url,
                approve=approve, cancel=cancel,
                error=fragment("error.html", message=error) if error else Markup(""))


def message(order: Order | None, heading: str, text: str, testid: str,
            link: str | None = None) -> str:
    """A one-message page (paid, failed, cancelled, expired, link not valid)."""
    facts = fragment("facts.html", store=order["extra"]["store_id"],
                     order_no=order["merchant_order_no"], amount=f"{order['amount']:,}") \
        if order else Markup("")
    extra = fragment("link.html", href=link, text="返回商店 Back to the shop",
                     testid=f"{testid}-link") if link else Markup("")
    return page("message.html", heading, heading=heading, message=text, testid=testid,
                facts=facts, link=extra)
