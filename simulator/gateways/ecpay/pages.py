"""The cashier's HTML: ECPay's error page, the payment-type choice, the card form, the
issued code, the result (with its post back to the merchant) and the 3-D Secure page.

Templates live beside this module; every value is escaped (simulator.ui.escape) unless it
is a fragment built here from escaped parts. Pages use the shared layout and stylesheet.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from paylab.simulator.gateways.ecpay.wire import CHOICES, payment_type, taiwan_date, taiwan_time
from paylab.simulator.ui import Markup, PackageTemplates, escape

Order = dict[str, Any]

#: Button names (exactly these, for tests driving the page by role) and their Chinese.
BUTTONS = {"Credit": ("Credit card", "信用卡"), "ATM": ("ATM transfer", "ATM 轉帳"),
           "CVS": ("Convenience store code", "超商代碼"), "BARCODE": ("Barcode", "超商條碼"),
           "WebATM": ("WebATM", "網路 ATM"), "ApplePay": ("Apple Pay", "")}

#: This package's page templates.
TEMPLATES = PackageTemplates("paylab.simulator.gateways.ecpay")






def script() -> str:
    """The auto-submit script (served by the cashier's routes)."""
    return resources.files("paylab.simulator.gateways.ecpay").joinpath(
        "templates", "autosubmit.js").read_text("utf-8")


def fragment(name: str, /, **values: Any) -> Markup:
    """A partial template, every value escaped."""
    return TEMPLATES.fragment(name, **values)


def page(name: str, title: str, /, **values: Any) -> str:
    """A whole page in the shared layout."""
    return TEMPLATES.page(fragment(name, **values), title)


def error_page(code: str, message: str) -> str:
    """ECPay's error page for a refused browser post: the code and its message."""
    return page("error.html", "ECPay error", code=code, message=message)


def message_page(heading: str, message: str, testid: str,
                 link: tuple[str, str] | None = None) -> str:
    """A one-message page (link not valid, code expired...)."""
    extra = fragment("link.html", href=link[0], text=link[1], testid=f"{testid}-link") \
        if link and link[0] else ""
    return page("message.html", heading, heading=heading, message=message, testid=testid,
                link=extra)


def summary(order: Order) -> Markup:
    """The order: merchant, MerchantTradeNo, items (one a line: ItemName separates them with
    `#`, gateways.md 1.3), amount."""
    items = Markup("<br>".join(escape(item) for item in order["description"].split("#")))
    return fragment("summary.html", merchant=order["extra"]["MerchantID"],
                    trade_no=order["merchant_order_no"], items=items,
                    amount=f"{order['amount']:,}")


def _error(message: str | None) -> Markup:
    return Markup(f'<p class="form-error" role="alert" data-testid="form-error">'
                  f'{escape(message)}</p>') if message else Markup("")


def _back(order: Order) -> Markup:
    url = order["callbacks"].get("client_back")
    return fragment("link.html", href=url, text="返回商店 Back to the shop",
                    testid="client-back") if url else Markup("")


def cashier(order: Order, action: str, error: str | None = None) -> str:
    """The payment-type choice, one button per offered method."""
    buttons = Markup("".join(fragment("button.html", value=CHOICES[m], label=BUTTONS[CHOICES[m]][0],
                                      chinese=BUTTONS[CHOICES[m]][1])
                             for m in order["methods"]))
    return page("cashier.html", "ECPay cashier", summary=summary(order), error=_error(error),
                action=action, buttons=buttons, back=_back(order))


def card_form(order: Order, action: str, error: str | None = None,
              field_error: str = "") -> str:
    """The card form: Card number, Expiry (MM/YY), CVC, Pay."""
    return page("card.html", "ECPay credit card", summary=summary(order), error=_error(error),
                action=action, field_error=field_error, back=_back(order))


def post_back(url: str, fields: dict[str, str], label: str, testid: str, *,
              auto: bool = True) -> Markup:
    """A form posting `fields` to the merchant's `url` (submitted at once by the script)."""
    inputs = Markup("".join(fragment("hidden.html", name=k, value=v) for k, v in fields.items()))
    return fragment("post_back.html", action=url, auto="1" if auto else "0", inputs=inputs,
                    label=label, testid=testid)


def code_page(order: Order, redirect: Markup) -> str:
    """The issued code with its expiry; `redirect` posts it on to ClientRedirectURL, and
    ClientBackURL, when given, is the shopper's way back to the shop."""
    code, method = order["code"], order["method"]
    if method == "atm":
        rows = [("銀行代碼 Bank code", "bank-code", code["bank_code"]),
                ("虛擬帳號 Virtual account", "virtual-account", code["account"])]
        heading, expire = "ATM 轉帳資訊 ATM transfer", taiwan_date(order["expires_at"])
    elif method == "cvs":
        rows = [("繳費代碼 Payment code", "payment-no", code["payment_no"])]
        heading, expire = "超商代碼 Convenience store code", taiwan_time(order["expires_at"])
    else:
        rows = [(f"條碼 {i} Barcode {i}", f"barcode-{i}", part)
                for i, part in enumerate(code["barcodes"], 1)]
        rows.append(("繳費條碼 Payment barcode", "payment-no", " ".join(code["barcodes"])))
        heading, expire = "超商條碼 Barcode", taiwan_time(order["expires_at"])
    return page("code.html", heading, heading=heading,
                lead="Pay this amount before the deadline. 請於期限內繳費。",
                summary=summary(order), expire_date=expire, redirect=redirect, back=_back(order),
                rows=Markup("".join(fragment("row.html", label=label, testid=testid, value=value)
                                    for label, testid, value in rows)))


def result_page(order: Order, heading: str, lead: str, redirect: Markup) -> str:
    """The payment's result; `redirect` posts it to OrderResultURL (or links back)."""
    return page("result.html", heading, heading=heading, lead=lead, summary=summary(order),
                reference=order["reference"], payment_type=payment_type(order),
                redirect=redirect)


def challenge(order: Order, action: str) -> str:
    """The simulated issuer's 3-D Secure page: pass, fail, cancel."""
    card = order["card"] or {}
    return page("challenge.html", "3-D Secure", merchant=order["extra"]["MerchantID"],
                amount=f"{order['amount']:,}", brand=card.get("brand", "card").title(),
                last4=card.get("last4", ""), action=action)
