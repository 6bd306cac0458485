"""What scenario rules can match on, read from a JKOPay request (without changing it): the
store (by its api-key, or the order a page shows), the amount (final_price, refund_amount,
or the order's), the payment method (`wallet` on the approval page) and the client."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.jkopay.pipeline import store_of
from paylab.simulator.gateways.jkopay.wire import GATEWAY
from paylab.simulator.gateways.stripe.facts import client_country, client_ip
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_PAGE = re.compile(r"^/onlinepay/(ord_[A-Za-z0-9]+)")


def is_page(path: str) -> bool:
    """Browser paths inside the mount (the approval page and its steps)."""
    return path.startswith("/onlinepay/")


def _amount(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, method and client of a JKOPay request."""
    path = request.path.removeprefix("/jkopay")
    tenant, amount, method = None, None, None
    match = _PAGE.match(path)
    if match:
        found = domain.orders.find_any(match.group(1))
        if found is not None and found[1]["gateway"] == GATEWAY:
            tenant, amount, method = found[0], found[1]["amount"], "wallet"
    else:
        merchant = store_of(domain, lenient_header(request.headers, "api-key"))
        tenant = merchant.tenant if merchant else None
        body: Any = {}
        if request.method == "POST":
            try:
                body = json.loads((await request.read()).decode("utf-8", "replace"))
            except (ValueError, web.HTTPException):
                body = {}
        if isinstance(body, dict):
            amount = _amount(body.get("final_price", body.get("refund_amount")))
            method = "wallet" if path == "/platform/entry" else None
    return Facts(
        gateway=GATEWAY, method=request.method, path=path, tenant=tenant, amount=amount,
        currency="twd", ip=client_ip(request), country=client_country(request),
        device=lenient_header(request.headers, "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"), payment_method=method,
    )
