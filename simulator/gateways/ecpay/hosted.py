"""The cashier after AioCheckOut: choose a payment type, pay by card (3-D Secure included),
by Apple Pay (a simulated wallet sheet: Approve pays by card with wallet=apple_pay, Cancel
comes back with nothing changed), or take an ATM, CVS or BARCODE code, pay by WebATM; then
the result, posted back to OrderResultURL (or linked to ClientBackURL), or the code, posted
on to ClientRedirectURL.

Pages are reached without credentials, as on ECPay: the URL is the capability. The order
id in it is seeded, so the URL also carries the order's page token (from the CSPRNG) and a
request without it finds nothing. Every value shown is escaped by the templates.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.core.methods import WALLETS
from paylab.simulator.gateways.ecpay import checkmac, checkout, pages, render, wire
from paylab.simulator.gateways.ecpay.pipeline import EcpayContext
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.ui import sheet

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$|^\s*(\d{2})(\d{2})\s*$")
PREFIX = "/Cashier/Order/{order}"
BACK = "返回商店 Return to the shop"


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _missing() -> web.Response:
    return _html(pages.message_page("Cashier not found", "This cashier link is not valid.",
                                    "cashier-missing"), 404)


def card_fields(fields: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The card typed in the form, or None and what is wrong with it."""
    number = re.sub(r"[\s-]", "", fields.get("cardnumber", ""))
    match = _EXPIRY.match(fields.get("expiry", ""))
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return None, "Your card number is incomplete. 卡號不完整。"
    if match is None:
        return None, "Your card's expiry date is incomplete (MM/YY). 有效期限不完整。"
    month, year = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    cvc = fields.get("cvc", "").strip()
    if not re.fullmatch(r"\d{3,4}", cvc):
        return None, "Your card's security code is incomplete. 安全碼不完整。"
    return {"number": number, "exp_month": int(month), "exp_year": int(year), "cvc": cvc}, ""


