"""NewebPay (藍新金流) MPG, mounted at /newebpay: the MPG gateway and its hosted payment page
(credit card with 3-D Secure, ATM virtual account, convenience-store code, barcode,
WebATM), NotifyURL / ReturnURL / CustomerURL results with an encrypted TradeInfo, and the
QueryTradeInfo, CreditCard/Close and CreditCard/Cancel server APIs (gateways.md 2 and 8).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.orders import daily_close
from paylab.simulator.gateways.kit.errors import Failure, guard
from paylab.simulator.gateways.newebpay import hosted, pages
from paylab.simulator.gateways.newebpay.facts import facts
from paylab.simulator.gateways.newebpay.mpg import NOTIFY_KINDS
from paylab.simulator.gateways.newebpay.notify import NewebPayNotifier
from paylab.simulator.gateways.newebpay.pipeline import (
    GATEWAY as NAME,
)
from paylab.simulator.gateways.newebpay.pipeline import (
    ApiWire,
    MpgWire,
    NewebPayContext,
    endpoint,
)
from paylab.simulator.gateways.newebpay.routes import MPG, OPERATIONS, POST_DATA
from paylab.simulator.gateways.newebpay.wire import to_json
from paylab.simulator.gateways.spec import Gateway

log = logging.getLogger("paylab.newebpay")

#: When NewebPay closes (captures) the day's card authorisations, Taiwan time. The manual
#: names a close (關帳, TRA10095) but not its hour: 21:00 is our best reading. The
#: environment variable sets another `HH:MM`, or `off` (authorisations then wait for a
#: CreditCard/Close, and refunds follow a capture at once).
CLOSE_DEFAULT = "21:00"
CLOSE_ENV = "PAYLAB_NEWEBPAY_DAILY_CLOSE"
TAIWAN_OFFSET = 8.0
#: Faults and refusals by HTTP status: the code NewebPay's page would show.
_STATUS_CODES = {429: "MPG03003", 403: "MPG03002"}


def error_response(status: int, code: str, message: str) -> web.Response:
    """NewebPay's MPG error page with `status` (faults, refusals, unrouted paths)."""
    return web.Response(status=status, text=pages.error_page(code, message),
                        content_type="text/html")


#: The status NewebPay's page shows for each failure below the routes.
FAILURE_CODES = {"unrouted": "MPG03007", "refused": "MPG03009", "unavailable": "NOR1001",
                 "crashed": "MPG03009"}


def failed(request: web.Request, failure: Failure, status: int, detail: str) -> web.Response:
    """Unrouted paths, bad methods, oversized bodies and crashes on NewebPay's error page."""
    return error_response(status, FAILURE_CODES[failure],
                          detail or "simulator error (see its log)")


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected 429 or 5xx: NewebPay's error page for a browser, its JSON
    {Status, Message, Result} for a server API call."""
    code = _STATUS_CODES.get(status, "NOR1001")
    text = message or ("IP交易次數限制" if status == 429 else "連線異常")
    if request.path.removeprefix("/newebpay").startswith("/API/"):
        return web.Response(status=status, content_type="application/json",
                            text=to_json({"Status": code, "Message": text, "Result": []}))
    return error_response(status, code, text)


def configure_close(domain: Domain, setting: str | None) -> None:
    """Switch the nightly close on at `HH:MM` Taiwan time, or off (`off`)."""
    value = (setting or CLOSE_DEFAULT).strip()
    domain.orders.configure_close(NAME, None if value.lower() in ("off", "none", "") else
                                  daily_close(value, TAIWAN_OFFSET))


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /newebpay sub-application."""
    ctx = NewebPayContext(domain, contracts, public_url)
    configure_close(domain, os.environ.get(CLOSE_ENV))
    app = web.Application(middlewares=[guard(failed, log)], client_max_size=1024**2)
    app.add_routes([web.post(MPG.path, endpoint(MPG, ctx, MpgWire))])
    app.add_routes([web.route(op.method, op.path, endpoint(
        op, ctx, lambda c, op=op: ApiWire(c, op.operation_id,
                                          post_data=POST_DATA.get(op.operation_id))))
        for op in OPERATIONS])
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> NewebPayNotifier:
    """NotifyURL rendering for the dispatcher."""
    return NewebPayNotifier(domain)


GATEWAY = Gateway(
    name=NAME,
    prefix="/newebpay",
    title="NewebPay MPG (藍新金流)",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    error_contract=None,  # HTML on pages, JSON or String on the APIs (routes.py)
    facts=facts,
    fault=fault,
    refusal=lambda status, code, message: error_response(
        status, _STATUS_CODES.get(status, "MPG03009"), message),
    # only the payment results reach the merchant's server (NotifyURL); the code-issued
    # result goes to CustomerURL through the browser
    event_name=lambda kind: "NotifyURL" if kind in NOTIFY_KINDS else kind,
    fee_schedule=Path(__file__).resolve().parent / "fees.yaml",
)
