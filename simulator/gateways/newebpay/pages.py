"""NewebPay's hosted pages as HTML: the MPG payment page, the code issued (取號) page, the
payment result page, the MPG error page. Everything echoed is escaped by the templates
(simulator/ui); forms that post a result to the merchant submit themselves (autopost.js)
and keep a button for browsers without scripts.

Buttons and fields carry the names every paylab cashier uses (Credit card, ATM transfer,
Convenience store code, Barcode, WebATM; Card number, Expiry (MM/YY), CVC; Pay), with the
Chinese beside them hidden from the accessible name so `get_by_role(name=...)` matches.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.newebpay.wire import ENGLISH
from paylab.simulator.ui import Markup, PackageTemplates
from paylab.simulator.ui import fragment as shared_fragment

PACKAGE = "paylab.simulator.gateways.newebpay"
#: This package's page templates.
TEMPLATES = PackageTemplates(PACKAGE)
#: Served by the gateway's own route (the page's CSP allows scripts from its origin only).
SCRIPT_PATH = "/newebpay/MPG/autopost.js"
AUTOPOST = Markup(f'<script src="{SCRIPT_PATH}" defer></script>')
TAIPEI = dt.timezone(dt.timedelta(hours=8))
#: PaymentType -> (button label, Chinese, test id), in the page's order.
METHOD_BUTTONS = {
    "CREDIT": ("Credit card", "信用卡", "credit"),
    "VACC": ("ATM transfer", "ATM轉帳", "atm"),
    "CVS": ("Convenience store code", "超商代碼繳費", "cvs"),
    "BARCODE": ("Barcode", "超商條碼繳費", "barcode"),
    "WEBATM": ("WebATM", "網路ATM", "webatm"),
    "APPLEPAY": ("Apple Pay", "", "applepay"),
    "ANDROIDPAY": ("Google Pay", "", "googlepay"),
}
#: BankType -> what the bank list shows (gateways.md 2.3).
BANKS = {"HNCB": "華南銀行 Hua Nan Bank (008)", "BOT": "臺灣銀行 Bank of Taiwan (004)",
         "KGI": "凱基銀行 KGI Bank (809)"}






@cache
def script() -> str:
    """autopost.js: submits the page's result form at once."""
    return resources.files(PACKAGE).joinpath("templates", "autopost.js").read_text("utf-8")


def fragment(name: str, /, **values: Any) -> Markup:
    """A partial template of this package, every value escaped."""
    return TEMPLATES.fragment(name, **values)


def render(name: str, /, **values: Any) -> str:
    """A page of this package inside the shared layout (stylesheet, CSP), values escaped."""
    return TEMPLATES.page(fragment(name, **values), values.get("title", "NewebPay"),
                          values.get("scripts", ""))


def amount_text(amount: int) -> str:
    """NT$1,234."""
    return f"NT${amount:,}"


def error_page(code: str, message: str) -> str:
    """NewebPay's MPG error page: the code, its message, and what it means."""
    return render("error.html", title=f"{code} 交易失敗", code=code, message=message,
                  explanation=ENGLISH.get(code, ""))


def _back(url: str | None) -> Markup:
    return shared_fragment("link.html", href=url, text="Back to the shop 返回商店",
                    testid="mpg-back") if url else Markup("")


def mpg_page(order: Doc, *, merchant: str, token: str, action: str, post_action: str,
             offered: list[str],
             method: str | None, error: str = "", field_errors: Mapping[str, str] | None = None,
             banks: list[str] | None = None) -> str:
    """The MPG page: order summary, one button per method offered (a link to the page at
    `action` with that method), the chosen method's form (a POST to `post_action`; both
    carry the page token in the query, which the journal masks)."""
    errors = field_errors or {}
    query = {"token": token}
    buttons = Markup("".join(fragment(
        "method.html", href=f"{action}?{urllib.parse.urlencode({**query, 'method': m})}",
        label=METHOD_BUTTONS[m][0], chinese=METHOD_BUTTONS[m][1], testid=METHOD_BUTTONS[m][2],
        pressed=Markup(' aria-current="true"' if m == method else "")) for m in offered))
    total = amount_text(order["amount"])
    panel = Markup("")
    if method == "CREDIT":
        panel = fragment("card.html", action=post_action, total=total,
                         error_number=errors.get("number", ""),
                         error_expiry=errors.get("expiry", ""), error_cvc=errors.get("cvc", ""))
    elif method in METHOD_BUTTONS and method not in ("APPLEPAY", "ANDROIDPAY"):
        panel = _transfer(method, post_action, total, banks or list(BANKS))
    comment = order["extra"].get("OrderComment")
    return render(
        "mpg.html", title="NewebPay MPG 藍新金流", back=_back(
            order["callbacks"].get("client_back")), total=total, merchant=merchant,
        order_no=order["merchant_order_no"], item=order["description"],
        comment=fragment("row.html", label="Note 商店備註", value=comment,
                         testid="mpg-comment") if comment else "",
        error=shared_fragment("form_error.html", message=error) if error else "",
        buttons=buttons, panel=panel)


