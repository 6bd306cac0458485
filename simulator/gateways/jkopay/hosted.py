"""The hosted approval page behind `payment_url`: the shopper approves (JKOPay pays at
once) or cancels; then the browser goes back to `result_display_url` with the
platform_order_id in its query (our reading), while the result_url callback goes out
through the outbox.

Pages are reached without credentials, as JKOPay's: the URL is the capability. The order
id in it is seeded, so the URL also carries the order's page token (from the CSPRNG); a
request without it, or with another, opens nothing. Every value shown is escaped.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.gateways.jkopay import pages, render
from paylab.simulator.gateways.jkopay.pipeline import PAY_PATH, JkoContext
from paylab.simulator.gateways.jkopay.wire import GATEWAY
from paylab.simulator.gateways.kit.pipeline import origin_of

#: The simulated shopper's wallet account (fraud rules see its id, as a card fingerprint).
ACCOUNT = {"id": "jko-stage-shopper", "funding": "balance", "country": "TW"}
#: A decline code -> what the wallet tells the shopper.
DECLINES = {"insufficient_funds": "餘額不足 Insufficient balance in the JKOPay account.",
            "fraudulent": "交易異常 This payment was blocked.",
            "card_declined": "付款失敗 The payment was declined."}
DECLINED = "付款失敗 The payment was declined."


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _missing() -> web.Response:
    return _html(pages.message(None, "Payment link not found",
                               "This JKOPay payment link is not valid. 此付款連結無效。",
                               "jkopay-missing"), 404)


def routes(ctx: JkoContext) -> list[web.RouteDef]:
    """The approval page, its QR image, and the Approve and Cancel posts."""
    orders = ctx.domain.orders

    def lookup(request: web.Request) -> tuple[str, dict[str, Any]] | None:
        found = orders.find_any(request.match_info["order"])
        if found is None or found[1]["gateway"] != GATEWAY or not same_credential(
                found[1].get("page_token"), request.query.get("token")):
            return None
        request["paylab.tenant"] = found[0]  # the journal files the page under its store
        return found

    def display(order: dict[str, Any]) -> str | None:
        url = order["callbacks"].get("result_display_url")
        return render.display_url(url, order["merchant_order_no"]) if url else None

    def late(order: dict[str, Any]) -> bool:
        return order["expires_at"] is not None and order["expires_at"] <= ctx.domain.clock.now()

    def state(order: dict[str, Any], error: str | None = None, status: int = 200
              ) -> web.Response:
        """The page an order's state calls for."""
        back = display(order)
        if order["status"] == "created" and render.status_code(order) == 1:
            return _html(pages.message(order, "付款處理中 Payment processing",
                                       "JKOPay is confirming this payment; the shop will be "
                                       "told. 付款確認中。", "jkopay-processing", back))
        if order["status"] == "created" and not late(order):
            return _html(pages.approval(order, payment_url=ctx.page_url(order),
                                        approve=ctx.page_url(order, "/approve"),
                                        cancel=ctx.page_url(order, "/cancel"), back=back,
                                        error=error), status)
        if order["status"] in ("paid", "authorized"):
            return _html(pages.message(order, "付款成功 Payment complete",
                                       "Thank you: the shop has been told. 交易成功。",
                                       "jkopay-paid", back))
        if order["status"] == "failed":
            reason = (order.get("failure") or {}).get("decline_code") or ""
            return _html(pages.message(order, "付款失敗 Payment failed",
                                       DECLINES.get(reason, DECLINED), "jkopay-failed", back),
                         402 if status == 200 else status)
        heading = ("已取消 Payment cancelled", "jkopay-canceled") \
            if order["status"] == "canceled" else ("付款期限已過 Payment expired",
                                                   "jkopay-expired")
        return _html(pages.message(order, heading[0], "This payment can no longer be made. "
                                   "此筆交易已無法付款。", heading[1], back), 410)

    def origin(request: web.Request) -> Any:
        return origin_of(request, "req_" + ctx.domain.rand.request_token(14), None)

    def onward(order: dict[str, Any]) -> web.HTTPSeeOther:
        """After a decision: back to the shop's display URL, or to the page's outcome."""
        return web.HTTPSeeOther(display(order) or ctx.page_url(order))

    async def show(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        return state(found[1]) if found else _missing()

    async def qr(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        return web.Response(text=pages.qr_svg(found[1], ctx.page_url(found[1])),
                            content_type="image/svg+xml",
                            headers={"Cache-Control": "no-store"})

    async def approve(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        if order["status"] != "created" or render.status_code(order) == 1:
            raise web.HTTPSeeOther(ctx.page_url(order))  # a second submit lands as the first
        try:
            order = orders.approve(tenant, order["id"], account=dict(ACCOUNT),
                                   origin=origin(request))
        except CardDeclined:
            await ctx.domain.store.durable()
            return state(orders.get(tenant, order["id"]), status=402)
        except CoreError as exc:
            await ctx.domain.store.durable()
            current = orders.get(tenant, order["id"])
            return state(current, exc.message, 400 if current["status"] == "created" else 410)
        await ctx.domain.store.durable()
        raise onward(order)

    async def cancel(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        tenant, order = found
        if order["status"] != "created" or render.status_code(order) == 1 or late(order):
            raise web.HTTPSeeOther(ctx.page_url(order))
        try:
            order = orders.abandon(tenant, order["id"], origin=origin(request))
        except CoreError as exc:
            return state(orders.get(tenant, order["id"]), exc.message, 400)
        await ctx.domain.store.durable()
        raise onward(order)

    path = PAY_PATH
    return [web.get(path, show), web.get(path + "/qr.svg", qr),
            web.post(path + "/approve", approve), web.post(path + "/cancel", cancel)]