def routes(ctx: EcpayContext) -> list[web.RouteDef]:
    """The cashier's pages and its auto-submit script."""
    orders = ctx.domain.orders

    def lookup(request: web.Request) -> tuple[str, dict[str, Any]] | None:
        found = orders.find_any(request.match_info["order"])
        if found is None or found[1]["gateway"] != checkout.GATEWAY or not same_credential(
                found[1].get("page_token"), request.query.get("token")):
            return None
        request["paylab.tenant"] = found[0]  # the journal files the page under its merchant
        return found

    def origin(request: web.Request) -> Any:
        return origin_of(request, "req_" + ctx.domain.rand.request_token(14), None)

    async def form(request: web.Request) -> dict[str, str]:
        try:
            return dict(wire.parse_form(await request.read()))
        except CoreError:
            return {}

    def result(order: dict[str, Any]) -> web.Response:
        merchant = ctx.merchant_of(order)
        url, back = order["callbacks"].get("order_result"), order["callbacks"].get("client_back")
        if order["method"] in wire.CARD_PAYMENT_TYPES and url:
            fields = checkmac.signed(render.result_fields(order, render.BROWSER_RESULT),
                                     merchant, int(order["extra"].get("EncryptType", "1")))
            redirect = pages.post_back(url, fields, BACK, "order-result")
        else:
            redirect = pages.fragment("link.html", href=back, text="返回商店 Back to the shop",
                                      testid="client-back") if back else pages.Markup("")
        return _html(pages.result_page(order, "付款成功 Payment complete",
                                       "Thank you: the shop has been told. 交易成功。", redirect))

    def code(order: dict[str, Any]) -> web.Response:
        url = order["callbacks"].get("client_redirect")
        redirect = pages.Markup("")
        if url:
            merchant = ctx.merchant_of(order)
            fields = checkmac.signed(render.code_fields(order), merchant,
                                     int(order["extra"].get("EncryptType", "1")))
            redirect = pages.post_back(url, fields, BACK, "client-redirect")
        return _html(pages.code_page(order, redirect))

    def state(order: dict[str, Any], error: str | None = None, status: int = 200
              ) -> web.StreamResponse:
        """The page an order's state calls for."""
        if order["status"] == "created" or (order["status"] == "failed" and not order["code"]):
            message = error or (order["failure"] or {}).get("message")
            return _html(pages.cashier(order, ctx.cashier_url(order, "/choose"), message), status)
        if order["status"] == "needs_action":
            raise web.HTTPSeeOther(ctx.cashier_url(order, "/3ds"))
        if order["status"] == "awaiting_payment":
            return code(order)
        if order["status"] in ("authorized", "paid"):
            return result(order)
        heading = {"expired": "付款期限已過 Payment expired",
                   "failed": "付款失敗 Payment failed"}.get(order["status"], "交易已取消 Canceled")
        return _html(pages.message_page(
            heading, "This payment can no longer be made. 此筆交易已無法付款。",
            f"cashier-{order['status']}",
            (order["callbacks"].get("client_back", ""), "返回商店 Back to the shop")), 410)

    async def show(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        return state(found[1]) if found else _missing()

    async def choose(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        choice = (await form(request)).get("payment", "")
        method = wire.METHODS.get(choice)
        if order["status"] not in ("created", "failed") or method is None:
            return state(order, None if method else "Choose a payment type. 請選擇付款方式。", 400)
        if method not in order["methods"]:
            return state(order, f"{choice} is not offered for this order.", 400)
        if method == "card":
            return _html(pages.card_form(order, ctx.cashier_url(order, "/card")))
        if method in WALLETS:  # the device's sheet opens; nothing is paid until Approve
            raise web.HTTPSeeOther(ctx.cashier_url(order, "/wallet") + f"&wallet={method}")
        try:
            if method == "webatm":
                order = orders.pay_direct(tenant, order["id"], method, origin=origin(request))
            else:
                now = ctx.domain.clock.now()
                order = orders.issue_code(
                    tenant, order["id"], method,
                    expires_at=checkout.code_expiry(order, method, now),
                    bank_code=checkout.bank_code(order), code_prefix=checkout.CVS_PREFIX,
                    origin=origin(request))
        except CoreError as exc:
            await ctx.domain.store.durable()
            return state(orders.get(tenant, order["id"]), exc.message, 400)
        await ctx.domain.store.durable()
        raise web.HTTPSeeOther(ctx.cashier_url(order))

    async def pay(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        if order["status"] not in ("created", "failed"):
            raise web.HTTPSeeOther(ctx.cashier_url(order))  # a second submit lands as the first
        card, problem = card_fields(await form(request))
        if card is None:
            return _html(pages.card_form(order, ctx.cashier_url(order, "/card"), problem), 400)
        try:
            order = orders.pay_by_card(tenant, order["id"], card["number"],
                                       exp_month=card["exp_month"], exp_year=card["exp_year"],
                                       cvc=card["cvc"], capture=False, origin=origin(request))
        except CardDeclined as declined:
            await ctx.domain.store.durable()
            return _html(pages.card_form(orders.get(tenant, order["id"]),
                                         ctx.cashier_url(order, "/card"), declined.message), 402)
        except CoreError as exc:
            await ctx.domain.store.durable()
            return _html(pages.card_form(order, ctx.cashier_url(order, "/card"), exc.message),
                         400)
        await ctx.domain.store.durable()
        step = "/3ds" if order["status"] == "needs_action" else ""
        raise web.HTTPSeeOther(ctx.cashier_url(order, step))

    async def challenge(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        order = found[1]
        if order["status"] != "needs_action":
            raise web.HTTPSeeOther(ctx.cashier_url(order))
        return _html(pages.challenge(order, ctx.cashier_url(order, "/3ds")))

    async def authenticated(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        if order["status"] != "needs_action":
            raise web.HTTPSeeOther(ctx.cashier_url(order))
        outcome = (await form(request)).get("result")
        try:
            order = orders.complete_authentication(tenant, order["id"], outcome == "passed",
                                                   origin=origin(request))
        except CardDeclined as declined:
            await ctx.domain.store.durable()
            message = ("3-D Secure was cancelled; choose a payment type again. 已取消驗證。"
                       if outcome == "abandoned" else declined.message)
            return _html(pages.card_form(orders.get(tenant, order["id"]),
                                         ctx.cashier_url(order, "/card"), message), 402)
        await ctx.domain.store.durable()
        raise web.HTTPSeeOther(ctx.cashier_url(order))

    def wallet_of(request: web.Request, order: dict[str, Any]) -> str | None:
        wallet = request.query.get("wallet", "")
        return wallet if wallet in WALLETS and wallet in order["methods"] else None

    def sheet_page(order: dict[str, Any], wallet: str, status: int = 200,
                   error: str | None = None) -> web.Response:
        return _html(sheet.page(
            wallet, merchant=order["extra"]["MerchantID"], amount=f"NT${order['amount']:,}",
            approve_action=ctx.cashier_url(order, "/wallet") + f"&wallet={wallet}",
            cancel_action=f"/ecpay/Cashier/Order/{order['id']}", token=order["page_token"],
            error=error), status)

    async def wallet_sheet(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        order = found[1]
        wallet = wallet_of(request, order)
        if order["status"] not in ("created", "failed") or order["code"] or wallet is None:
            raise web.HTTPSeeOther(ctx.cashier_url(order))
        return sheet_page(order, wallet)

    async def wallet_approve(request: web.Request) -> web.StreamResponse:
        """Approve on the sheet: pay by the chosen card as an Apple Pay card (authorised,
        closed later like any card)."""
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        wallet = wallet_of(request, order)
        if order["status"] not in ("created", "failed") or order["code"] or wallet is None:
            raise web.HTTPSeeOther(ctx.cashier_url(order))  # a second approve lands as the first
        chosen = sheet.choice(wallet, (await form(request)).get("card"))
        if chosen is None:
            return sheet_page(order, wallet, 400, "Choose one of the wallet's cards.")
        number = chosen[1]["number"]
        try:
            order = orders.pay_by_card(tenant, order["id"], number, capture=False,
                                       wallet=wallet, origin=origin(request))
        except CardDeclined as declined:
            await ctx.domain.store.durable()
            return state(orders.get(tenant, order["id"]), declined.message, 402)
        except CoreError as exc:
            await ctx.domain.store.durable()
            return state(orders.get(tenant, order["id"]), exc.message, 400)
        await ctx.domain.store.durable()
        step = "/3ds" if order["status"] == "needs_action" else ""
        raise web.HTTPSeeOther(ctx.cashier_url(order, step))

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=pages.script(), content_type="text/javascript")

    return [web.get(PREFIX, show), web.post(PREFIX + "/choose", choose),
            web.post(PREFIX + "/card", pay), web.get(PREFIX + "/3ds", challenge),
            web.post(PREFIX + "/3ds", authenticated),
            web.get(PREFIX + "/wallet", wallet_sheet), web.post(PREFIX + "/wallet", wallet_approve),
            web.get("/Cashier/static/autosubmit.js", script)]
