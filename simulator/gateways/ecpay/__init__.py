"""ECPay (綠界) All-In-One, mounted at /ecpay: AioCheckOut/V5 and its cashier,
QueryTradeInfo/V5, QueryPaymentInfo, CreditDetail/DoAction, and the ReturnURL /
PaymentInfoURL notifications. Each merchant (MerchantID) is a tenant; the published stage
merchants work out of the box."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.orders import daily_close
from paylab.simulator.gateways.ecpay import hosted, settlement
from paylab.simulator.gateways.ecpay.facts import facts, is_page
from paylab.simulator.gateways.ecpay.notify import EcpayNotifier
from paylab.simulator.gateways.ecpay.pages import error_page
from paylab.simulator.gateways.ecpay.pipeline import EcpayContext, endpoint
from paylab.simulator.gateways.ecpay.routes import FILES, OPERATIONS, PAGES
from paylab.simulator.gateways.kit.errors import Failure, guard
from paylab.simulator.gateways.spec import Gateway

log = logging.getLogger("paylab.ecpay")

CONTEXT = web.AppKey("ecpay_context", EcpayContext)
#: The daily automatic close of authorised credit trades, Taiwan time (`off` disables it).
CLOSE_ENV, CLOSE_DEFAULT, TAIWAN_OFFSET = "PAYLAB_ECPAY_DAILY_CLOSE", "20:15", 8
#: The names of the notices the core's event kinds become (scenario rules, dashboard).
NOTICES = {"order.authorized": "ReturnURL", "order.paid": "ReturnURL",
           "order.code_issued": "PaymentInfoURL"}


def answer(status: int, message: str, *, page: bool, code: str = "0") -> web.Response:
    """An error in ECPay's shape: its error page for a browser, `0|message` otherwise."""
    if page:
        return web.Response(status=status, text=error_page(code, message),
                            content_type="text/html")
    return web.Response(status=status, text=f"0|{message}", content_type="text/html")


def failed(request: web.Request, failure: Failure, status: int, detail: str) -> web.Response:
    """Unrouted paths (404, whatever the method), bad methods, oversized bodies and crashes
    in ECPay's shape."""
    page = is_page(request.path.removeprefix("/ecpay"))
    if failure == "unrouted":
        return answer(404, f"No such ECPay API ({detail})", page=page)
    return answer(status, detail or "An unexpected error occurred in the simulator (see its "
                  "log).", page=page)


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected error: the error page on browser posts, `0|message` on APIs."""
    return answer(status, message or f"Injected error {status}",
                  page=is_page(request.path.removeprefix("/ecpay")))


def configure_close(domain: Domain, setting: str | None) -> None:
    """Switch the daily close on at `HH:MM` Taiwan time, or off (`off`)."""
    value = (setting or CLOSE_DEFAULT).strip()
    domain.orders.configure_close(
        "ecpay", None if value.lower() in ("off", "none", "") else daily_close(value,
                                                                              TAIWAN_OFFSET))


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /ecpay sub-application."""
    ctx = EcpayContext(domain, contracts, public_url)
    configure_close(domain, os.environ.get(CLOSE_ENV))
    app = web.Application(middlewares=[guard(failed, log)], client_max_size=1024**2)
    app[CONTEXT] = ctx
    app.add_routes([web.route(op.method, op.path,
                              settlement.endpoint(op, ctx) if op.operation_id in FILES
                              else endpoint(op, ctx, page=op.operation_id in PAGES))
                    for op in OPERATIONS])  # FILES: the settlement file
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> EcpayNotifier:
    """ReturnURL and PaymentInfoURL notices for the dispatcher."""
    return EcpayNotifier(domain)


GATEWAY = Gateway(
    name="ecpay",
    prefix="/ecpay",
    title="ECPay (綠界) All-In-One",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    # ECPay's refusals are not JSON (urlencoded RtnCode/RtnMsg with HTTP 200 on its server
    # APIs, an HTML page on AioCheckOut): contracts/ecpay/error describes the former, and
    # OpenAPI (which types error bodies as JSON) documents the statuses without a body.
    error_contract=None,
    facts=facts,
    fault=fault,
    refusal=lambda status, code, message: answer(status, message, page=False),
    event_name=lambda kind: NOTICES.get(kind, kind),
    fee_schedule=Path(__file__).resolve().parent / "fees.yaml",
)
