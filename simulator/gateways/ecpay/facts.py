"""What scenario rules can match on, read from an ECPay request (without changing it): the
merchant's tenant, the amount, the card typed on the cashier, the payment type chosen, and
the client. It also notes whether the request is a browser's (AioCheckOut, the cashier)
so an injected fault is rendered as ECPay's error page there and `0|message` elsewhere."""

from __future__ import annotations

import re
import urllib.parse

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.ecpay import wire
from paylab.simulator.gateways.stripe.facts import client_country, client_ip
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_ORDER_PATH = re.compile(r"^/Cashier/Order/(ord_[A-Za-z0-9]+)")
def is_page(path: str) -> bool:
    """Browser paths (inside the mount): the AioCheckOut post and the cashier."""
    return path.startswith(("/Cashier/AioCheckOut", "/Cashier/Order/"))


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, card, payment type and client of an ECPay request."""
    path = request.path.removeprefix("/ecpay")
    fields: dict[str, str] = {}
    if request.method == "POST":
        try:
            text = (await request.read()).decode("utf-8", "replace")
            fields = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
        except web.HTTPException:
            fields = {}
    merchant_id = fields.get("MerchantID")
    tenant = wire.tenant_of(merchant_id) if merchant_id else None
    amount = _int(fields.get("TotalAmount"))
    method = wire.METHODS.get(fields.get("ChoosePayment", "")) or fields.get("ChoosePayment")
    match = _ORDER_PATH.match(path)
    if match:
        found = domain.orders.find_any(match.group(1))
        if found is not None:
            tenant, order = found
            amount = order["amount"]
            chosen = wire.METHODS.get(fields.get("payment", ""))
            if chosen in ("card", "apple_pay"):
                # choosing Credit (or Apple Pay) only shows the card form (or the wallet's
                # sheet): no attempt yet, so a rule on card payments (`first: 1` decline) is
                # left for the card's own submit (or the sheet's Approve)
                method = None
            elif path.endswith("/wallet"):
                method = request.query.get("wallet") if request.method == "POST" else None
            else:
                method = chosen or ("card" if path.endswith(("/card", "/3ds"))
                                    else order["method"])
    card = re.sub(r"[\s-]", "", fields.get("cardnumber", "")) or None
    return Facts(
        gateway="ecpay", method=request.method, path=path, tenant=tenant, amount=amount,
        currency="twd", card=card, ip=client_ip(request), country=client_country(request),
        device=lenient_header(request.headers, "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"), payment_method=method,
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None