def _transfer(method: str, action: str, total: str, banks: list[str]) -> Markup:
    testid = METHOD_BUTTONS[method][2]
    explanations = {
        "VACC": "A virtual bank account is issued for this order; transfer the amount to it "
                "at an ATM or by online banking before it expires. 取得轉帳帳號後於期限內轉帳。",
        "CVS": "A payment code is issued for this order; pay it at a convenience store kiosk "
               "before it expires. 取得繳費代碼後至超商繳費。",
        "BARCODE": "A three-part barcode is issued for this order; show it at a convenience "
                   "store counter before it expires. 取得繳費條碼後至超商繳費。",
        "WEBATM": "Pay by online transfer from your bank account now (the stage completes it "
                  "at once through Hua Nan Bank). 網路ATM即時轉帳。",
    }
    bank_list = Markup("")
    if method in ("VACC", "WEBATM"):
        # Hua Nan first (the stage's WebATM bank); KGI takes ATM transfers only
        shown = sorted((b for b in banks if method == "VACC" or b != "KGI"),
                       key=lambda b: b != "HNCB")
        options = Markup("".join(fragment("option.html", value=b, label=BANKS[b])
                                 for b in shown))
        bank_list = fragment("banks.html", options=options)
    button = "Pay" if method == "WEBATM" else "Get payment code"
    return fragment("transfer.html", action=action, method=method, testid=testid,
                    explanation=explanations[method], banks=bank_list, button=button,
                    total=total)


def post_form(url: str, fields: Mapping[str, str], testid: str, *, auto: bool) -> Markup:
    """A form that posts `fields` to the merchant's `url`: at once (autopost.js) when the
    result has just happened, else when the shopper presses its button."""
    hidden = Markup("".join(fragment("hidden.html", name=k, value=v)
                            for k, v in fields.items()))
    return fragment("post.html", url=url, fields=hidden, testid=testid,
                    auto=Markup(" data-autopost" if auto else ""))


def code_page(order: Doc, rows: list[tuple[str, str, str]], post: Markup | None) -> str:
    """The code issued (取號完成) page: the code, the expiry, the CustomerURL post."""
    expires = dt.datetime.fromtimestamp(order["expires_at"], TAIPEI)
    return render(
        "code.html", title="取號完成 Payment code issued",
        heading="Payment code issued 取號完成",
        message="Pay the amount with the details below before they expire.",
        order_no=order["merchant_order_no"], total=amount_text(order["amount"]),
        rows=Markup("".join(fragment("row.html", label=label, value=value,
                                     testid=testid) for label, value, testid in rows)),
        expire=expires.strftime("%Y-%m-%d %H:%M:%S"), post=post or "",
        back=_back(order["callbacks"].get("client_back")), order_id=order["id"],
        scripts=AUTOPOST if post and "data-autopost" in post else "")


def result_page(order: Doc, trade_number: str, status: str, message: str,
                post: Markup | None) -> str:
    """The payment result page (and the ReturnURL post, when the merchant gave one)."""
    ok = status == "SUCCESS"
    return render(
        "result.html", title="NewebPay MPG 藍新金流",
        heading="Payment complete 付款完成" if ok else "Payment failed 付款失敗",
        status=status, message=message, order_no=order["merchant_order_no"],
        trade_no=trade_number, total=amount_text(order["amount"]), post=post or "",
        back=_back(order["callbacks"].get("client_back")),
        scripts=AUTOPOST if post and "data-autopost" in post else "")
