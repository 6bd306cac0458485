"""The shop application: pages, the webhook receiver, static files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from shop import catalog, views, webhooks
from shop.db import ShopDB
from shop.gateway import Gateway
from shop.settings import ShopSettings

log = logging.getLogger("shop")
STATIC = Path(__file__).parent / "static"


def create_app(settings: ShopSettings) -> web.Application:
    """The shop for `settings`; it registers its webhook endpoint as it starts."""
    db = ShopDB(settings.db)
    gateway = Gateway(settings, db)
    shop = views.Shop(db, catalog.load(settings.products), gateway)
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

    app = web.Application()
    app.add_routes(views.routes(shop))
    app.router.add_post("/webhooks/stripe", webhooks.receiver(db, secret_of))
    app.router.add_static("/static/", STATIC)
    app.cleanup_ctx.append(register)
    return app
