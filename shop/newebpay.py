"""NewebPay MPG for the shop: TradeInfo (AES-256-CBC), TradeSha and the payment form, as
gateways.md 2.2-2.4 documents.

The shop's own implementation (not the simulator's), on the `cryptography` package. Pure
functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

GATEWAY_PATH = "/MPG/mpg_gateway"
VERSION = "2.0"
SUCCESS = "SUCCESS"
#: Amount windows (TWD) in which a method may be offered (2.3).
CVS_RANGE = (30, 20000)
VACC_MAX = 49999


def http_build_query(params: Sequence[tuple[str, str]]) -> str:
    """PHP's http_build_query (RFC 1738: space `+`, `~` encoded), in the given order."""
    def enc(text: str) -> str:
        return urllib.parse.quote_plus(text, safe="").replace("~", "%7E")
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in params)


def _cipher(hash_key: str, hash_iv: str) -> Cipher:
    return Cipher(algorithms.AES(hash_key.encode()), modes.CBC(hash_iv.encode()))


def encrypt(plaintext: str, hash_key: str, hash_iv: str) -> str:
    """TradeInfo: AES-256-CBC of `plaintext` (PKCS7 to 16 bytes), lower-case hex."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def decrypt(trade_info: str, hash_key: str, hash_iv: str) -> str:
    """The plaintext of a TradeInfo; ValueError when it is not one.

    Padding of 1 to 32 bytes is accepted: older NewebPay samples pad to 32-byte blocks,
    and the official decrypt strips as many bytes as the last one says."""
    data = bytes.fromhex(trade_info)
    if not data or len(data) % 16:
        raise ValueError("TradeInfo is not whole AES blocks")
    decryptor = _cipher(hash_key, hash_iv).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= min(32, len(plain)) or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("TradeInfo padding is wrong (another key?)")
    return plain[:-pad].decode("utf-8")


def trade_sha(trade_info: str, hash_key: str, hash_iv: str) -> str:
    """TradeSha: upper-case SHA256 of `HashKey=…&<TradeInfo>&HashIV=…`."""
    text = f"HashKey={hash_key}&{trade_info}&HashIV={hash_iv}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def verify(trade_info: str, given_sha: str, hash_key: str, hash_iv: str) -> bool:
    """Whether `given_sha` is the TradeSha of `trade_info` (constant-time compare)."""
    return hmac.compare_digest(trade_sha(trade_info, hash_key, hash_iv).encode(),
                               given_sha.encode("utf-8", "replace"))


def toggles(amount: int) -> list[tuple[str, str]]:
    """The methods the shop offers through NewebPay: cards always, an ATM virtual account
    and a convenience-store code where the amount is inside their windows."""
    offered = [("CREDIT", "1")]
    if amount <= VACC_MAX:
        offered.append(("VACC", "1"))
    if CVS_RANGE[0] <= amount <= CVS_RANGE[1]:
        offered.append(("CVS", "1"))
    return offered


def checkout_fields(*, merchant_id: str, hash_key: str, hash_iv: str, order_no: str,
                    amount: int, description: str, return_url: str, notify_url: str,
                    customer_url: str, back_url: str, timestamp: int) -> dict[str, str]:
    """The MPG form for one order (MerchantID, TradeInfo, TradeSha, Version): the
    shopper's browser posts it. Notifications come back as JSON (RespondType)."""
    params = [
        ("MerchantID", merchant_id), ("RespondType", "JSON"), ("TimeStamp", str(timestamp)),
        ("Version", VERSION), ("MerchantOrderNo", order_no), ("Amt", str(amount)),
        ("ItemDesc", description[:50]), ("ReturnURL", return_url), ("NotifyURL", notify_url),
        ("CustomerURL", customer_url), ("ClientBackURL", back_url), *toggles(amount),
    ]
    trade_info = encrypt(http_build_query(params), hash_key, hash_iv)
    return {"MerchantID": merchant_id, "TradeInfo": trade_info,
            "TradeSha": trade_sha(trade_info, hash_key, hash_iv), "Version": VERSION}


def parse_result(plaintext: str) -> tuple[str, str, dict[str, str]]:
    """(Status, Message, Result) of a decrypted notification, in either RespondType:
    JSON `{"Status", "Message", "Result": {...}}` or a flat urlencoded String."""
    if plaintext.lstrip().startswith("{"):
        data: dict[str, Any] = json.loads(plaintext)
        result = data.get("Result") or {}
        if isinstance(result, str):  # some versions send Result as a JSON string
            result = json.loads(result) if result.strip() else {}
        if not isinstance(result, dict):
            raise ValueError("Result is not an object")
        fields = {str(k): "" if v is None else str(v) for k, v in result.items()}
        return str(data.get("Status", "")), str(data.get("Message", "")), fields
    fields = dict(urllib.parse.parse_qsl(plaintext, keep_blank_values=True))
    return fields.get("Status", ""), fields.get("Message", ""), fields


def issued_code(status: str, result: dict[str, str]) -> tuple[str, str, str] | None:
    """(kind, code, expiry) when a notice issued a code rather than reporting a payment:
    it has an ExpireDate and no PayTime (2.4 取號完成). VACC `BankCode` + `CodeNo`, CVS
    `CodeNo`, BARCODE `Barcode_1..3`."""
    if status != SUCCESS or result.get("PayTime") or not result.get("ExpireDate"):
        return None
    clock = result.get("ExpireTime", "")
    if len(clock) == 6 and clock.isdigit():  # His
        clock = f"{clock[:2]}:{clock[2:4]}:{clock[4:]}"
    expiry = f"{result['ExpireDate']} {clock}".strip()
    kind = result.get("PaymentType", "").upper()
    if kind == "BARCODE":
        codes = " / ".join(result.get(f"Barcode_{i}", "") for i in (1, 2, 3))
        return "barcode", codes, expiry
    if result.get("BankCode"):
        return "atm", f"{result['BankCode']} {result.get('CodeNo', '')}".strip(), expiry
    if result.get("CodeNo"):
        return "cvs", result["CodeNo"], expiry
    return None
