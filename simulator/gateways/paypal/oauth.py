"""POST /v1/oauth2/token (client credentials) and the Bearer check of every API call.

An access token comes from the CSPRNG; only its SHA-256 is stored (in the objects table,
so every process on the database shares it), with its expiry on the virtual clock. Each
app (client id) is a tenant; the client secret is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse

import orjson
from aiohttp import web
from paylab.simulator.core.credentials import new_credential, same_credential
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.paypal import wire
from paylab.simulator.gateways.paypal.wire import PaypalError

TOKEN_KIND = "paypal_token"  # noqa: S105 - a document kind, not a secret
#: What PayPal's sandbox answers for expires_in (nine hours).
EXPIRES_IN = 32400
SCOPES = ("https://uri.paypal.com/services/payments/payment/authcapture "
          "https://uri.paypal.com/services/payments/refund "
          "https://uri.paypal.com/services/applications/webhooks "
          "https://uri.paypal.com/services/payments/realtimepayment openid")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """The token endpoint's error shape (OAuth 2's, not the REST error body)."""
    return web.json_response({"error": error, "error_description": description},
                             status=status)


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client id, secret) of an HTTP Basic header, or None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


async def token(request: web.Request, domain: Domain) -> web.Response:
    """Issue an access token to an app that proves its client secret."""
    credentials = basic_credentials(request.headers.get("Authorization"))
    merchant = domain.merchants.get(wire.GATEWAY, credentials[0]) if credentials else None
    if credentials is None or merchant is None or merchant.tenant in domain.revoked or (
            not same_credential(merchant.hash_key, credentials[1])):
        return oauth_error(401, "invalid_client", "Client Authentication failed")
    try:
        form = dict(urllib.parse.parse_qsl((await request.read()).decode("utf-8"),
                                           keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        form = {}
    grant = form.get("grant_type")
    if not grant:
        return oauth_error(400, "unsupported_grant_type", "Grant Type is NULL")
    if grant != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", f"Grant Type {grant} is not "
                           "supported")
    request["paylab.tenant"] = merchant.tenant
    domain.tenants.seen(merchant.tenant)
    access = "A21AA" + new_credential(92)
    now = domain.clock.now()
    domain.objects.insert(merchant.tenant, TOKEN_KIND, {
        "id": _digest(access), "created": int(now), "expires": int(now) + EXPIRES_IN})
    await domain.store.durable()
    body = {"scope": SCOPES, "access_token": access, "token_type": "Bearer",
            "app_id": "APP-" + wire.payer_id("app:" + merchant.merchant_id)[:13] + "0000",
            "expires_in": EXPIRES_IN,
            "nonce": wire.timestamp(now) + new_credential(43)}
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def tenant_of_bearer(header: str | None, domain: Domain) -> str:
    """The tenant whose live access token the Authorization header carries; 401
    AUTHENTICATION_FAILURE otherwise (missing, unknown, expired or revoked)."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise PaypalError("AUTHENTICATION_FAILURE", status=401)
    found = domain.objects.find_any(TOKEN_KIND, _digest(value.strip()))
    if found is None:
        raise PaypalError("AUTHENTICATION_FAILURE", status=401)
    tenant, doc = found
    if doc["expires"] <= domain.clock.now() or tenant in domain.revoked:
        raise PaypalError("AUTHENTICATION_FAILURE", status=401)
    return tenant


def peek_tenant(header: str | None, domain: Domain) -> str | None:
    """The bearer's tenant for scenario facts, or None (never raises)."""
    try:
        return tenant_of_bearer(header, domain)
    except PaypalError:
        return None
