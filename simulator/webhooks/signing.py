"""Signature schemes of every supported gateway, as pure functions.

Each follows gateways.md and is proven against the published vectors in the unit suite.
Comparisons use `hmac.compare_digest` so verification time does not leak the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping

STRIPE_TOLERANCE = 300


# -- Stripe (gateways.md 5.1) ---------------------------------------------------------------
def stripe_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `{t}.{body}` keyed with the whole `whsec_...` string."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def stripe_signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `Stripe-Signature` header value, `t=...,v1=...`."""
    return f"t={timestamp},v1={stripe_signature(secret, timestamp, body)}"


def verify_stripe_header(
    header: str, body: bytes, secret: str, *, now: float, tolerance: int = STRIPE_TOLERANCE
) -> bool:
    """True when some `v1` matches and the first `t` is no older than `tolerance` seconds
    (the first `t`, as stripe-python reads it: a later one cannot override it)."""
    stamps, candidates = [], []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            stamps.append(value)
        elif key == "v1":
            candidates.append(value.encode("utf-8", "surrogateescape"))
    if not stamps or not (stamps[0].isascii() and stamps[0].isdigit()) or not candidates:
        return False
    timestamp = int(stamps[0])
    if tolerance and timestamp < now - tolerance:
        return False
    expected = stripe_signature(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, c) for c in candidates)


# -- Standard Webhooks (gateways.md 6) ------------------------------------------------------
def _standard_key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def standard_webhooks_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed with the decoded secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# -- ECPay CheckMacValue (gateways.md 1.4) --------------------------------------------------
_DOTNET = {"%2d": "-", "%5f": "_", "%2e": ".", "%21": "!", "%2a": "*", "%28": "(", "%29": ")"}


def ecpay_urlencode(text: str) -> str:
    """PHP urlencode, lower-cased, with .NET's literal `!*()-_.` (ECPay's encoding table)."""
    encoded = urllib.parse.quote_plus(text, safe="").replace("~", "%7E").lower()
    for escaped, literal in _DOTNET.items():
        encoded = encoded.replace(escaped, literal)
    return encoded


def ecpay_check_mac_value(
    params: Mapping[str, str], hash_key: str, hash_iv: str, encrypt_type: int = 1
) -> str:
    """Upper-case SHA256 (or MD5 for type 0) over the sorted, wrapped, encoded parameters."""
    pairs = sorted(
        ((k, v) for k, v in params.items() if k != "CheckMacValue"), key=lambda kv: kv[0].lower()
    )
    joined = "&".join(f"{k}={v}" for k, v in pairs)
    encoded = ecpay_urlencode(f"HashKey={hash_key}&{joined}&HashIV={hash_iv}")
    algorithm = hashlib.sha256 if encrypt_type == 1 else hashlib.md5
    return algorithm(encoded.encode()).hexdigest().upper()


def verify_ecpay(params: Mapping[str, str], hash_key: str, hash_iv: str) -> bool:
    """Recompute the CheckMacValue of received fields and compare in constant time."""
    given = params.get("CheckMacValue", "")
    encrypt_type = 0 if len(given) == 32 else 1
    expected = ecpay_check_mac_value(params, hash_key, hash_iv, encrypt_type)
    return hmac.compare_digest(expected.encode(), given.upper().encode("utf-8", "surrogateescape"))


# -- NewebPay (gateways.md 2.2) -------------------------------------------------------------
def newebpay_trade_sha(trade_info_hex: str, hash_key: str, hash_iv: str) -> str:
    """`TradeSha` of an encrypted `TradeInfo`."""
    text = f"HashKey={hash_key}&{trade_info_hex}&HashIV={hash_iv}"
    return hashlib.sha256(text.encode()).hexdigest().upper()


def _newebpay_query(params: Mapping[str, str]) -> str:
    return urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote_plus)


def newebpay_check_value(params: Mapping[str, str], hash_key: str, hash_iv: str) -> str:
    """`CheckValue` of a query request (IV first, key last)."""
    text = f"IV={hash_iv}&{_newebpay_query(params)}&Key={hash_key}"
    return hashlib.sha256(text.encode()).hexdigest().upper()


def newebpay_check_code(params: Mapping[str, str], hash_key: str, hash_iv: str) -> str:
    """`CheckCode` of a query or cancel response (HashIV first, HashKey last)."""
    text = f"HashIV={hash_iv}&{_newebpay_query(params)}&HashKey={hash_key}"
    return hashlib.sha256(text.encode()).hexdigest().upper()


# -- LINE Pay v3 (gateways.md 3.1) ----------------------------------------------------------
def linepay_signature(channel_secret: str, uri: str, payload: str, nonce: str) -> str:
    """Base64 HMAC-SHA256 of secret + uri + (body or query) + nonce, keyed with the secret."""
    message = f"{channel_secret}{uri}{payload}{nonce}".encode()
    return base64.b64encode(hmac.new(channel_secret.encode(), message, hashlib.sha256).digest()
                            ).decode()


# -- JKOPay (gateways.md 4) -----------------------------------------------------------------
def jkopay_digest(secret: str, payload: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the raw body (or query string) keyed with the secret."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
