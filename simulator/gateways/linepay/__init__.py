"""LINE Pay Online API v3, mounted at /linepay: Request, Confirm, Capture, Void, Refund,
Payment Details and Check Request Status (gateways.md 3 and 8), signed with the channel
secret (X-LINE-Authorization over the raw request, each nonce good once), and the hosted
approval page paymentUrl.web opens (a simulated LINE login, then Approve or Cancel).
Each channel (X-LINE-ChannelId) is a tenant; paylab's stage channel works out of the box.
Preapproved (regKey) payments are not emulated (1154). LINE Pay sends no server
notifications (notify.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.kit.errors import Failure, guard
from paylab.simulator.gateways.linepay import hosted, pages, wire
from paylab.simulator.gateways.linepay.facts import facts, is_page
from paylab.simulator.gateways.linepay.notify import LinePayNotifier
from paylab.simulator.gateways.linepay.pipeline import GATEWAY as NAME
from paylab.simulator.gateways.linepay.pipeline import PREFIX, LinePayContext, endpoint
from paylab.simulator.gateways.linepay.routes import OPERATIONS
from paylab.simulator.gateways.spec import Gateway

log = logging.getLogger("paylab.linepay")

#: What the dashboard and scenario rules call the core's event kinds on LINE Pay (the steps
#: of its flow; none of them is a notification).
STEPS = {"order.created": "Request", "order.approved": "Approved", "order.paid": "Confirm",
         "order.authorized": "Confirm (authorization)", "order.captured": "Capture",
         "order.voided": "Void", "order.refunded": "Refund", "order.canceled": "Cancel",
         "order.expired": "Expired", "order.failed": "Failed"}


def answer(status: int, code: str, message: str, *, page: bool) -> web.Response:
    """An error in LINE Pay's shape: a LINE Pay page for a browser, JSON otherwise."""
    if page:
        return web.Response(status=status, content_type="text/html", text=pages.message(
            "LINE Pay error", f"{message} ({code})", "linepay-error"))
    return web.Response(status=status, body=wire.body(code, message),
                        content_type="application/json", charset="utf-8")


def failed(request: web.Request, failure: Failure, status: int, detail: str) -> web.Response:
    """Unrouted paths, bad methods, oversized bodies and crashes in LINE Pay's shape."""
    page = is_page(request.path.removeprefix(PREFIX))
    if failure == "unrouted":
        return answer(status, "2101", f"{wire.CODES['2101']} (no such LINE Pay API: {detail})",
                      page=page)
    if failure == "refused":
        return answer(status, "2101", f"{wire.CODES['2101']} ({detail})", page=page)
    return answer(status, "9000",
                  f"{wire.CODES['9000']} ({detail or 'simulator bug: see its log'})", page=page)


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected 429 or 5xx: returnCode 9000 with that HTTP status (a page on
    the approval page)."""
    return answer(status, "9000", message or f"{wire.CODES['9000']} (injected {status})",
                  page=is_page(request.path.removeprefix(PREFIX)))


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /linepay sub-application."""
    ctx = LinePayContext(domain, contracts, public_url)
    app = web.Application(middlewares=[guard(failed, log)], client_max_size=1024**2)
    app.add_routes([web.route(op.method, op.path, endpoint(op, ctx)) for op in OPERATIONS])
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> LinePayNotifier:
    """LINE Pay's notifier (it delivers nothing)."""
    return LinePayNotifier()


GATEWAY = Gateway(
    name=NAME,
    prefix=PREFIX,
    title="LINE Pay Online API v3",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    error_contract="linepay/error",
    facts=facts,
    fault=fault,
    refusal=lambda status, code, message: answer(status, "9000" if status >= 500 else "2101",
                                                 message, page=False),
    event_name=lambda kind: STEPS.get(kind, kind),
    fee_schedule=Path(__file__).resolve().parent / "fees.yaml",
)
