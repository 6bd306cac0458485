"""The buyer's approval pages behind an order's `approve` / `payer-action` link: log in as
a sandbox buyer, review the payment, then Approve (back to `return_url` with `token` and
`PayerID`, as PayPal redirects) or Cancel (back to `cancel_url` with `token`).

The link carries the order id (`token`, as PayPal's) and the order's page token
(`session`, from the CSPRNG): without the right page token nothing opens. Scenario
outcome overrides apply at approval: a decline ends the order, `processing` makes the
approval land later on the virtual clock.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from typing import Any

from aiohttp import web
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.paypal import checkout, pages, state, wire
from paylab.simulator.gateways.paypal.pipeline import PaypalContext
from paylab.simulator.ui import message_page

PATH = "/checkoutnow"
#: (tenant, PayPal's order document, the core order) behind a page's link.
Found = tuple[str, dict[str, Any], dict[str, Any]]
#: States that show a message instead of the login (heading, text, HTTP status).
ENDED = {
    "approved": ("Payment approved", "You approved this payment; the merchant completes it.",
                 200),
    "authorized": ("Payment complete", "This payment has been completed.", 200),
    "paid": ("Payment complete", "This payment has been completed.", 200),
    "canceled": ("Payment cancelled", "This payment was cancelled.", 410),
    "expired": ("Payment expired", "This payment link has expired; return to the merchant "
                "and try again.", 410),
    "failed": ("Payment declined", "Your payment method was declined for this payment.", 410),
}


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _missing() -> web.Response:
    return _html(message_page("Page not found", "This PayPal checkout link is not valid.",
                              "paypal-missing"), 404)


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query (what it had is kept)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def routes(ctx: PaypalContext) -> list[web.RouteDef]:
    """The login, review, approve and cancel steps."""
    domain = ctx.domain

    def lookup(request: web.Request) -> Found | None:
        found = domain.objects.find_any(state.ORDER_KIND, request.query.get("token", ""))
        if found is None:
            return None
        tenant, doc = found
        core = domain.orders.get(tenant, doc["order"])
        if not same_credential(core.get("page_token"), request.query.get("session")):
            return None
        request["paylab.tenant"] = tenant  # the journal files the page under its app
        return tenant, doc, core

    def step(doc: dict[str, Any], core: dict[str, Any], name: str) -> str:
        return f"/paypal{PATH}/{name}?" + urllib.parse.urlencode(
            {"token": doc["id"], "session": core["page_token"]})

    def ended(doc: dict[str, Any], core: dict[str, Any]) -> web.Response | None:
        """The page for an order the buyer can no longer approve, or None."""
        if core["status"] == "created" and not core.get("approval"):
            return None
        if core["status"] == "created":  # an approval on its way (processing override)
            heading, text, status = ENDED["approved"]
        else:
            heading, text, status = ENDED.get(core["status"], ENDED["canceled"])
        url = doc["experience"].get("return_url" if status == 200 else "cancel_url")
        link = (with_query(url, token=doc["id"]), "Return to the merchant") if url else None
        return _html(message_page(heading, text, f"paypal-{core['status']}", link), status)

    async def form(request: web.Request) -> dict[str, str]:
        try:
            text = (await request.read()).decode("utf-8")
            return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return {}

    async def show(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return _missing()
        _, doc, core = found
        return ended(doc, core) or _html(pages.login(doc, core, action=step(doc, core, "login"),
                                                     cancel=step(doc, core, "cancel")))

    def waiting(request: web.Request) -> Found | web.Response:
        """The order behind the link if the buyer can still act on it, else the page."""
        found = lookup(request)
        if found is None:
            return _missing()
        return ended(found[1], found[2]) or found

    async def login(request: web.Request) -> web.StreamResponse:
        found = waiting(request)
        if isinstance(found, web.Response):
            return found
        _, doc, core = found
        fields = await form(request)
        email = fields.get("email", "").strip()
        if "@" not in email or not fields.get("password"):
            return _html(pages.login(doc, core, action=step(doc, core, "login"),
                                     cancel=step(doc, core, "cancel"), email=email,
                                     error="Enter your email address and password."), 400)
        return _html(pages.review(doc, core, email=email, approve=step(doc, core, "approve"),
                                  cancel=step(doc, core, "cancel")))

    async def approve(request: web.Request) -> web.StreamResponse:
        found = waiting(request)
        if isinstance(found, web.Response):
            return found
        tenant, doc, core = found
        email = (await form(request)).get("email", "").strip() or pages.SANDBOX_EMAIL
        account = {"id": wire.payer_id(email), "email": email, "country": "US",
                   "funding": "balance", "given_name": "Sandbox", "surname": "Buyer"}
        origin = origin_of(request, wire.debug_id(), None)
        refused: CoreError | None = None
        with domain.store.atomic():
            try:
                domain.orders.approve(tenant, core["id"], account=account, origin=origin)
            except (CardDeclined, CoreError) as exc:  # kept by the core, shown below
                refused = exc
            else:
                checkout.record_payer(domain, tenant, doc, account)
        await domain.store.durable()
        core = domain.orders.get(tenant, core["id"])
        if refused is not None:
            return ended(doc, core) or _html(pages.review(
                doc, core, email=email, approve=step(doc, core, "approve"),
                cancel=step(doc, core, "cancel"), error=refused.message), 400)
        url = doc["experience"].get("return_url")
        if not url:
            return ended(doc, core) or _missing()
        raise web.HTTPSeeOther(with_query(url, token=doc["id"], PayerID=account["id"]))

    async def cancel(request: web.Request) -> web.StreamResponse:
        found = waiting(request)
        if isinstance(found, web.Response):
            return found
        tenant, doc, core = found
        with contextlib.suppress(CoreError):  # it moved on meanwhile: the page says where
            domain.orders.abandon(tenant, core["id"],
                                  origin=origin_of(request, wire.debug_id(), None))
        await domain.store.durable()
        url = doc["experience"].get("cancel_url")
        if not url:
            return ended(doc, domain.orders.get(tenant, core["id"])) or _missing()
        raise web.HTTPSeeOther(with_query(url, token=doc["id"]))

    return [web.get(PATH, show), web.post(PATH + "/login", login),
            web.post(PATH + "/approve", approve), web.post(PATH + "/cancel", cancel)]
