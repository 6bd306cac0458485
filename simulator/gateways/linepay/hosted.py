"""The shopper's side of a LINE Pay payment: paymentUrl.web opens a simulated LINE login,
then the payment sheet (amount, merchant, items; Approve, Cancel, and funding choices that
fail as LINE Pay does: a balance too low, 1142; a card that cannot be used, 1110).

Approve records the approval (`orders.approve`) and sends the browser to confirmUrl with
`transactionId` and `orderId` appended (our reading of what LINE Pay appends); Cancel
cancels the request and sends it to cancelUrl with the same parameters. A scenario's
outcome override at approval applies (a decline, or an approval that lands late). The URL
carries the order's page token: without it, or with another, nothing opens and nothing
changes; an expired, used or cancelled request shows a page that says so.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

from aiohttp import web
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.linepay import pages, render
from paylab.simulator.gateways.linepay.pipeline import GATEWAY, LinePayContext
from paylab.simulator.gateways.linepay.wire import CODES, DECLINES

PAGE = "/web/payment/wait"
#: The funding choices on the sheet: the wallet account approved, and the behaviour a
#: failing choice forces (a scenario's own override wins over it).
ACCOUNTS = {"balance": {"funding": "balance"},
            "card": {"funding": "card", "brand": "VISA", "last4": "1111",
                     "nickname": "paylab Visa"},
            "low_balance": {"funding": "balance"},
            "card_unusable": {"funding": "card", "brand": "VISA", "last4": "0002",
                              "nickname": "paylab blocked Visa"}}
FORCED = {"low_balance": Behaviour(outcome="decline", code="card_declined",
                                   decline_code="insufficient_funds", message=CODES["1142"]),
          "card_unusable": Behaviour(outcome="decline", code="card_declined",
                                     decline_code="card_not_supported", message=CODES["1110"])}
BACK = "Return to the merchant 返回商店"


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def back_url(order: dict[str, Any], which: str) -> str:
    """confirmUrl or cancelUrl with transactionId and orderId appended."""
    url = order["callbacks"][which]
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
             ("transactionId", str(render.transaction_id(order))),
             ("orderId", order["merchant_order_no"])]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def routes(ctx: LinePayContext) -> list[web.RouteDef]:
    """The approval page: GET shows a step, POST acts (login, approve, cancel)."""
    orders = ctx.domain.orders

    def lookup(request: web.Request) -> tuple[str, dict[str, Any]] | None:
        found = orders.find_any(request.query.get("transactionReserveId", ""))
        if found is None or found[1]["gateway"] != GATEWAY or not same_credential(
                found[1].get("page_token"), request.query.get("token")):
            return None
        request["paylab.tenant"] = found[0]  # the journal files the page under its channel
        return found

    def missing() -> web.Response:
        return _html(pages.message("Payment not found", "This LINE Pay link is not valid. "
                                   "此付款連結無效。", "linepay-missing"), 404)

    def state(order: dict[str, Any]) -> web.Response | None:
        """The page for an order no longer waiting for the shopper (None if it waits)."""
        lapsed = order["expires_at"] is not None and order["expires_at"] <= ctx.domain.clock.now()
        status = order["status"]
        if status == "created" and (order.get("approval") or {}).get("status") == "pending":
            return _html(pages.message("Processing your payment", "LINE Pay is processing "
                                       "this payment. 付款處理中。", "linepay-processing",
                                       (back_url(order, "confirm"), BACK)))
        if status == "created" and not lapsed:
            return None
        if status == "approved":
            return _html(pages.message("Payment approved", "You approved this payment; the "
                                       "merchant completes it. 已授權付款。", "linepay-approved",
                                       (back_url(order, "confirm"), BACK)))
        if status == "failed":
            return declined(order)
        heading = {"canceled": "Payment cancelled 已取消"}.get(
            status, "Payment expired 付款期限已過" if lapsed or status == "expired"
            else "Payment complete 付款完成")
        testid = f"linepay-{'expired' if lapsed else status}"
        return _html(pages.message(heading, "This payment can no longer be made here. "
                                   "此筆付款已無法進行。", testid), 410)

    def declined(order: dict[str, Any]) -> web.Response:
        code = DECLINES.get(str((order.get("failure") or {}).get("decline_code")), "1110")
        return _html(pages.message("Payment failed 付款失敗", f"{CODES[code]} ({code})",
                                   "linepay-declined", (back_url(order, "confirm"), BACK)), 402)

    async def show(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return missing()
        return state(found[1]) or _html(pages.login(found[1], request.path_qs))

    async def act(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return missing()
        tenant, order = found
        done = state(order)
        if done is not None:
            return done
        form = dict(urllib.parse.parse_qsl((await request.read()).decode("utf-8", "replace")))
        action = form.get("action")
        if action == "login":
            return _html(pages.sheet(order, request.path_qs))
        if action == "cancel":
            try:
                orders.abandon(tenant, order["id"], origin=origin_of(request))
            except CoreError:  # another process moved it meanwhile: show where it is
                return state(orders.get(tenant, order["id"])) or missing()
            await ctx.domain.store.durable()
            raise web.HTTPSeeOther(back_url(order, "cancel"))
        if action != "approve" or form.get("funding") not in ACCOUNTS:
            return _html(pages.sheet(order, request.path_qs), 400)
        return await approve(request, tenant, order, form["funding"])

    async def approve(request: web.Request, tenant: str, order: dict[str, Any],
                      funding: str) -> web.StreamResponse:
        origin = origin_of(request, "req_" + ctx.domain.rand.request_token(14))
        if origin.override is None and funding in FORCED:
            origin = dataclasses.replace(origin, override=FORCED[funding])
        account = {"id": f"line-member-{tenant}", **ACCOUNTS[funding]}
        try:
            order = orders.approve(tenant, order["id"], account=account, origin=origin)
        except CardDeclined:
            await ctx.domain.store.durable()
            return declined(orders.get(tenant, order["id"]))
        except CoreError:
            await ctx.domain.store.durable()
            return state(orders.get(tenant, order["id"])) or missing()
        await ctx.domain.store.durable()
        if order["extra"].get("confirmUrlType") == "NONE":
            return state(order) or missing()
        raise web.HTTPSeeOther(back_url(order, "confirm"))

    return [web.get(PAGE, show), web.post(PAGE, act)]
