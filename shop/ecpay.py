"""ECPay AIO for the shop: the payment form and CheckMacValue, as gateways.md 1.3-1.6 documents.

The shop's own implementation (not the simulator's): an integration that copies this file
gets a client written from the documentation alone. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

#: ECPay's dates are Taiwan time (UTC+8, no daylight saving).
TAIPEI = timezone(timedelta(hours=8))
CHECKOUT_PATH = "/Cashier/AioCheckOut/V5"
#: The reply ECPay waits for; anything else makes it send the notice again.
OK = "1|OK"
#: RtnCode of a paid ReturnURL notice, and of an issued code on PaymentInfoURL.
PAID = "1"
CODE_ISSUED = {"2": "ATM", "10100073": "CVS/BARCODE"}
#: What the shop offers at checkout: ChoosePayment by the shop's own name for it.
CHOICES = {"credit": "Credit", "cvs": "CVS"}
#: .NET's HttpUtility.UrlEncode leaves these literal where PHP's urlencode encodes them.
_DOTNET = {"%2d": "-", "%5f": "_", "%2e": ".", "%21": "!", "%2a": "*", "%28": "(", "%29": ")"}


def urlencode(text: str) -> str:
    """Steps 5-7 of 1.4: PHP urlencode (space `+`, `~` encoded), lower-cased, then .NET's
    literals put back."""
    encoded = urllib.parse.quote_plus(text, safe="").replace("~", "%7E").lower()
    for code, literal in _DOTNET.items():
        encoded = encoded.replace(code, literal)
    return encoded


def check_mac_value(fields: Mapping[str, str], hash_key: str, hash_iv: str,
                    encrypt_type: int = 1) -> str:
    """CheckMacValue of `fields` (every field but CheckMacValue itself, empty ones too):
    sorted case-insensitively by name, wrapped in HashKey / HashIV, encoded, then SHA256
    (EncryptType 1) or MD5 (0), upper-case hex."""
    items = sorted(((k, v) for k, v in fields.items() if k != "CheckMacValue"),
                   key=lambda kv: kv[0].lower())
    joined = "&".join(f"{k}={v}" for k, v in items)
    raw = urlencode(f"HashKey={hash_key}&{joined}&HashIV={hash_iv}").encode("utf-8")
    digest = hashlib.sha256(raw) if encrypt_type == 1 else hashlib.md5(raw)  # noqa: S324
    return digest.hexdigest().upper()


def verify(fields: Mapping[str, str], hash_key: str, hash_iv: str) -> bool:
    """Whether `fields` carry the CheckMacValue our keys give them (constant-time compare)."""
    expected = check_mac_value(fields, hash_key, hash_iv)
    given = fields.get("CheckMacValue", "")
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def item_name(names: list[str]) -> str:
    """ItemName: items separated by `#` (so a `#` inside a name becomes a space), at most
    400 characters (ECPay cuts the rest)."""
    return "#".join(name.replace("#", " ") for name in names)[:400]


def checkout_fields(*, merchant_id: str, hash_key: str, hash_iv: str, trade_no: str,
                    amount: int, items: list[str], choice: str, description: str,
                    return_url: str, result_url: str, back_url: str, info_url: str,
                    now: datetime) -> dict[str, str]:
    """The AioCheckOut/V5 form for one order, signed: the shopper's browser posts it.

    `choice` is a key of CHOICES. ReturnURL gets the payment result (server to server),
    PaymentInfoURL the issued convenience-store code, OrderResultURL the shopper's browser
    after paying, ClientBackURL the cashier's "back to the shop" link."""
    fields = {
        "MerchantID": merchant_id, "MerchantTradeNo": trade_no,
        "MerchantTradeDate": now.astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S"),
        "PaymentType": "aio", "TotalAmount": str(amount), "TradeDesc": description,
        "ItemName": item_name(items), "ReturnURL": return_url,
        "ChoosePayment": CHOICES[choice], "EncryptType": "1",
        "OrderResultURL": result_url, "ClientBackURL": back_url,
    }
    if choice == "cvs":
        fields["PaymentInfoURL"] = info_url
    fields["CheckMacValue"] = check_mac_value(fields, hash_key, hash_iv)
    return fields


def issued_code(fields: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(kind, code, expiry) of a PaymentInfoURL notice that issued one, else None: CVS
    `PaymentNo`, ATM `BankCode` + `vAccount`, BARCODE `Barcode1..3`."""
    if fields.get("RtnCode") not in CODE_ISSUED:
        return None
    expiry = fields.get("ExpireDate", "")
    if fields.get("PaymentNo"):
        return "cvs", fields["PaymentNo"], expiry
    if fields.get("vAccount"):
        return "atm", f"{fields.get('BankCode', '')} {fields['vAccount']}".strip(), expiry
    barcodes = [fields.get(f"Barcode{i}", "") for i in (1, 2, 3)]
    if any(barcodes):
        return "barcode", " / ".join(barcodes), expiry
    return None
