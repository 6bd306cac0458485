"""NewebPay's wire: form bodies in (urlencoded or multipart/form-data), its Status codes and
messages out, as JSON or `key=value` strings.

Every refusal the adapter makes is a `NewebPayError` carrying NewebPay's own code
(`MPG0xxxx` on the MPG page, `TRA...` / `MEM...` on the server APIs) and the message of
its manual (NDNF-1.1.9 section 5). Neutral core errors are translated here, per operation,
since one neutral code means different NewebPay codes on different APIs (an order not
authorised is TRA10026 to a capture and TRA10047 to a cancel).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CoreError

#: NewebPay's messages (NDNF-1.1.9 section 5), for the codes this simulator answers with.
MESSAGES: dict[str, str] = {
    "MPG01002": "時間戳記不可空白",
    "MPG01008": "分期參數設定錯誤",
    "MPG01009": "商店代號不可空白",
    "MPG01010": "程式版本設定錯誤",
    "MPG01011": "回傳規格設定錯誤",
    "MPG01012": "商店訂單編號不可空白/設定錯誤",
    "MPG01013": "付款人電子信箱設定錯誤",
    "MPG01014": "網址設定錯誤",
    "MPG01015": "訂單金額不可空白/設定錯誤",
    "MPG01017": "商品資訊不可空白",
    "MPG01018": "繳費有效期限設定錯誤",
    "MPG01023": "交易加密資料不可空白",
    "MPG01024": "交易加密SHA資料不可空白",
    "MPG01025": "金融機構格式錯誤",
    "MPG01026": "金融機構格式錯誤，不接受此參數",
    "MPG01028": "訂單細項格式錯誤",
    "MPG01029": "訂單金額與訂單細項總金額不相符",
    "MPG01030": "訂單細項品項編號不可重複",
    "MPG02002": "查無商店開啟任何金流服務",
    "MPG02003": "支付方式未啟用，請洽客服中心",
    "MPG02004": "頁面已逾時失效，請重新確認",
    "MPG02010": "此版本不支援，請升級至v2.3",
    "MPG03004": "商店狀態已被暫停或是關閉，無法進行交易",
    "MPG03007": "該筆訂單交易資訊不存在，請重新交易",
    "MPG03008": "已存在相同的商店訂單編號",
    "MPG03009": "交易失敗",
    "MPG05005": "警示交易",
    "MPG05006": "物流設定參數[LgsType]錯誤",
    "MEM40012": "必填欄位資料傳遞錯誤",
    "MEM40013": "必填欄位資料不齊全",
    "MEM40014": "傳送時間錯誤",
    "TRA10001": "商店資料取得失敗",
    "TRA10003": "金額必須為數字",
    "TRA10008": "資料加密錯誤",
    "TRA10009": "商店代號不可空白",
    "TRA10012": "商店代號停用",
    "TRA10021": "查無該筆交易或該筆交易不為信用卡交易",
    "TRA10026": "此訂單非授權成功狀態，不可請款",
    "TRA10027": "此訂單已申請過請款，不可重覆請款",
    "TRA10028": "請退款金額超過授權金額，請確認",
    "TRA10032": "單號類型只能為數字1或2",
    "TRA10033": "選擇使用商店自訂單號不可空白",
    "TRA10035": "該交易非授權成功或已請款完成狀態，請確認",
    "TRA10036": "RespondType欄位資料格式錯誤",
    "TRA10037": "商家自訂單號錯誤，只允許英數字及_符號",
    "TRA10038": "選擇使用系統單號格式錯誤",
    "TRA10039": "退款金額已超過請款金額，請確認",
    "TRA10047": "該交易不為授權成功狀態，不可放棄授權",
    "TRA10048": "該交易正在請款狀態",
    "TRA10050": "金額不符",
    "TRA10054": "檢查碼CheckValue有錯誤",
    "TRA10094": "資料取消失敗",
    "TRA10095": "此筆交易已過關帳時間，不可取消",
    "TRA20002": "查無交易資料",
    "TRA20028": "可退款金額不足",
    "TRA40014": "TimeStamp欄位錯誤",
    "TRA10030": "請款/退款資料新增失敗",
    "NOR1001": "連線異常",
}

#: What each code means, in English, for the MPG error page and the README.
ENGLISH: dict[str, str] = {
    "MPG01002": "TimeStamp is missing.",
    "MPG01009": "MerchantID is missing.",
    "MPG01010": "Version is missing or malformed.",
    "MPG01011": "RespondType must be JSON or String.",
    "MPG01012": "MerchantOrderNo must be 1-30 letters, digits or '_'.",
    "MPG01013": "Email is malformed.",
    "MPG01014": "A URL is malformed, or uses a port other than 80/443 on a non-loopback host.",
    "MPG01015": "Amt must be a positive whole number of TWD.",
    "MPG01017": "ItemDesc is missing or over 50 characters.",
    "MPG01018": "ExpireDate must be today to 180 days ahead (Ymd).",
    "MPG01023": "TradeInfo is missing.",
    "MPG01024": "TradeSha is missing.",
    "MPG01026": "BankType names a bank other than BOT, HNCB or KGI.",
    "MPG01028": "OrderDetail is not a JSON array of ItemName, ItemAmt, ItemType, ItemOrderNo.",
    "MPG01029": "OrderDetail's ItemAmt do not add up to Amt.",
    "MPG01030": "OrderDetail repeats an ItemOrderNo.",
    "MPG02002": "No such merchant (register one on /_sim/merchants).",
    "MPG02003": "None of the payment methods asked for is available for this amount.",
    "MPG02004": "TimeStamp is more than 120 seconds away from now, or the page timed out.",
    "MPG02010": "This Version is not supported (2.0 to 2.3 are).",
    "MPG03003": "Too many requests (a scenario's injected 429).",
    "MPG03004": "This merchant is suspended (its tenant was revoked).",
    "MPG03007": "The MerchantID inside TradeInfo differs from the form's MerchantID.",
    "MPG03008": "This MerchantOrderNo was already used by this merchant.",
    "MPG03009": "TradeSha does not match, TradeInfo does not decrypt, or the card was declined.",
    "NOR1001": "The gateway failed (a scenario's injected 5xx, or storage refusing writes).",
}


class NewebPayError(CoreError):
    """A refusal in NewebPay's own terms: `code` is its Status code."""

    kind = "invalid_request"


