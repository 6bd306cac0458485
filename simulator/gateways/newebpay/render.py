"""Neutral orders in NewebPay's words: TradeNo, PaymentType, Status and Message, the Result
fields of a payment notification (NDNF-1.1.9 4.2.2), of a code issued (4.2.3) and of a
query (4.3.2), and the encrypted form NotifyURL, ReturnURL and CustomerURL receive.

Times are Taiwan's (UTC+8) on the virtual clock, as NewebPay prints them. Values NewebPay
takes from a bank (the authorisation code, the payer's account digits, the store) are
derived from the order's seeded reference, so a replayed run renders the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.wire import MESSAGES, to_string, to_sturdy_json

TAIPEI = dt.timezone(dt.timedelta(hours=8))
#: Neutral method -> NewebPay PaymentType, and back.
PAYMENT_TYPES = {"card": "CREDIT", "atm": "VACC", "cvs": "CVS", "barcode": "BARCODE",
                 "webatm": "WEBATM", "apple_pay": "APPLEPAY", "google_pay": "ANDROIDPAY"}
METHODS = {v: k for k, v in PAYMENT_TYPES.items()}
#: PaymentTypes that are card payments (a device wallet's card is one): their notices carry
#: the card fields, and their PaymentMethod names the wallet (gateways.md 2.4).
CARD_TYPES = {"CREDIT": None, "APPLEPAY": "APPLEPAY", "ANDROIDPAY": "GOOGLEPAY"}
#: Neutral methods paid by card, wallets included (capturable, refundable, queried as cards).
CARD_METHODS = tuple(METHODS[t] for t in CARD_TYPES)
#: The result form's Version (NewebPay answers with the version it was asked with).
DEFAULT_VERSION = "2.0"
ESCROW_BANK = "HNCB"
#: The stage's WebATM and ATM bank: Hua Nan (華南銀行), code 008.
STAGE_BANK_CODE = "008"
#: Decline reasons (neutral decline codes) -> Status and the bank's reason in Message.
DECLINES = {
    "insufficient_funds": ("MPG03009", "授權失敗(餘額不足)"),
    "authentication_failed": ("MPG03009", "授權失敗(3D驗證失敗)"),
    "fraudulent": ("MPG05005", "警示交易"),
    "expired_card": ("MPG03009", "授權失敗(卡片過期)"),
    "incorrect_cvc": ("MPG03009", "授權失敗(檢查碼錯誤)"),
}


def local_time(epoch: float | None) -> str:
    """`YYYY-MM-DD HH:MM:SS` in Taiwan, or "" for no time."""
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, TAIPEI).strftime("%Y-%m-%d %H:%M:%S")


def trade_no(order: Doc) -> str:
    """NewebPay's 17-digit TradeNo: the order's 16-digit reference and a check digit."""
    reference = order["reference"]
    return reference + str(sum(int(c) for c in reference) % 10)


def reference_of(trade_number: str) -> str | None:
    """The reference a TradeNo carries, or None if it is not one of ours."""
    if len(trade_number) != 17 or not trade_number.isdigit():
        return None
    reference = trade_number[:16]
    return reference if trade_number == trade_no({"reference": reference}) else None


def _digits(order: Doc, salt: str, count: int) -> str:
    digest = hashlib.sha256(f"{order['reference']}:{salt}".encode()).hexdigest()
    return str(int(digest, 16))[-count:].zfill(count)


def status_and_message(order: Doc) -> tuple[str, str]:
    """Status (SUCCESS or an error code) and Message of a payment result."""
    payment_type = PAYMENT_TYPES.get(order["method"] or "", "")
    if order["status"] in ("failed", "expired", "canceled"):
        failure = order.get("failure") or {}
        code, message = DECLINES.get(failure.get("decline_code") or "",
                                     ("MPG03009", "授權失敗" if payment_type in CARD_TYPES
                                      else MESSAGES["MPG03009"]))
        return code, message
    return "SUCCESS", "授權成功" if payment_type in CARD_TYPES else "付款成功"


def _common(order: Doc, merchant_id: str) -> dict[str, Any]:
    return {"MerchantID": merchant_id, "Amt": order["amount"], "TradeNo": trade_no(order),
            "MerchantOrderNo": order["merchant_order_no"]}


def payment_result(order: Doc, merchant_id: str) -> dict[str, Any]:
    """The Result of a payment notification (success or failure), in the field order of
    NewebPay's own sample (NDNF-1.1.9 4.1.4)."""
    extra, card = order["extra"], order.get("card") or {}
    payment_type = PAYMENT_TYPES.get(order["method"] or "", "CREDIT")
    ok = order["status"] in ("authorized", "paid")
    out = {**_common(order, merchant_id), "RespondType": extra.get("RespondType", "JSON"),
           "IP": extra.get("IP", ""), "EscrowBank": ESCROW_BANK, "PaymentType": payment_type}
    if payment_type in CARD_TYPES:
        passed = (order.get("authentication") or {}).get("status") == "passed"
        eci = {"visa": "5", "mastercard": "2", "jcb": "5"}.get(card.get("brand", ""), "")
        out.update(RespondCode="00" if ok else "05", Auth=_digits(order, "auth", 6) if ok else "",
                   Card6No=card.get("bin", ""), Card4No=card.get("last4", ""),
                   Exp=f"{card.get('exp_year', 0) % 100:02d}{card.get('exp_month', 0):02d}"
                   if card else "",
                   AuthBank="KGI", TokenUseStatus="0", InstFirst="0", InstEach="0", Inst="0",
                   ECI=eci if ok and passed else "")
    elif payment_type in ("WEBATM", "VACC"):
        out.update(PayBankCode=STAGE_BANK_CODE, PayerAccount5Code=_digits(order, "payer", 5))
    elif payment_type == "CVS":
        out.update(CodeNo=(order.get("code") or {}).get("payment_no", ""), StoreType="1",
                   StoreID=_digits(order, "store", 6))
    elif payment_type == "BARCODE":
        barcodes = (order.get("code") or {}).get("barcodes") or ["", "", ""]
        out.update({f"Barcode_{i + 1}": b for i, b in enumerate(barcodes)},
                   RepayTimes="1", PayStore="SEVEN")
    out["PayTime"] = local_time(order.get("authorized_at") or order.get("paid_at")) if ok else ""
    if payment_type in CARD_TYPES:
        out["PaymentMethod"] = CARD_TYPES[payment_type] or (
            "CREDIT" if card.get("country") == "TW" else "FOREIGN")
    return out


