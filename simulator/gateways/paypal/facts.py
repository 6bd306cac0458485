"""What scenario rules can match on, read from a PayPal request (without changing it): the
app (from the Bearer token, or the order on the approval pages), the amount and currency
(from a new order's purchase unit, or the order a path names) and the client."""

from __future__ import annotations

import re

import orjson
from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.paypal import oauth, state, wire
from paylab.simulator.gateways.stripe.facts import client_country, client_ip
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_ORDER = re.compile(r"^/v2/checkout/orders/([A-Z0-9]+)")
_REF = re.compile(r"^/v2/payments/(?:authorizations|captures|refunds)/([A-Z0-9]+)")


def is_page(path: str) -> bool:
    """The buyer's approval pages (inside the mount)."""
    return path.startswith("/checkoutnow")


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, currency and client of a PayPal request."""
    path = request.path.removeprefix("/paypal")
    tenant = oauth.peek_tenant(lenient_header(request.headers, "Authorization"), domain)
    amount: int | None = None
    currency: str | None = None
    doc = None
    if is_page(path):
        found = domain.objects.find_any(state.ORDER_KIND, request.query.get("token", ""))
        if found is not None:
            tenant, doc = found
    elif tenant is not None:
        if (match := _ORDER.match(path)) is not None:
            doc = state.find(domain, tenant, match.group(1))
        elif (match := _REF.match(path)) is not None:
            ref = domain.objects.find(tenant, state.REF_KIND, match.group(1))
            doc = state.find(domain, tenant, ref["order"]) if ref else None
        elif path == "/v2/checkout/orders" and request.method == "POST":
            amount, currency = await _created(request)
    if doc is not None and tenant is not None:
        core = domain.orders.objects.find(tenant, "order", doc["order"])
        if core is not None:
            amount, currency = core["amount"], core["currency"]
    return Facts(
        gateway=wire.GATEWAY, method=request.method, path=path, tenant=tenant, amount=amount,
        currency=currency, ip=client_ip(request), country=client_country(request),
        device=lenient_header(request.headers, "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"), payment_method="wallet",
    )


async def _created(request: web.Request) -> tuple[int | None, str | None]:
    """The amount of a create-order body, if it reads."""
    try:
        body = orjson.loads(await request.read())
        amount = body["purchase_units"][0]["amount"]
        currency = amount["currency_code"]
        return wire.to_minor(amount["value"], currency, "/amount"), currency.lower()
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError,
            wire.PaypalError, web.HTTPException):
        return None, None
