"""What scenario rules can match on, read from a Stripe request (without changing it)."""

from __future__ import annotations

import re

from aiohttp import web
from paylab.simulator.core.cards import catalog
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.methods import wallet_tokens
from paylab.simulator.core.vocabulary import PAYMENT
from paylab.simulator.gateways.stripe import form, wire
from paylab.simulator.headers import lenient_header
from paylab.simulator.scenarios.facts import Facts

_INTENT_PATH = re.compile(r"^/v1/payment_intents/(pi_[A-Za-z0-9]+)")
#: The headers facts are read from (besides Authorization). A value that is not UTF-8
#: counts as absent here; the pipeline refuses the request with a 400 before it runs.
FACT_HEADERS = ("X-Forwarded-For", "X-Paylab-Country", "CF-IPCountry", "X-Paylab-Device",
                "X-Paylab-Run")


def client_ip(request: web.Request) -> str | None:
    """The first X-Forwarded-For hop, else the peer address."""
    forwarded = lenient_header(request.headers, "X-Forwarded-For") or ""
    first = forwarded.split(",")[0].strip()
    return first or request.remote


def client_country(request: web.Request) -> str | None:
    """The client's country as a test sets it (X-Paylab-Country, or CF-IPCountry)."""
    value = (lenient_header(request.headers, "X-Paylab-Country")
             or lenient_header(request.headers, "CF-IPCountry"))
    return value.strip().upper()[:2] if value else None


async def facts(request: web.Request, domain: Domain) -> Facts:
    """Tenant, amount, currency, card, email and client of a Stripe API request."""
    try:
        tenant = wire.authenticate(lenient_header(request.headers, "Authorization"))
    except CoreError:
        tenant = None
    try:
        raw = await request.read() if request.method == "POST" else request.query_string
        params = form.decode(form.parse_pairs(raw))
    except (CoreError, web.HTTPException):
        params = {}
    path = request.path.removeprefix("/stripe")
    amount, currency = _int(params.get("amount")), _text(params.get("currency"))
    email = _text(params.get("receipt_email"))
    data = params.get("payment_method_data")
    card = None
    if isinstance(data, dict):
        details = data.get("card") if isinstance(data.get("card"), dict) else {}
        card = _text(details.get("number"))
        billing = data.get("billing_details") if isinstance(data.get("billing_details"),
                                                           dict) else {}
        email = email or _text(billing.get("email"))
    token = _text(params.get("payment_method"))
    wallet = wallet_tokens().get(token or "")
    if card is None and token:
        card = catalog().by_token.get(token) or (wallet or {}).get("number")
    if path.endswith("/wallet") and request.method == "POST":  # a wallet sheet's Approve
        wallet = {"wallet": request.query.get("wallet")}
    match = _INTENT_PATH.match(path)
    if match and tenant:
        intent = domain.objects.find(tenant, PAYMENT, match.group(1))
        if intent is not None:
            amount, currency = intent["amount"], intent["currency"]
            email = email or intent.get("receipt_email")
    return Facts(
        gateway="stripe", method=request.method, path=path, tenant=tenant, amount=amount,
        currency=currency.lower() if currency else None,
        card="".join(card.split()) if card else None, email=email, ip=client_ip(request),
        country=client_country(request),
        device=lenient_header(request.headers, "X-Paylab-Device"),
        run=lenient_header(request.headers, "X-Paylab-Run"),
        payment_method=(wallet or {}).get("wallet"),
    )


def _int(value: object) -> int | None:
    # ASCII digits only: str.isdigit() also takes "²" and "١", which int() refuses or reads
    ok = isinstance(value, str) and value.isascii() and value.isdigit()
    return int(value) if ok else None  # type: ignore[arg-type]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
