"""PayPal REST, mounted at /paypal: OAuth 2 client credentials (/v1/oauth2/token), Orders
v2 (create, show, authorize, capture), Payments v2 (authorizations, captures, refunds),
webhooks registered per app with their verify call, and the buyer's approval pages. Each
app (client id) is a tenant; the stage app in stage_merchants.yaml works out of the box,
and `paypal-server-sdk` works against it with only its base URL changed."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.kit.errors import Failure, guard
from paylab.simulator.gateways.paypal import hosted, oauth, wire
from paylab.simulator.gateways.paypal.facts import facts, is_page
from paylab.simulator.gateways.paypal.notify import PaypalNotifier
from paylab.simulator.gateways.paypal.pipeline import PaypalContext, endpoint
from paylab.simulator.gateways.paypal.routes import OPERATIONS
from paylab.simulator.gateways.paypal.webhooks import TYPE_OF
from paylab.simulator.gateways.spec import Gateway
from paylab.simulator.ui import message_page

log = logging.getLogger("paylab.paypal")

CONTEXT = web.AppKey("paypal_context", PaypalContext)


def answer(status: int, message: str | None = None, *, page: bool = False) -> web.Response:
    """An error in PayPal's shape: a message page for the buyer's browser, the REST error
    body otherwise."""
    if page:
        return web.Response(status=status, content_type="text/html", text=message_page(
            "PayPal is unavailable", message or "Something went wrong; try again later.",
            "paypal-error"))
    body = wire.error_body(status, message=message)
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json",
                        headers={"Paypal-Debug-Id": body["debug_id"]})


def failed(request: web.Request, failure: Failure, status: int, detail: str) -> web.Response:
    """Unrouted paths, bad methods, oversized bodies and crashes in PayPal's shape."""
    page = is_page(request.path.removeprefix("/paypal"))
    if failure == "unrouted":
        return answer(status, page=page)
    return answer(status, detail or "An internal server error has occurred in the simulator "
                  "(see its log).", page=page)


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected error: PayPal's error body (a message page on the buyer's
    pages)."""
    return answer(status, message, page=is_page(request.path.removeprefix("/paypal")))


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /paypal sub-application."""
    ctx = PaypalContext(domain, contracts, public_url)
    app = web.Application(middlewares=[guard(failed, log)], client_max_size=1024**2)
    app[CONTEXT] = ctx

    async def token(request: web.Request) -> web.Response:
        return await oauth.token(request, domain)

    app.router.add_post("/v1/oauth2/token", token)
    app.add_routes([web.route(op.method, op.path, endpoint(op, ctx)) for op in OPERATIONS])
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> PaypalNotifier:
    """Webhook deliveries for the dispatcher."""
    return PaypalNotifier(domain, public_url)


GATEWAY = Gateway(
    name="paypal",
    prefix="/paypal",
    title="PayPal REST (Orders v2, Payments v2, webhooks)",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    error_contract="paypal/error",
    security_scheme={"type": "http", "scheme": "bearer",
                     "description": "An access token from POST /paypal/v1/oauth2/token "
                                    "(HTTP Basic client_id:client_secret)"},
    tenant_of=lambda value: wire.tenant_of(value) if value.startswith("paylab-") else None,
    facts=facts,
    fault=fault,
    refusal=lambda status, code, message: answer(status, message),
    event_name=lambda kind: TYPE_OF.get(kind, kind),
    fee_schedule=Path(__file__).resolve().parent / "fees.yaml",
)
