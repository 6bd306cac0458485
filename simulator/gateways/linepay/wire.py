"""LINE Pay's words: its return codes and messages, its JSON (19-digit transaction ids as
exact JSON integers), amounts per currency, and the mapping from the core's neutral errors
to a `returnCode`.

Every answer is HTTP 200 with `{"returnCode", "returnMessage"[, "info"]}`, business
refusals included (gateways.md 3.1). Codes marked "our reading" in `CODES` are choices
where LINE Pay's documents name no code for the case (README: LINE Pay).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CoreError

SUCCESS = "0000"
#: returnCode -> returnMessage (developers.line.biz appendix, gateways.md 3.5).
CODES = {
    SUCCESS: "Success.",
    "1104": "Merchant not found.",
    "1105": "This merchant cannot use LINE Pay.",
    "1106": "Header information error.",
    "1110": "This credit card cannot be used.",
    "1124": "Amount info error (scale).",
    "1141": "Payment account status error.",
    "1142": "Insufficient balance remains.",
    "1145": "Payment is in progress.",
    "1150": "Transaction record not found.",
    "1152": "There is a same transactionId already existed.",
    "1153": "The payment amount is different from the requested amount.",
    "1154": "The preapproved payment method cannot be used.",
    "1155": "This transaction cannot be refunded.",
    "1159": "Payment request information not found.",
    "1164": "Exceeds refundable amount.",
    "1165": "Transaction already refunded.",
    "1169": "The user has not completed payment selection and authentication in LINE Pay.",
    "1172": "There is a record of transaction with the same order number.",
    "1177": "Exceeded the maximum number of transactions (100) that can be retrieved.",
    "2101": "Parameter error.",
    "9000": "Internal error.",
}
#: Check-status codes (gateways.md 3.4 and 8: both SDKs treat them as answers, not errors).
CHECK = {
    "pending": ("0000", "Waiting for the user to authorize the payment."),
    "ready": ("0110", "The user authorized the payment; it is ready to be confirmed."),
    "ended": ("0121", "The payment was cancelled by the user or its request expired."),
    "failed": ("0122", "The payment failed."),
    "complete": ("0123", "The payment is complete."),
}
#: Digits after the decimal point LINE Pay takes per currency (TWD and JPY: none).
DECIMALS = {"TWD": 0, "JPY": 0, "USD": 2, "THB": 2}
#: The core's neutral refusal codes -> LINE Pay's returnCode.
NEUTRAL = {
    "amount_mismatch": "1153",
    "order_fully_refunded": "1165",
    "amount_invalid": "1164",  # only a refund amount past what is left gets this far
    "order_not_paid": "1155",
    "duplicate_order": "1172",
    "order_expired": "1159",  # our reading: the reservation is gone
    "not_found": "1150",
    "resource_missing": "1150",
    "refund_reference_reused": "1172",
    "storage_unavailable": "9000",
    # another process confirmed, captured or voided it between our read and the change
    "order_not_approved": "1172",
    "order_not_authorized": "1150",
}
#: Wallet declines (decline_code) -> LINE Pay's refusal at approval.
DECLINES = {"insufficient_funds": "1142", "card_not_supported": "1110",
            "card_declined": "1110", "fraudulent": "1141", "account_unusable": "1141"}


class LinePayError(CoreError):
    """A refusal in LINE Pay's terms: `code` is the returnCode; `detail` is appended to the
    code's message in brackets (which field, which value)."""

    kind = "invalid_request"

    def __init__(self, code: str, detail: str | None = None, *, param: str | None = None
                 ) -> None:
        message = CODES.get(code, "Error.")
        super().__init__(code, f"{message} ({detail})" if detail else message, param=param)


def return_code(error: CoreError) -> tuple[str, str]:
    """(returnCode, returnMessage) for any core error."""
    if isinstance(error, LinePayError):
        return error.code, error.message
    if error.kind == "declined":
        code = DECLINES.get(str(error.context.get("decline_code")), "1110")
        return code, CODES[code]
    code = NEUTRAL.get(error.code) or ("1150" if error.kind == "not_found" else "2101")
    return code, f"{CODES[code]} ({error.message})"


def body(code: str, message: str | None = None, info: Any = None) -> bytes:
    """The JSON answer; integers (transaction ids) are written exactly."""
    doc: dict[str, Any] = {"returnCode": code, "returnMessage": message or CODES.get(code, "")}
    if info is not None:
        doc["info"] = info
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """Parse a request body: integers stay exact (Python ints), decimals are read as
    Decimal so `100.0` and `100.5` are told apart exactly; NaN and Infinity are refused."""
    return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)


def plain(value: Any) -> Any:
    """A parsed body with Decimals as numbers JSON can store (integral ones as integers)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def minor(amount: Any, currency: str, field: str) -> int:
    """A LINE Pay amount (number, as sent) in the currency's minor units: 100 and 100.0 are
    both NT$100; a fraction TWD or JPY cannot carry is refused with 1124."""
    decimals = DECIMALS[currency]
    value = Decimal(str(amount)) * (10 ** decimals)
    if value != value.to_integral_value():
        raise LinePayError("1124", f"{field} has more decimals than {currency} allows",
                           param=field)
    return int(value)


def major(amount: int, currency: str) -> int | float:
    """Minor units back to a LINE Pay amount (an integer where the currency has no
    decimals)."""
    decimals = DECIMALS.get(currency.upper(), 0)
    return amount if decimals == 0 else amount / 10 ** decimals


def violation(problem: Problem) -> LinePayError:
    """A contract problem as LINE Pay's 2101 naming the field (its path, dotted)."""
    field = ".".join(str(p) for p in problem.path) or "body"
    details = {"required": "is required", "additionalProperties": "is not a known field",
               "type": "has the wrong type", "enum": "is not an allowed value",
               "maxLength": "is too long", "minLength": "is too short",
               "pattern": "has an invalid format", "minItems": "needs at least one item",
               "maxItems": "has too many items", "minimum": "is too small",
               "exclusiveMinimum": "is too small", "maximum": "is too large"}
    detail = details.get(problem.keyword, "is invalid")
    return LinePayError("2101", f"{field} {detail}", param=field)


def iso(epoch: float | None) -> str | None:
    """LINE Pay's ISO-8601 UTC time (`2020-06-10T10:00:00Z`)."""
    if epoch is None or not math.isfinite(epoch):
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