def code_result(order: Doc, merchant_id: str) -> dict[str, Any]:
    """The Result of a code issued (取號完成) for CustomerURL."""
    code, payment_type = order.get("code") or {}, PAYMENT_TYPES[order["method"]]
    expires = dt.datetime.fromtimestamp(order["expires_at"], TAIPEI)
    out = {**_common(order, merchant_id), "PaymentType": payment_type,
           "ExpireDate": expires.strftime("%Y-%m-%d"), "ExpireTime": expires.strftime("%H%M%S")}
    if payment_type == "VACC":
        out.update(BankCode=code.get("bank_code", ""), CodeNo=code.get("account", ""))
    elif payment_type == "CVS":
        out["CodeNo"] = code.get("payment_no", "")
    else:
        out.update({f"Barcode_{i + 1}": b for i, b in enumerate(code.get("barcodes") or [])})
    return out


CODE_MESSAGES = {"VACC": "取號成功", "CVS": "代碼取號成功", "BARCODE": "條碼取號成功"}


def inner_text(status: str, message: str, result: dict[str, Any], respond_type: str) -> str:
    """The plaintext of TradeInfo: flat `key=value` (String) or {Status, Message, Result}."""
    if respond_type == "String":
        return to_string({"Status": status, "Message": message, **result})
    return to_sturdy_json({"Status": status, "Message": message, "Result": result})


def result_form(order: Doc, merchant: Any, status: str, message: str,
                result: dict[str, Any], *, bad_signature: bool = False) -> dict[str, str]:
    """The form NotifyURL, ReturnURL and CustomerURL receive: Status, MerchantID, Version,
    TradeInfo (encrypted) and TradeSha. `bad_signature` signs with a wrong HashKey."""
    respond_type = order["extra"].get("RespondType", "JSON")
    trade_info = crypto.encrypt(inner_text(status, message, result, respond_type),
                                merchant.hash_key, merchant.hash_iv)
    key = merchant.hash_key[::-1] if bad_signature else merchant.hash_key
    return {"Status": status, "MerchantID": merchant.merchant_id,
            "Version": order["extra"].get("Version", DEFAULT_VERSION), "TradeInfo": trade_info,
            "TradeSha": crypto.trade_sha(trade_info, key, merchant.hash_iv)}
