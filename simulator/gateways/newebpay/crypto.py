"""NewebPay's message crypto (gateways.md 2.2): TradeInfo / PostData_ AES-256-CBC, TradeSha,
CheckValue and CheckCode.

Encryption emits PKCS7 with 16-byte blocks, as NewebPay's `openssl_encrypt` does.
Decryption accepts any pad length 1-32 whose bytes all equal it (the official
`strippadding`): many SDKs pad to a 32-byte block, which only differs from PKCS7-16 when the
plaintext's length mod 32 is below 16. The SHA-256 digests live in
`simulator/webhooks/signing.py` with the other gateways' schemes; they are re-exported here
so the adapter imports its crypto from one place.
"""

from __future__ import annotations

import hmac
import urllib.parse
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from paylab.simulator.webhooks.signing import (
    newebpay_check_code as check_code,
)
from paylab.simulator.webhooks.signing import (
    newebpay_check_value as check_value,
)
from paylab.simulator.webhooks.signing import (
    newebpay_trade_sha as trade_sha,
)

__all__ = ["BadCipherText", "build_query", "check_code", "check_value", "decrypt", "encrypt",
           "parse_query", "same_digest", "trade_sha"]


class BadCipherText(ValueError):
    """Not hex, not whole blocks, or padding that no NewebPay client produces."""


def _cipher(hash_key: str, hash_iv: str) -> Cipher:
    key, iv = hash_key.encode(), hash_iv.encode()
    if len(key) != 32 or len(iv) != 16:
        raise BadCipherText("HashKey must be 32 bytes and HashIV 16 bytes")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def build_query(pairs: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """PHP `http_build_query` in insertion order (RFC 1738: space `+`, `~` as `%7E`)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return "&".join(f"{_php_encode(str(k))}={_php_encode(str(v))}" for k, v in items)


def _php_encode(text: str) -> str:
    return urllib.parse.quote_plus(text, safe="").replace("~", "%7E")


def parse_query(text: str) -> list[tuple[str, str]]:
    """A decrypted `key=value&...` string as pairs; UTF-8 only, blank values kept."""
    try:
        return urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                      encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise BadCipherText("the decrypted text is not UTF-8") from exc


def encrypt(plaintext: str, hash_key: str, hash_iv: str, *, block: int = 16) -> str:
    """Lower-case hex AES-256-CBC of `plaintext`, PKCS7-padded to `block` (16, or 32 as
    many SDKs do: tests use that to send what those clients send)."""
    data = plaintext.encode()
    pad = block - len(data) % block
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    return (encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()).hex()


def decrypt(hex_text: str, hash_key: str, hash_iv: str) -> str:
    """The plaintext of a hex TradeInfo / PostData_ (either case), any pad length 1-32."""
    cipher = _cipher(hash_key, hash_iv)
    try:
        raw = bytes.fromhex(hex_text)
    except ValueError as exc:
        raise BadCipherText("not hexadecimal") from exc
    if not raw or len(raw) % 16:
        raise BadCipherText("not whole AES blocks")
    decryptor = cipher.decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= 32 or pad > len(padded) or padded[-pad:] != bytes([pad]) * pad:
        raise BadCipherText("bad padding (wrong HashKey or HashIV?)")
    try:
        return padded[:-pad].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadCipherText("the decrypted text is not UTF-8") from exc


def same_digest(expected: str, given: str | None) -> bool:
    """Whether an upper-case hex digest matches the one sent (any case), in constant time."""
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(),
                               given.upper().encode("utf-8", "surrogateescape"))
