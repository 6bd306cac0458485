"""The 3-D Secure challenge page behind `next_action.redirect_to_url`.

GET shows the issuer page; POST applies the shopper's choice to the PaymentIntent (or
SetupIntent: the link names `setup_intent` instead of `payment_intent`) and redirects to
the merchant's `return_url` with Stripe's query parameters.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.money import display_amount
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.stripe import form
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.pipeline import StripeContext
from paylab.simulator.ui import PAYMENT_CHALLENGE, message_page, render

RESULTS = ("passed", "failed", "abandoned")
#: The issuer page's words for saving a card (nothing is charged).
SETUP_CHALLENGE = {
    "heading": "Confirm this card", "for_label": "Saved for", "amount": "No charge now",
    "lead": "Your bank wants to make sure it is really you before the card is saved for "
            "later payments. Nothing is charged now.",
    "reference_field": "setup_intent",
}
#: The query (and form) parameter naming the intent -> its core kind.
INTENTS = {"payment_intent": v.PAYMENT, "setup_intent": v.SETUP}


def _page(status: int, heading: str, message: str, testid: str) -> web.Response:
    return web.Response(status=status, text=message_page(heading, message, testid),
                        content_type="text/html")


def _lookup(ctx: StripeContext, given: Mapping[str, str]
            ) -> tuple[str, str, dict[str, Any]] | None:
    """(intent parameter, tenant, document) of the intent the link or form names."""
    name = "setup_intent" if "setup_intent" in given else "payment_intent"
    found = ctx.domain.objects.find_any(INTENTS[name], given.get(name, ""))
    if found is None or not same_credential(found[1]["client_secret"],
                                            given.get("client_secret", "")):
        return None
    return name, found[0], found[1]


def _merchant(ctx: StripeContext, tenant: str, doc: dict[str, Any]) -> str:
    session = ctx.domain.objects.tagged(tenant, v.CHECKOUT, doc["id"])
    return ((session or {}).get("metadata", {}).get("merchant_name")
            or doc.get("description") or "Test merchant")


def routes(ctx: StripeContext) -> list[web.RouteDef]:
    """GET and POST of the challenge page."""

    async def show(request: web.Request) -> web.Response:
        found = _lookup(ctx, request.query)
        if found is None:
            return _page(404, "Payment not found", "This authentication link is not valid.",
                         "challenge-missing")
        name, tenant, doc = found
        if doc["status"] != v.NEEDS_ACTION:
            what = "payment" if name == "payment_intent" else "card setup"
            return _page(409, "Nothing to authenticate",
                         f"This {what} is {words.status(doc['status']).replace('_', ' ')}.",
                         "challenge-done")
        card = ctx.domain.methods.get(tenant, doc["payment_method"])["card"]
        facts = {"merchant": _merchant(ctx, tenant, doc), "client_secret": doc["client_secret"],
                 "brand": card["brand"].title(), "last4": card["last4"],
                 "action": "/stripe/3ds/authenticate"}
        if name == "setup_intent":
            html = render("challenge.html", title="Confirm this card", reference=doc["id"],
                          **SETUP_CHALLENGE, **facts)
        else:
            html = render("challenge.html", title="Confirm this payment", reference=doc["id"],
                          amount=display_amount(doc["amount"], doc["currency"]),
                          **PAYMENT_CHALLENGE, **facts)
        return web.Response(text=html, content_type="text/html")

    async def submit(request: web.Request) -> web.Response:
        try:
            fields = dict(form.parse_pairs(await request.read()))
        except CoreError:
            fields = {}
        found = _lookup(ctx, fields)
        if found is None or fields.get("result") not in RESULTS:
            return _page(400, "Payment not found", "This authentication request is not valid.",
                         "challenge-missing")
        name, tenant, doc = found
        service = ctx.domain.setups if name == "setup_intent" else ctx.domain.payments
        try:
            doc = service.authenticate(tenant, doc["id"], fields["result"],
                                       origin=origin_of(request))
        except CoreError:
            doc = service.get(tenant, doc["id"])  # declined after auth: still redirect
        await ctx.domain.store.durable()
        ok = doc["status"] in (v.SUCCEEDED, v.AUTHORIZED)
        if not doc.get("return_url"):
            return _page(200, "Authentication complete" if ok else "Authentication failed",
                         "You can close this window.", "challenge-result")
        query = urllib.parse.urlencode({
            name: doc["id"], f"{name}_client_secret": doc["client_secret"],
            "redirect_status": "succeeded" if ok else "failed",
        })
        sep = "&" if urllib.parse.urlsplit(doc["return_url"]).query else "?"
        raise web.HTTPSeeOther(doc["return_url"] + sep + query)

    return [web.get("/3ds/authenticate", show), web.post("/3ds/authenticate", submit)]
