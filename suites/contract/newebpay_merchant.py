"""A NewebPay merchant for the contract layer, written from gateways.md 2 alone (no simulator
code): TradeInfo AES-256-CBC and TradeSha, CheckValue and CheckCode, the MPG form and its
hosted page driven over HTTP as a browser's posts, the pages' result forms, and the server
APIs (QueryTradeInfo, CreditCard/Close and /Cancel)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MPG = "/newebpay/MPG/mpg_gateway"
STAGE_CARD = "4000221111111111"  # gateways.md 2.5
_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*data-testid="([^"]*)">(.*?)</form>',
                   re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"')


def http_build_query(fields: dict[str, Any]) -> str:
    """PHP http_build_query in insertion order: space '+', '~' as %7E (2.2 step 1)."""
    return "&".join(f"{_php(k)}={_php(v)}" for k, v in fields.items())


def _php(value: object) -> str:
    return urllib.parse.quote_plus(str(value), safe="").replace("~", "%7E")


def _aes(key: str, iv: str) -> Cipher:
    return Cipher(algorithms.AES(key.encode()), modes.CBC(iv.encode()))


def encrypt(plaintext: str, key: str, iv: str) -> str:
    """AES-256-CBC with PKCS7 (16-byte blocks), lower-case hex (2.2)."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = _aes(key, iv).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def decrypt(hex_text: str, key: str, iv: str, *, strict: bool = True) -> str:
    """AES-256-CBC decryption. Strict (the default): PKCS7 with 16-byte blocks, what
    NewebPay emits (2.2) and what a merchant's standard unpadding expects. Not strict: the
    official `strippadding`, dropping N bytes where N (1-32) is the last one."""
    decryptor = _aes(key, iv).decryptor()
    padded = decryptor.update(bytes.fromhex(hex_text)) + decryptor.finalize()
    if strict:
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    pad = padded[-1]
    assert 1 <= pad <= 32 and padded.endswith(bytes([pad]) * pad), "bad padding"
    return padded[:-pad].decode("utf-8")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest().upper()


def trade_sha(trade_info: str, key: str, iv: str) -> str:
    """UPPER(SHA256("HashKey=key&TradeInfo&HashIV=iv"))."""
    return _sha(f"HashKey={key}&{trade_info}&HashIV={iv}")


def check_value(fields: dict[str, Any], key: str, iv: str) -> str:
    """QueryTradeInfo's CheckValue: IV first, fields A-Z, Key last."""
    return _sha(f"IV={iv}&{http_build_query(dict(sorted(fields.items())))}&Key={key}")


def check_code(fields: dict[str, Any], key: str, iv: str) -> str:
    """The answers' CheckCode: HashIV first, Amt/MerchantID/MerchantOrderNo/TradeNo, HashKey."""
    return _sha(f"HashIV={iv}&{http_build_query(dict(sorted(fields.items())))}&HashKey={key}")


def order_no() -> str:
    """A fresh MerchantOrderNo (letters, digits and '_', up to 30)."""
    return "PL_" + uuid.uuid4().hex[:20]


def shown(page: str, testid: str) -> str | None:
    """The text of the element with `data-testid=testid` (unescaped), or None."""
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', page)
    return html.unescape(match.group(1)) if match else None


def posted_forms(page: str) -> dict[str, tuple[str, dict[str, str]]]:
    """A page's result forms by test id: (action, hidden fields)."""
    return {tid: (html.unescape(action), {html.unescape(k): html.unescape(v)
                                          for k, v in _HIDDEN.findall(body)})
            for action, tid, body in _FORM.findall(page)}


