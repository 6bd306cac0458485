"""LINE Pay's request signature (gateways.md 3.1 and 8): Base64(HMAC-SHA256(key = channel
secret, message = secret + API path + (raw JSON body, or the query string without `?`) +
nonce)). The simulator verifies over the bytes it received, never a re-serialisation, and
with the `/linepay` mount removed from the path (SDKs sign the bare API path)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, path: str, payload: bytes, nonce: str) -> str:
    """The X-LINE-Authorization value for one request."""
    key = secret.encode()
    message = key + path.encode() + payload + nonce.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def verify(secret: str, path: str, payload: bytes, nonce: str, given: str) -> bool:
    """Whether `given` signs this request (constant-time compare)."""
    expected = sign(secret, path, payload, nonce).encode()
    return hmac.compare_digest(expected, given.encode("utf-8", "surrogateescape"))
