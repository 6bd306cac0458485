"""The shop application: pages, the webhook and notice receivers, the wallets' returns,
the LINE Pay sweeper, static files."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from paylab.shop import catalog, notify, views, webhooks
from paylab.shop.db import ShopDB
from paylab.shop.formpost import Rails
from paylab.shop.gateway import Gateway
from paylab.shop.settings import ShopSettings
from paylab.shop.ui import page
from paylab.shop.wallets import flows, receivers, returns
from paylab.shop.wallets.sweeper import Sweeper, background

log = logging.getLogger("paylab.shop")
STATIC = Path(__file__).parent / "static"
#: The settings the shop runs with, its API key filled in (to print it at start).
SETTINGS = web.AppKey("settings", ShopSettings)
#: The shop's database (tests and tools read orders through it).
DB = web.AppKey("db", ShopDB)
#: The shop's wallets (tests drive their sweeps through it).
WALLETS = web.AppKey("wallets", flows.Wallets)


@web.middleware
async def _page_headers(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """HTML pages may not be framed by another site (clickjacking the checkout button).
    same-origin, not no-referrer: under no-referrer the shop's own forms post `Origin: null`."""
    response = await handler(request)
    if response.content_type == "text/html" and not response.prepared:
        csp = response.headers.get("Content-Security-Policy")
        response.headers["Content-Security-Policy"] = \
            f"{csp}; frame-ancestors 'none'" if csp else "frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@web.middleware
async def _not_found(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Unrouted URLs get the shop's own 404 (JSON under the status API), not aiohttp's
    plain text."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        if request.path.endswith("/status") or request.path.startswith("/webhooks/"):
            return web.json_response({"error": "not found"}, status=exc.status)
        return page("message.html", title="Not found", http_status=exc.status, cart_count=0,
                    heading="Page not found", text="There is no such page in this shop.")


def create_app(settings: ShopSettings) -> web.Application:
    """The shop for `settings`; it registers its webhook endpoint as it starts.

    Without an API key in `settings` it uses the one generated for its database."""
    db = ShopDB(settings.db)
    settings = dataclasses.replace(settings, api_key=settings.api_key or db.api_key())
    gateway = Gateway(settings, db)
    wallets = flows.Wallets(db, settings,
                            lambda request: sum(q for _, q in db.cart(views.cart_id(request))))
    shop = views.Shop(db, catalog.load(settings.products), gateway, Rails(settings, db),
                      wallets)
    secret: asyncio.Future[str] | None = None

    async def secret_of() -> str:
        nonlocal secret
        if secret is None or (secret.done() and secret.exception() is not None):
            secret = asyncio.ensure_future(gateway.webhook_secret())
        return await secret

    async def register(app: web.Application) -> AsyncIterator[None]:
        try:
            await secret_of()
        except Exception as exc:  # the gateway may start after us; the next webhook retries
            log.warning("could not register the webhook endpoint yet: %s", exc)
        yield
        await gateway.close()
        await wallets.http.close()

    app = web.Application(middlewares=[_page_headers, _not_found])
    app[SETTINGS] = settings
    app[DB] = db
    app[WALLETS] = wallets
    app.add_routes(views.routes(shop))
    app.router.add_post("/webhooks/stripe",
                        webhooks.receiver(db, secret_of, gateway.checkout_session))
    # the form-post rails (ECPay, NewebPay): server notices, then the shopper's browser
    app.router.add_post("/notify/ecpay", notify.ecpay_receiver(db, settings))
    app.router.add_post("/notify/newebpay", notify.newebpay_receiver(db, settings))
    app.router.add_post("/return/{gateway:ecpay|newebpay}/{order}",
                        notify.browser_return(db, settings))
    # the wallets (LINE Pay, JKOPay, PayPal): the browser's returns, then their callbacks
    app.add_routes(returns.routes(wallets))
    app.add_routes(receivers.routes(wallets))
    app.router.add_static("/static/", STATIC)
    app.cleanup_ctx.append(register)
    # after `register`, so it stops before the wallets' session closes
    app.cleanup_ctx.append(background(Sweeper(wallets, settings.linepay_sweep_seconds)))
    return app
