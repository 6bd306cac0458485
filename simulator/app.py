"""The application factory: one root app, one sub-app per gateway, the control API,
and the webhook dispatcher as a background task tied to the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cache

from aiohttp import web

from simulator import control
from simulator.contracts import Contracts
from simulator.control.handlers import ControlContext
from simulator.control.routes import OPERATIONS as CONTROL_OPERATIONS
from simulator.core.clock import Clock
from simulator.core.domain import Domain
from simulator.core.store import Store
from simulator.gateways import all_gateways
from simulator.middlewares import journal_middleware
from simulator.openapi import build_openapi
from simulator.settings import Settings
from simulator.webhooks.dispatcher import Dispatcher

log = logging.getLogger("paylab")

SETTINGS = web.AppKey("settings", Settings)
DOMAIN = web.AppKey("domain", Domain)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)


def create_app(settings: Settings, contracts: Contracts | None = None) -> web.Application:
    """Build the simulator for `settings`; state opens now and closes with the app."""
    contracts = contracts or Contracts()
    store = Store(settings.db, synchronous=settings.synchronous)
    domain = Domain(store, Clock(settings.time_scale), settings.seed, settings.retry_schedule)
    gateways = all_gateways()

    app = web.Application(middlewares=[
        journal_middleware(domain.journal, {g.prefix: g.name for g in gateways}),
    ])
    app[SETTINGS] = settings
    app[DOMAIN] = domain
    for gateway in gateways:
        app.add_subapp(gateway.prefix, gateway.build(domain, contracts, settings.base_url))

    @cache
    def openapi() -> dict:
        return build_openapi(contracts, gateways, CONTROL_OPERATIONS)

    app.add_subapp("/_sim", control.build(ControlContext(
        domain, contracts, gateways, {"db": settings.db}, openapi,
    )))
    app[DISPATCHER] = Dispatcher(
        domain,
        {g.name: g.notifier(domain, settings.base_url) for g in gateways},
        timeout=settings.webhook_timeout,
    )
    app.cleanup_ctx.append(_lifetime)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    """Run the dispatcher while the app serves; close state after it stops."""
    domain = app[DOMAIN]
    task = asyncio.create_task(app[DISPATCHER].run(), name="webhook-dispatcher")
    if domain.recovered_deliveries:
        log.info("resuming %d webhook deliveries left in flight", domain.recovered_deliveries)
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    domain.store.close()