@dataclass
class NewebPayMerchant:
    """One merchant (its own tenant) talking to the simulator over HTTP."""

    base: str
    http: requests.Session
    merchant_id: str
    hash_key: str
    hash_iv: str
    tenant: str

    def trade_info(self, no: str | None = None, **fields: Any) -> dict[str, Any]:
        """An MPG TradeInfo with the required fields (2.3); None removes one."""
        info: dict[str, Any] = {"MerchantID": self.merchant_id, "RespondType": "JSON",
                                "TimeStamp": int(time.time()), "Version": "2.0",
                                "MerchantOrderNo": no or order_no(), "Amt": 100,
                                "ItemDesc": "paylab contract"}
        info.update(fields)
        return {k: v for k, v in info.items() if v is not None}

    def mpg_form(self, info: dict[str, Any]) -> dict[str, str]:
        """The browser's outer form: MerchantID, TradeInfo, TradeSha, Version."""
        trade_info = encrypt(http_build_query(info), self.hash_key, self.hash_iv)
        return {"MerchantID": self.merchant_id, "TradeInfo": trade_info,
                "TradeSha": trade_sha(trade_info, self.hash_key, self.hash_iv),
                "Version": str(info["Version"])}

    def mpg(self, form: dict[str, str]) -> requests.Response:
        """POST the MPG form (redirects followed, as a browser does): the page."""
        return self.http.post(self.base + MPG, data=form, timeout=10)

    def start(self, no: str | None = None, **fields: Any) -> requests.Response:
        """An order through the MPG gateway: its payment page."""
        return self.mpg(self.mpg_form(self.trade_info(no, **fields)))

    def pay(self, page: requests.Response, method: str = "CREDIT", **fields: str
            ) -> requests.Response:
        """Submit the page's form for `method` (the stage card by default)."""
        if method == "CREDIT" and not fields:
            fields = {"cardnumber": STAGE_CARD, "expiry": "12/30", "cvc": "123"}
        return self.http.post(page.url, data={"method": method, **fields}, timeout=10)

    def open(self, form: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
        """(Status, Message, Result) of a result form whose TradeSha verifies."""
        assert form["TradeSha"] == trade_sha(form["TradeInfo"], self.hash_key, self.hash_iv)
        plain = decrypt(form["TradeInfo"], self.hash_key, self.hash_iv)
        if plain.startswith("{"):
            data = json.loads(plain)
            return data["Status"], data["Message"], data["Result"]
        fields = dict(urllib.parse.parse_qsl(plain, keep_blank_values=True))
        return fields.pop("Status"), fields.pop("Message"), fields

    def query(self, no: str, amount: int, respond_type: str = "JSON", **changes: str
              ) -> requests.Response:
        """POST /API/QueryTradeInfo with its CheckValue (urlencoded)."""
        check = check_value({"Amt": amount, "MerchantID": self.merchant_id,
                             "MerchantOrderNo": no}, self.hash_key, self.hash_iv)
        form = {"MerchantID": self.merchant_id, "Version": "1.3", "RespondType": respond_type,
                "CheckValue": check, "TimeStamp": str(int(time.time())),
                "MerchantOrderNo": no, "Amt": str(amount), **changes}
        return self.http.post(f"{self.base}/newebpay/API/QueryTradeInfo", data=form,
                              timeout=10)

    def post_data(self, path: str, fields: dict[str, Any]) -> requests.Response:
        """CreditCard/Close or /Cancel: MerchantID_ and the encrypted PostData_."""
        plain = http_build_query({"RespondType": "JSON", "TimeStamp": int(time.time()),
                                  **fields})
        return self.http.post(f"{self.base}/newebpay{path}", timeout=10, data={
            "MerchantID_": self.merchant_id,
            "PostData_": encrypt(plain, self.hash_key, self.hash_iv)})

    def genuine_code(self, result: dict[str, Any]) -> bool:
        """Whether an answer's CheckCode is the merchant's own computation (2.2)."""
        fields = {k: result[k] for k in ("Amt", "MerchantID", "MerchantOrderNo", "TradeNo")}
        return result.get("CheckCode") == check_code(fields, self.hash_key, self.hash_iv)
