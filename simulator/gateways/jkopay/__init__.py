"""JKOPay (街口支付) OnlinePay, mounted at /jkopay: the Entry, Refund and Inquiry APIs
(api-key and digest headers), the hosted approval page behind payment_url (QR, Approve,
Cancel, expiry on the virtual clock), the result_url callback and the result_display_url
browser return (gateways.md 4). Each store (store_id) is a tenant; the stage store works
out of the box.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.jkopay import hosted, pages, wire
from paylab.simulator.gateways.jkopay.entry import CALLBACK_KINDS
from paylab.simulator.gateways.jkopay.facts import facts, is_page
from paylab.simulator.gateways.jkopay.notify import JkoPayNotifier
from paylab.simulator.gateways.jkopay.pipeline import JkoContext, endpoint
from paylab.simulator.gateways.jkopay.routes import OPERATIONS
from paylab.simulator.gateways.kit.errors import Failure, guard
from paylab.simulator.gateways.spec import Gateway

log = logging.getLogger("paylab.jkopay")


def error_response(status: int, code: str, message: str, *, page: bool = False
                   ) -> web.Response:
    """A refusal in JKOPay's envelope, or a message page on the approval page's paths."""
    if page:
        return web.Response(status=status, content_type="text/html", text=pages.message(
            None, "JKOPay error", f"{code} {message}", "jkopay-error"))
    return web.Response(status=status, content_type="application/json", charset="utf-8",
                        body=wire.to_json(wire.answer(None, code, message)))


def failed(request: web.Request, failure: Failure, status: int, detail: str) -> web.Response:
    """Unrouted paths, bad methods, oversized bodies and crashes in JKOPay's shape."""
    page = is_page(request.path.removeprefix("/jkopay"))
    if failure == "unrouted":
        return error_response(status, wire.OTHER,
                              f"{wire.MESSAGES[wire.OTHER]}: no such API ({detail})", page=page)
    if failure == "refused":
        return error_response(status, wire.BAD_PARAMS, detail, page=page)
    return error_response(status, wire.OTHER, detail or "simulator error (see its log)",
                          page=page)


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected 429 or 5xx: JKOPay's envelope with 999 (a message page on
    the approval page)."""
    return error_response(status, wire.OTHER, message or f"Injected error {status}",
                          page=is_page(request.path.removeprefix("/jkopay")))


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /jkopay sub-application."""
    ctx = JkoContext(domain, contracts, public_url.rstrip("/"))
    app = web.Application(middlewares=[guard(failed, log)], client_max_size=1024**2)
    app.add_routes([web.route(op.method, op.path, endpoint(op, ctx)) for op in OPERATIONS])
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> JkoPayNotifier:
    """result_url callbacks for the dispatcher."""
    return JkoPayNotifier(domain)


GATEWAY = Gateway(
    name=wire.GATEWAY,
    prefix="/jkopay",
    title="JKOPay OnlinePay (街口支付)",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    error_contract="jkopay/error",
    security_scheme={"type": "apiKey", "in": "header", "name": "api-key",
                     "description": "The store's API key; the digest header carries "
                                    "hex HMAC-SHA256(secret_key, body or query string)."},
    facts=facts,
    fault=fault,
    refusal=lambda status, code, message: error_response(status, wire.OTHER, message),
    event_name=lambda kind: "result_url" if kind in CALLBACK_KINDS else kind,
    fee_schedule=Path(__file__).resolve().parent / "fees.yaml",
)
