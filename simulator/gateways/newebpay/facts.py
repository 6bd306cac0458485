"""What scenario rules can match on, read from a NewebPay request (without changing it):
the merchant (tenant), the amount (from the decrypted TradeInfo or PostData_, or the order
a hosted page shows), the payment method, the card typed on the MPG page, and the client.
"""

from __future__ import annotations

import re

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.pipeline import GATEWAY
from paylab.simulator.gateways.newebpay.render import METHODS
from paylab.simulator.gateways.newebpay.wire import first, read_pairs
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_PAGE = re.compile(r"^/MPG/(?:pay|3ds|wallet)/([A-Za-z0-9_]+)$")
#: Where each form names its merchant, and which field carries the encrypted fields.
_FORMS = {"/MPG/mpg_gateway": ("MerchantID", "TradeInfo"),
          "/API/QueryTradeInfo": ("MerchantID", None),
          "/API/CreditCard/Close": ("MerchantID_", "PostData_"),
          "/API/CreditCard/Cancel": ("MerchantID_", "PostData_")}


def client_ip(request: web.Request) -> str | None:
    """The first X-Forwarded-For hop, else the peer address."""
    forwarded = lenient_header(request.headers, "X-Forwarded-For") or ""
    return forwarded.split(",")[0].strip() or request.remote


def _amount(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _form_facts(domain: Domain, path: str, pairs: list[tuple[str, str]]
                ) -> tuple[str | None, int | None]:
    id_field, secret_field = _FORMS[path]
    merchant = domain.merchants.get(GATEWAY, first(pairs, id_field) or "")
    if merchant is None:
        return None, None
    fields = pairs
    if secret_field is not None:
        try:
            fields = crypto.parse_query(crypto.decrypt(first(pairs, secret_field) or "",
                                                       merchant.hash_key, merchant.hash_iv))
        except crypto.BadCipherText:
            fields = []
    return merchant.tenant, _amount(first(fields, "Amt"))


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, card and client of a NewebPay request."""
    path = request.path.removeprefix("/newebpay")
    try:
        pairs = await read_pairs(request) if request.method == "POST" else []
    except (CoreError, web.HTTPException):
        pairs = []
    tenant, amount, card, method = None, None, None, None
    if path in _FORMS:
        tenant, amount = _form_facts(domain, path, pairs)
        method = "card" if path.startswith("/API/CreditCard/") else None
    elif (match := _PAGE.match(path)) is not None:
        found = domain.orders.find_any(match.group(1))
        if found is not None and found[1]["gateway"] == GATEWAY:
            tenant, amount, method = found[0], found[1]["amount"], found[1]["method"]
        method = METHODS.get(first(pairs, "method") or "") or method
        if path.startswith("/MPG/3ds/"):
            method = "card"
        elif path.startswith("/MPG/wallet/"):  # a wallet sheet's Approve
            method = request.query.get("wallet") or method
        card = re.sub(r"[\s-]", "", first(pairs, "cardnumber") or "") or None
    return Facts(
        gateway=GATEWAY, method=request.method, path=path, tenant=tenant, amount=amount,
        currency="twd", card=card, ip=client_ip(request),
        country=(lenient_header(request.headers, "X-Paylab-Country") or "").upper()[:2] or None,
        device=lenient_header(request.headers, "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"), payment_method=method,
    )
