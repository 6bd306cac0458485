"""The 3-D Secure challenge page behind `next_action.redirect_to_url`.

GET shows the issuer page; POST applies the shopper's choice to the payment and redirects
to the merchant's `return_url` with Stripe's query parameters.
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.money import display_amount
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.stripe import form
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.pipeline import StripeContext
from paylab.simulator.ui import message_page, render

RESULTS = ("passed", "failed", "abandoned")


def _page(status: int, heading: str, message: str, testid: str) -> web.Response:
    return web.Response(status=status, text=message_page(heading, message, testid),
                        content_type="text/html")


def _lookup(ctx: StripeContext, payment_id: str, secret: str) -> tuple[str, dict] | None:
    found = ctx.domain.objects.find_any(v.PAYMENT, payment_id)
    if found is None or not same_credential(found[1]["client_secret"], secret):
        return None
    return found


def routes(ctx: StripeContext) -> list[web.RouteDef]:
    """GET and POST of the challenge page."""

    async def show(request: web.Request) -> web.Response:
        q = request.query
        found = _lookup(ctx, q.get("payment_intent", ""), q.get("client_secret", ""))
        if found is None:
            return _page(404, "Payment not found", "This authentication link is not valid.",
                         "challenge-missing")
        _, pay = found
        if pay["status"] != v.NEEDS_ACTION:
            return _page(409, "Nothing to authenticate",
                         f"This payment is {words.status(pay['status']).replace('_', ' ')}.",
                         "challenge-done")
        card = ctx.domain.methods.get(found[0], pay["payment_method"])["card"]
        session = ctx.domain.objects.tagged(found[0], "checkout_session", pay["id"])
        merchant = (session or {}).get("metadata", {}).get("merchant_name") \
            or pay.get("description") or "Test merchant"
        html = render(
            "challenge.html", title="Confirm this payment", payment_intent=pay["id"],
            client_secret=pay["client_secret"], merchant=merchant,
            amount=display_amount(pay["amount"], pay["currency"]), brand=card["brand"].title(),
            last4=card["last4"], action="/stripe/3ds/authenticate",
        )
        return web.Response(text=html, content_type="text/html")

    async def submit(request: web.Request) -> web.Response:
        try:
            fields = dict(form.parse_pairs(await request.read()))
        except CoreError:
            fields = {}
        found = _lookup(ctx, fields.get("payment_intent", ""), fields.get("client_secret", ""))
        if found is None or fields.get("result") not in RESULTS:
            return _page(400, "Payment not found", "This authentication request is not valid.",
                         "challenge-missing")
        tenant, pay = found
        try:
            pay = ctx.domain.payments.authenticate(tenant, pay["id"], fields["result"],
                                                   origin=origin_of(request))
        except CoreError:
            pay = ctx.domain.payments.get(tenant, pay["id"])  # declined after auth: still redirect
        await ctx.domain.store.durable()
        if not pay.get("return_url"):
            ok = pay["status"] in (v.SUCCEEDED, v.AUTHORIZED)
            return _page(200, "Authentication complete" if ok else "Authentication failed",
                         "You can close this window.", "challenge-result")
        query = urllib.parse.urlencode({
            "payment_intent": pay["id"],
            "payment_intent_client_secret": pay["client_secret"],
            "redirect_status": "succeeded" if pay["status"] in (v.SUCCEEDED, v.AUTHORIZED)
            else "failed",
        })
        sep = "&" if urllib.parse.urlsplit(pay["return_url"]).query else "?"
        raise web.HTTPSeeOther(pay["return_url"] + sep + query)

    return [web.get("/3ds/authenticate", show), web.post("/3ds/authenticate", submit)]
