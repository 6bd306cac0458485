"""ECPay's words: reading its forms, its error codes and messages, its payment-type names
and its clock (Taiwan time).

The core speaks neutral codes; everything here maps them to what ECPay answers. Codes
marked "best reading" in `CODES` are not in ECPay's published documents (see the README's
ECPay section): the documented and community-confirmed ones are 10200073, 10200052,
10300028, 10100050, 10200141 and 10200027.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CoreError, InvalidRequest, InvalidState, NotFound

#: (RtnCode, message) of each refusal.
CHECKMAC = ("10200073", "CheckMacValue Error")
TRADE_NO_FORMAT = ("10200052", "MerchantTradeNo Error")
DUPLICATE = ("10300028", "Duplicated MerchantTradeNo")
PARAMETER = "10100050"  # "Parameter Error. <Field> Not In Spec" (community-confirmed)
MERCHANT = ("10200141", "商店尚未提供任何付款方式,請聯繫商店處理。 (MerchantID not enabled)")
TRADE_NO = ("10200027", "TradeNo Error")
NOT_FOUND = ("10200047", "Cant not find the trade data.")  # best reading
#: A refusal ECPay has no published code for: RtnCode 0 and the reason in RtnMsg.
REFUSED = "0"

TAIWAN = dt.timezone(dt.timedelta(hours=8))
#: How long DoAction is refused once the daily close has started.
CLOSE_MINUTES = 15

#: ChoosePayment / IgnorePayment names -> the core's payment methods. `ApplePay` is a card
#: from the shopper's Apple Pay sheet (simulated); it is among ALL's choices, and
#: IgnorePayment=ApplePay leaves it out, as ECPay's SDK samples name it.
METHODS = {"Credit": "card", "WebATM": "webatm", "ATM": "atm", "CVS": "cvs",
           "BARCODE": "barcode", "ApplePay": "apple_pay"}
CHOICES = {method: name for name, method in METHODS.items()}
#: ChooseSubPayment per payment type; the first is the default. ATM banks with the
#: bank code a virtual account shows (best reading for the codes).
ATM_BANKS = {"TAISHIN": "812", "ESUN": "808", "BOT": "004", "FUBON": "012",
             "CHINATRUST": "822", "FIRST": "007", "LAND": "005", "CATHAY": "013",
             "TACHONG": "814", "PANHSIN": "118"}
SUB_PAYMENTS = {
    "ATM": tuple(ATM_BANKS),
    "CVS": ("CVS", "OK", "FAMILY", "HILIFE", "IBON"),
    "BARCODE": ("BARCODE",),
    "WebATM": ("TAISHIN", "ESUN", "BOT", "FUBON", "CHINATRUST", "FIRST", "CATHAY", "MEGA",
               "LAND", "TACHONG", "SINOPAC"),
    "Credit": (),
    "ApplePay": (),
}
#: PaymentType of a payment by card and by Apple Pay (the latter is our reading of ECPay's
#: payment-type table: `ApplePay`, with no sub-type; see the README).
CARD_PAYMENT_TYPES = {"card": "Credit_CreditCard", "apple_pay": "ApplePay"}


class EcpayError(CoreError):
    """A refusal in ECPay's terms: `code` is the RtnCode, `message` the RtnMsg."""

    kind = "invalid_request"

    def __init__(self, code_message: tuple[str, str] | str, message: str | None = None, *,
                 param: str | None = None) -> None:
        code, text = code_message if isinstance(code_message, tuple) else (code_message,
                                                                           message or "")
        super().__init__(code, message or text, param=param)


def parameter_error(field: str, detail: str) -> EcpayError:
    """ECPay's `Parameter Error.` for one field."""
    if field == "MerchantTradeNo" and detail != "is required":
        return EcpayError(TRADE_NO_FORMAT, param=field)
    return EcpayError(PARAMETER, f"Parameter Error. {field} {detail}", param=field)


def violation(problem: Problem) -> EcpayError:
    """A contract problem as ECPay words a bad field."""
    field = str(problem.path[0]) if problem.path else "Form"
    keyword, expected = problem.keyword, problem.expected
    details = {
        "required": "is required",
        "additionalProperties": "Not In Spec",
        "maxLength": f"is longer than {expected} characters",
        "minLength": "is required",
        "pattern": "has an invalid format",
        "type": "must be an integer" if expected == "integer" else "has an invalid format",
        "minimum": f"must be at least {expected}",
        "maximum": f"must be at most {expected}",
    }
    if keyword in ("enum", "const"):
        allowed = expected if isinstance(expected, list) else [expected]
        return parameter_error(field, f"must be one of {', '.join(map(str, allowed))}")
    return parameter_error(field, details.get(keyword, "is invalid"))


def refusal(error: CoreError) -> tuple[str, str]:
    """(RtnCode, RtnMsg) for any core error an ECPay operation raised."""
    if isinstance(error, EcpayError):
        return error.code, error.message
    if error.code == "duplicate_order":
        return DUPLICATE
    if isinstance(error, NotFound):
        return NOT_FOUND
    if isinstance(error, InvalidState):
        return REFUSED, error.message
    if error.kind == "storage_unavailable":
        return REFUSED, "The simulator's storage refused the write; try again."
    if isinstance(error, InvalidRequest):
        return PARAMETER, f"Parameter Error. {error.message}"
    return REFUSED, error.message


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """An `application/x-www-form-urlencoded` UTF-8 body as pairs; a field given twice or
    bytes that are not UTF-8 are refused (never guessed at)."""
    try:
        pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                       errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise EcpayError(PARAMETER, "Parameter Error. The form is not UTF-8 "
                         "application/x-www-form-urlencoded.") from exc
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise parameter_error(key, "is given more than once")
        seen.add(key)
    return pairs


def decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The fields the contract checks: empty optional values count as absent (SDKs send
    every optional field, empty; the CheckMacValue still covers them)."""
    return {key: value for key, value in pairs if value != ""}


def tenant_of(merchant_id: str) -> str:
    """The tenant an ECPay merchant is (core.merchants.tenant_of)."""
    return f"ecpay-{merchant_id}"


def taiwan_time(timestamp: float | None) -> str:
    """`yyyy/MM/dd HH:mm:ss` in Taiwan time, as ECPay writes times ('' for none)."""
    if timestamp is None:
        return ""
    return dt.datetime.fromtimestamp(timestamp, TAIWAN).strftime("%Y/%m/%d %H:%M:%S")


def taiwan_date(timestamp: float) -> str:
    """`yyyy/MM/dd` in Taiwan time (an ATM code's ExpireDate)."""
    return dt.datetime.fromtimestamp(timestamp, TAIWAN).strftime("%Y/%m/%d")


def payment_type(order: dict[str, Any]) -> str:
    """ECPay's PaymentType of a paid or code-issued order, e.g. `ATM_TAISHIN`; '' before a
    method was chosen."""
    method = order["method"]
    if method is None:
        return ""
    if method in CARD_PAYMENT_TYPES:
        return CARD_PAYMENT_TYPES[method]
    name = CHOICES[method]
    subs = SUB_PAYMENTS[name]
    chosen = order["extra"].get("sub_payment")
    return f"{name}_{chosen if chosen in subs else subs[0]}"
