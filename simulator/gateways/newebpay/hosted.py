"""The hosted MPG page an order's shopper pays on, its 3-D Secure step, and the Apple Pay /
Google Pay sheet's Approve (wallet_sheet.py).

GET shows the order as it stands: the method buttons and the chosen method's form while it
waits; the issued code (and the CustomerURL post) once a code is taken; the result (and the
ReturnURL post) once a card or WebATM payment is made or fails. POST pays or takes a code,
then redirects back to GET, so a reload never pays twice. The page is reached without a
key, as on NewebPay: its URL carries the order's page token (from the CSPRNG), and a request
without the right token finds nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import urllib.parse

from aiohttp import web
from paylab.simulator.core import cards
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError, InvalidRequest
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.newebpay import pages, render, wallet_sheet
from paylab.simulator.gateways.newebpay.mpg import page_path
from paylab.simulator.gateways.newebpay.pipeline import NewebPayContext
from paylab.simulator.gateways.newebpay.wire import error, read_pairs
from paylab.simulator.ui import PAYMENT_CHALLENGE, message_page, sheet
from paylab.simulator.ui import render as render_page

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")
#: The virtual account's bank per BankType (VACC), by its bank code.
BANK_CODES = {"HNCB": "008", "BOT": "004", "KGI": "809"}
CODE_PREFIX = "NWP"
#: The page's query flag for a result that has just happened (posted to the merchant).
FRESH = "done"


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _missing() -> web.Response:
    return _html(message_page("Payment not found 查無交易", "This payment link is not valid.",
                              "mpg-missing"), 404)


def check_card(fields: dict[str, str], today: dt.date) -> dict[str, str]:
    """Server-side checks of the card form (the messages the page shows)."""
    errors = {}
    number = re.sub(r"[\s-]", "", fields.get("cardnumber", ""))
    listed = number in cards.catalog().by_number
    if len(number) < 12 or not number.isdigit():
        errors["number"] = "Your card number is incomplete. 卡號不完整"
    elif len(number) > 19 or not (listed or cards.luhn_valid(number)):
        errors["number"] = "Your card number is invalid. 卡號錯誤"
    match = _EXPIRY.match(fields.get("expiry", ""))
    if match is None:
        errors["expiry"] = "Your card's expiration date is incomplete. 有效期限不完整"
    else:
        month, year = int(match.group(1)), int(match.group(2)) % 100 + 2000
        if not 1 <= month <= 12:
            errors["expiry"] = "Your card's expiration date is invalid. 有效期限錯誤"
        elif (year, month) < (today.year, today.month):
            errors["expiry"] = "Your card's expiration year is in the past. 卡片已過期"
    if not re.fullmatch(r"\d{3,4}", fields.get("cvc", "").strip()):
        errors["cvc"] = "Your card's security code is incomplete. 末三碼不完整"
    return errors


def code_expiry(order: Doc, issued_at: float) -> float:
    """When an issued code expires: ExpireDate at ExpireTime (CVS) or 23:59:59, Taiwan time;
    without ExpireDate, the 7th day counting the day of issue (NDNF-1.1.9 4.2.1)."""
    expiry = order["expiry"]
    if expiry.get("date"):
        day = dt.date.fromisoformat(expiry["date"])
    else:
        day = dt.datetime.fromtimestamp(issued_at, render.TAIPEI).date() + dt.timedelta(days=6)
    at = expiry.get("time", "235959") if order["method"] == "cvs" else "235959"
    moment = dt.datetime.combine(day, dt.time(int(at[:2]), int(at[2:4]), int(at[4:])),
                                 render.TAIPEI)
    return max(moment.timestamp(), issued_at + 60)  # today's ExpireTime may have passed


class Cashier:
    """The MPG page's handlers, over the orders service."""

    def __init__(self, ctx: NewebPayContext) -> None:
        self.ctx = ctx

    def lookup(self, request: web.Request) -> tuple[str, Doc] | None:
        """(tenant, order) when the URL's token is the order's own."""
        found = self.ctx.domain.orders.find_any(request.match_info["order"])
        if found is None or found[1]["gateway"] != "newebpay" or not same_credential(
                found[1].get("page_token"), request.query.get("token")):
            return None
        return found

    async def _posted(self, request: web.Request) -> tuple[str, Doc, dict[str, str]] | None:
        """The order a page posts to, with the posted fields (none when unreadable)."""
        found = self.lookup(request)
        if found is None:
            return None
        try:
            fields = dict(await read_pairs(request))
        except CoreError:
            fields = {}
        return found[0], found[1], fields

    def _redirect(self, order: Doc, *, fresh: bool = False) -> web.HTTPSeeOther:
        """Back to the page; `fresh`: a result that just happened, which the page posts to
        the merchant at once (a later visit shows it with the post's button only)."""
        return web.HTTPSeeOther(page_path(order["id"], order["page_token"])
                                + (f"&{FRESH}=1" if fresh else ""))

    async def show(self, request: web.Request) -> web.StreamResponse:
        """The page as the order stands."""
        found = self.lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        deadline = order["expiry"].get("page_deadline")
        if order["status"] == "created" and deadline and self.ctx.domain.clock.now() > deadline:
            order = self.ctx.domain.orders.expire(tenant, order["id"])  # TradeLimit passed
            await self.ctx.domain.store.durable()
            return _html(pages.error_page("MPG02004", error("MPG02004").message))
        if order["status"] == "needs_action":
            raise web.HTTPSeeOther(self._challenge_path(order))
        wallet = wallet_sheet.offered_wallet(order, request.query.get("method"))
        if wallet is not None:  # the wallet's button opens its (simulated) sheet
            return wallet_sheet.sheet_response(order, wallet)
        if order["status"] == "created":
            return self.choose(order, request.query.get("method"))
        return self.outcome(tenant, order, fresh=request.query.get(FRESH) == "1")

    def choose(self, order: Doc, method: str | None, status: int = 200, error_text: str = "",
               field_errors: dict[str, str] | None = None) -> web.Response:
        """The method buttons, and the form of the method chosen."""
        offered = [render.PAYMENT_TYPES[m] for m in order["methods"]]
        token = order["page_token"]
        html = pages.mpg_page(
            order, merchant=order["extra"].get("MerchantID", ""), token=token,
            action=f"/newebpay/MPG/pay/{order['id']}", post_action=page_path(order["id"], token),
            offered=offered, method=method if method in offered else None, error=error_text,
            field_errors=field_errors, banks=order["extra"].get("banks"))
        return _html(html, status)

    def outcome(self, tenant: str, order: Doc, *, fresh: bool = False) -> web.Response:
        """A code issued, a payment made or failed, or an order that ran out of time."""
        merchant = self.ctx.merchant(tenant)
        if order["status"] == "awaiting_payment":
            result = render.code_result(order, merchant.merchant_id)
            message = render.CODE_MESSAGES[result["PaymentType"]]
            url = order["callbacks"].get("customer")
            post = pages.post_form(url, render.result_form(order, merchant, "SUCCESS", message,
                                                           result), "customer-post",
                                   auto=fresh) \
                if url else None
            return _html(pages.code_page(order, _code_rows(order), post))
        if order["status"] in ("expired", "canceled"):
            return _html(message_page("Payment closed 交易已結束", "This payment code has expired "
                                      "or the payment was cancelled.", "mpg-closed"), 410)
        status, message = render.status_and_message(order)
        url = order["callbacks"].get("return")
        post = None
        if url and order["method"] in (*render.CARD_METHODS, "webatm"):
            result = render.payment_result(order, merchant.merchant_id)
            post = pages.post_form(url, render.result_form(order, merchant, status, message,
                                                           result), "return-post", auto=fresh)
        return _html(pages.result_page(order, render.trade_no(order), status, message, post))

    async def submit(self, request: web.Request) -> web.StreamResponse:
        """Pay by card or WebATM, or take a code; then back to GET."""
        posted = await self._posted(request)
        if posted is None:
            return _missing()
        tenant, order, fields = posted
        method = fields.get("method", "")
        if order["status"] != "created" or method not in [render.PAYMENT_TYPES[m]
                                                          for m in order["methods"]]:
            raise self._redirect(order)  # a second submit lands where the first did
        if method in wallet_sheet.WALLETS:  # a wallet pays from its sheet's Approve only
            raise web.HTTPSeeOther(page_path(order["id"], order["page_token"])
                                   + f"&method={method}")
        if method == "CREDIT":
            errors = check_card(fields, self.ctx.domain.methods.today())
            if errors:
                return self.choose(order, method, 400, "Please check the highlighted fields.",
                                   errors)
        origin = origin_of(request, request.get("paylab.request_id") or "", None)
        try:
            self._pay(tenant, order, method, fields, origin)
        except CardDeclined as declined:
            await self.ctx.domain.store.durable()
            current = self.ctx.domain.orders.get(tenant, order["id"])
            if current["status"] == "created":  # refused before any attempt (a bad card)
                return self.choose(current, method, 402, declined.message)
        except CoreError as exc:
            await self.ctx.domain.store.durable()
            return self.choose(order, method, 400, exc.message)
        await self.ctx.domain.store.durable()
        raise self._redirect(order, fresh=True)

    async def approve(self, request: web.Request) -> web.StreamResponse:
        """Approve on a wallet's sheet: pay by its chosen card as that wallet's card."""
        posted = await self._posted(request)
        if posted is None:
            return _missing()
        tenant, order, fields = posted
        wallet = request.query.get("wallet", "")
        if wallet not in wallet_sheet.WALLETS.values() or wallet not in order["methods"] \
                or order["status"] != "created":
            raise self._redirect(order)  # a second approve lands where the first did
        chosen = sheet.choice(wallet, fields.get("card"))
        if chosen is None:
            return wallet_sheet.sheet_response(order, wallet, 400,
                                               "Choose one of the wallet's cards.")
        domain = self.ctx.domain
        try:
            domain.orders.pay_by_card(
                tenant, order["id"], chosen[1]["number"], capture=False, wallet=wallet,
                origin=origin_of(request, request.get("paylab.request_id") or "", None))
        except CardDeclined:
            pass  # stored as the order's failure: the result page shows it
        except CoreError as exc:
            await domain.store.durable()
            return wallet_sheet.sheet_response(order, wallet, 400, exc.message)
        await domain.store.durable()
        raise self._redirect(order, fresh=True)

    def _pay(self, tenant: str, order: Doc, method: str, fields: dict[str, str],
             origin: object) -> None:
        orders, now = self.ctx.domain.orders, self.ctx.domain.clock.now()
        if method == "CREDIT":
            month, year = _EXPIRY.match(fields["expiry"]).groups()  # type: ignore[union-attr]
            orders.pay_by_card(tenant, order["id"], re.sub(r"[\s-]", "", fields["cardnumber"]),
                               exp_month=int(month), exp_year=int(year) % 100 + 2000,
                               cvc=fields["cvc"].strip(), capture=False, origin=origin)
        elif method == "WEBATM":
            if fields.get("bank", "HNCB") != "HNCB":  # NDNF-1.1.9 FAQ: the stage has HNCB only
                raise InvalidRequest("invalid_value", "送出後檢查，WebATM 銀行別錯誤 (the stage "
                                     "takes WebATM through Hua Nan Bank only)", param="bank")
            orders.pay_direct(tenant, order["id"], "webatm", origin=origin)
        else:
            neutral = render.METHODS[method]
            bank = fields.get("bank") if fields.get("bank") in BANK_CODES else "HNCB"
            orders.issue_code(tenant, order["id"], neutral,
                              expires_at=code_expiry({**order, "method": neutral}, now),
                              bank_code=BANK_CODES[bank], code_prefix=CODE_PREFIX, origin=origin)

    def _challenge_path(self, order: Doc) -> str:
        return f"/newebpay/MPG/3ds/{order['id']}?" + urllib.parse.urlencode(
            {"token": order["page_token"]})

    async def challenge(self, request: web.Request) -> web.Response:
        """The issuer's 3-D Secure page."""
        found = self.lookup(request)
        if found is None:
            return _missing()
        order = found[1]
        if order["status"] != "needs_action":
            raise self._redirect(order)
        card = order["card"] or {}
        return _html(render_page(
            "challenge.html", title="Confirm this payment", reference=order["id"],
            **PAYMENT_CHALLENGE,
            client_secret=order["page_token"],
            merchant=order["extra"].get("MerchantID", ""),
            amount=pages.amount_text(order["amount"]), brand=card.get("brand", "").title(),
            last4=card.get("last4", ""), action=self._challenge_path(order)))

    async def authenticate(self, request: web.Request) -> web.StreamResponse:
        """The shopper passed, failed or abandoned 3-D Secure."""
        posted = await self._posted(request)
        if posted is None:
            return _missing()
        tenant, order, fields = posted
        if order["status"] == "needs_action":
            # a decline after authentication raises once stored: the page shows the failure
            with contextlib.suppress(CoreError):
                self.ctx.domain.orders.complete_authentication(
                    tenant, order["id"], fields.get("result") == "passed",
                    origin=origin_of(request, request.get("paylab.request_id") or "", None))
            await self.ctx.domain.store.durable()
            raise self._redirect(order, fresh=True)
        raise self._redirect(order)


def _code_rows(order: Doc) -> list[tuple[str, str, str]]:
    code = order["code"] or {}
    if order["method"] == "atm":
        return [("Bank code 銀行代碼", code.get("bank_code", ""), "bank-code"),
                ("Account 轉帳帳號", code.get("account", ""), "virtual-account")]
    if order["method"] == "cvs":
        return [("Payment code 繳費代碼", code.get("payment_no", ""), "payment-no")]
    return [(f"Barcode {i + 1} 第{i + 1}段條碼", b, f"barcode-{i + 1}")
            for i, b in enumerate(code.get("barcodes") or [])]


def routes(ctx: NewebPayContext) -> list[web.RouteDef]:
    """The MPG page (GET, POST), its 3-D Secure step (GET, POST) and its script."""
    cashier = Cashier(ctx)

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=pages.script(), content_type="application/javascript")

    return [web.get("/MPG/pay/{order}", cashier.show), web.post("/MPG/pay/{order}", cashier.submit),
            web.get("/MPG/3ds/{order}", cashier.challenge),
            web.post("/MPG/3ds/{order}", cashier.authenticate),
            web.post("/MPG/wallet/{order}", cashier.approve),
            web.get("/MPG/autopost.js", script)]