def error(code: str, detail: str | None = None) -> NewebPayError:
    """NewebPay's error `code` with its message, and what exactly was wrong."""
    message = MESSAGES.get(code, "交易失敗")
    return NewebPayError(code, f"{message}({detail})" if detail else message)


# -- reading form bodies -----------------------------------------------------------------
async def read_pairs(request: web.Request) -> list[tuple[str, str]]:
    """The body's fields, from an urlencoded or a multipart/form-data body.

    NewebPay's own Node SDK posts its server API calls as multipart (gateways.md 8), browsers
    post the MPG form urlencoded. The body is read once (`request.read()` caches it for the
    journal and the scenario facts) and parsed here. Undecodable bytes are refused.
    """
    body = await request.read()
    if request.content_type == "multipart/form-data":
        return parse_multipart(request.headers.get("Content-Type", ""), body)
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise error("MEM40013", "body is not UTF-8") from exc


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The text fields of a multipart/form-data body (files are refused)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise error("MEM40013", "multipart body without parts")
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            raise error("MEM40013", "multipart part without a field name, or a file")
        payload = part.get_payload(decode=True) or b""
        try:
            pairs.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise error("MEM40013", f"{name} is not UTF-8") from exc
    return pairs


def first(pairs: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a field, or None."""
    return next((v for k, v in pairs if k == name), None)


# -- contract problems -------------------------------------------------------------------
#: Which MPG code a bad (or missing) TradeInfo field gets (NDNF-1.1.9 section 5).
MPG_FIELD_CODES = {
    "MerchantID": "MPG01009", "RespondType": "MPG01011", "TimeStamp": "MPG01002",
    "Version": "MPG01010", "MerchantOrderNo": "MPG01012", "Amt": "MPG01015",
    "ItemDesc": "MPG01017", "ExpireDate": "MPG01018", "ExpireTime": "MPG01018",
    "ReturnURL": "MPG01014", "NotifyURL": "MPG01014", "CustomerURL": "MPG01014",
    "ClientBackURL": "MPG01014", "Email": "MPG01013", "InstFlag": "MPG01008",
    "BankType": "MPG01025", "LgsType": "MPG05006", "OrderDetail": "MPG01028",
}
#: The same for the server APIs (best reading: the manual names no code per field).
API_FIELD_CODES = {
    "Amt": "TRA10003", "RespondType": "TRA10036", "IndexType": "TRA10032",
    "TimeStamp": "TRA40014", "MerchantOrderNo": "TRA10037", "TradeNo": "TRA10038",
}


def field_of(problem: Problem) -> str:
    """The top-level field a contract problem is about."""
    return str(problem.path[0]) if problem.path else ""


def mpg_violation(problem: Problem) -> NewebPayError:
    """A TradeInfo field that breaks the contract, as the MPG page names it."""
    field = field_of(problem)
    return error(MPG_FIELD_CODES.get(field, "MPG03009"), field or problem.message)


def api_violation(problem: Problem) -> NewebPayError:
    """A server API field that breaks the contract: a missing one is MEM40013."""
    field = field_of(problem)
    if problem.keyword == "required":
        return error("MEM40013", field)
    return error(API_FIELD_CODES.get(field, "MEM40013"), field)


# -- translating neutral core errors -----------------------------------------------------
#: (operation, neutral code) -> NewebPay code; `*` is any operation.
NEUTRAL_CODES: dict[tuple[str, str], str] = {
    ("*", "duplicate_order"): "MPG03008",
    ("*", "url_invalid"): "MPG01014",
    ("*", "order_not_card"): "TRA10021",
    ("*", "amount_invalid"): "TRA10028",
    ("capture", "order_not_authorized"): "TRA10026",
    ("cancel_capture", "order_not_capture_pending"): "TRA10094",
    ("refund", "order_not_paid"): "TRA10035",
    ("refund", "order_fully_refunded"): "TRA20028",
    ("refund", "amount_invalid"): "TRA20028",
    ("void", "order_not_authorized"): "TRA10047",
}


#: Fallbacks by the error's kind (an unknown order; storage refusing a write).
KIND_CODES = {"not_found": "TRA20002", "storage_unavailable": "NOR1001"}


def translate(error_: CoreError, operation: str) -> tuple[str, str]:
    """(Status, Message) for any core error raised during `operation`."""
    if isinstance(error_, NewebPayError):
        return error_.code, error_.message
    code = NEUTRAL_CODES.get((operation, error_.code)) or NEUTRAL_CODES.get(("*", error_.code))
    if code is None:
        code = KIND_CODES.get(error_.kind, "TRA10030")
    return code, MESSAGES.get(code, error_.message)


# -- encoding answers --------------------------------------------------------------------
def to_json(value: Any) -> str:
    """Compact JSON with non-ASCII as \\u escapes, as NewebPay's PHP `json_encode` writes."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def to_sturdy_json(value: Any) -> str:
    """JSON whose bytes survive a decoder that strips 0x00-0x20 everywhere (NewebPay's own
    Node SDK does, gateways.md 8): a space inside a value is written `\\u0020`, which every
    JSON parser reads back as a space, and compact separators put none outside values."""
    return to_json(value).replace(" ", "\\u0020")


def to_string(pairs: Mapping[str, Any]) -> str:
    """`key=value&...` urlencoded (RespondType=String)."""
    return urllib.parse.urlencode([(k, "" if v is None else str(v)) for k, v in pairs.items()])


def answer(status: str, message: str, result: Mapping[str, Any] | None,
           respond_type: str) -> tuple[bytes, str]:
    """A server API answer (body, content type) in the RespondType asked for."""
    if respond_type == "String":
        flat = {"Status": status, "Message": message, **(result or {})}
        return to_string(flat).encode(), "text/html"
    body = {"Status": status, "Message": message, "Result": dict(result) if result else []}
    return to_json(body).encode(), "application/json"
