"""What scenario rules can match on, read from a LINE Pay request (without changing it):
the channel's tenant (X-LINE-ChannelId), the amount (the body's, or the order a
transaction id or the approval page names), the currency, and the client. Every LINE Pay
payment is a wallet payment."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.linepay import transactions
from paylab.simulator.gateways.linepay.pipeline import CHANNEL, GATEWAY, PREFIX
from paylab.simulator.gateways.linepay.wire import DECIMALS, parse_json
from paylab.simulator.gateways.stripe.facts import client_country, client_ip
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_TRANSACTION = re.compile(r"^/v3/payments/(?:authorizations/|requests/)?([0-9]{1,19})(?:/|$)")


def is_page(path: str) -> bool:
    """Browser paths (inside the mount): the approval page."""
    return path.startswith("/web/")


def _amount(value: Any, currency: str | None) -> int | None:
    try:
        return int(float(value) * 10 ** DECIMALS.get(currency or "", 0))
    except (TypeError, ValueError, OverflowError):
        return None


async def _body(request: web.Request) -> dict[str, Any]:
    if request.method != "POST" or is_page(request.path.removeprefix(PREFIX)):
        return {}
    try:
        parsed = parse_json(await request.read())
    except (ValueError, RecursionError, web.HTTPException):
        return {}
    return parsed if isinstance(parsed, dict) else {}


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, currency and client of a LINE Pay request."""
    path = request.path.removeprefix(PREFIX)
    channel = lenient_header(request.headers, "X-LINE-ChannelId") or ""
    merchant = domain.merchants.get(GATEWAY, channel) if CHANNEL.fullmatch(channel) else None
    tenant = merchant.tenant if merchant else None
    body = await _body(request)
    currency = body.get("currency") if isinstance(body.get("currency"), str) else None
    amount = _amount(body.get("amount", body.get("refundAmount")), currency)
    order = None
    match = _TRANSACTION.match(path)
    if match and tenant:
        found = transactions.find(domain, tenant, match.group(1))
        order = domain.orders.get(tenant, found["order"]) if found else None
    elif is_page(path):
        located = domain.orders.find_any(request.query.get("transactionReserveId", ""))
        if located is not None and located[1]["gateway"] == GATEWAY:
            tenant, order = located
    if order is not None:
        currency = order["currency"].upper()
        amount = amount if amount is not None else order["amount"]
    return Facts(
        gateway=GATEWAY, method=request.method, path=path, tenant=tenant, amount=amount,
        currency=(currency or "").lower() or None, ip=client_ip(request),
        country=client_country(request), device=lenient_header(request.headers,
                                                               "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"), payment_method="wallet")
