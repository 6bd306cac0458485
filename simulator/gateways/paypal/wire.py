"""PayPal's words: its error body and HTTP statuses, its issue names, its ids, money as
decimal strings and times in Internet date-time format.

The core speaks neutral codes and integer minor units; everything here maps them to what
PayPal's REST APIs answer (`{name, message, debug_id, details[], links}`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import secrets
import string
from typing import Any

from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CoreError, InvalidRequest, InvalidState, NotFound

GATEWAY = "paypal"

#: HTTP status -> (name, message) of PayPal's error body.
NAMES: dict[int, tuple[str, str]] = {
    400: ("INVALID_REQUEST",
          "Request is not well-formed, syntactically incorrect, or violates schema."),
    401: ("AUTHENTICATION_FAILURE", "Authentication failed due to invalid authentication "
          "credentials or a missing Authorization header."),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    405: ("METHOD_NOT_SUPPORTED", "The server does not implement the requested HTTP method."),
    409: ("RESOURCE_CONFLICT", "The server has detected a conflict while processing this "
          "request."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The server does not support the request payload's media "
          "type."),
    422: ("UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically "
          "incorrect, or failed business validation."),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error has occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}

#: Issues of the Orders and Payments APIs we raise (or a mock header may name) -> status
#: and description. Unlisted mock codes answer 422 with the code as the issue.
ISSUES: dict[str, tuple[int, str]] = {
    "INSTRUMENT_DECLINED": (422, "The instrument presented was either declined by the "
                            "processor or bank, or it can't be used for this payment."),
    "PAYER_ACTION_REQUIRED": (422, "Payer needs to perform the following action before "
                              "proceeding with payment."),
    "ORDER_NOT_APPROVED": (422, "Payer has not yet approved the Order for payment. Please "
                           "redirect the payer to the 'rel':'approve' url returned as part "
                           "of the HATEOAS links within the Create Order call or provide a "
                           "valid payment_source in the request."),
    "ORDER_ALREADY_CAPTURED": (422, "Order already captured. If 'intent=CAPTURE' only one "
                               "capture per order is allowed."),
    "ORDER_ALREADY_AUTHORIZED": (422, "Order already authorized. If 'intent=AUTHORIZE' only "
                                 "one authorization per order is allowed."),
    "ORDER_EXPIRED": (422, "The order has expired."),
    "ORDER_CANNOT_BE_SAVED": (422, "The order cannot be saved."),
    "ACTION_DOES_NOT_MATCH_INTENT": (422, "Order was created with an intent that does not "
                                     "match this action."),
    "ORDER_COMPLETION_IN_PROGRESS": (422, "The order is being completed; retry the request "
                                     "later."),
    "DUPLICATE_INVOICE_ID": (422, "Duplicate Invoice ID detected. To avoid a potential "
                             "duplicate transaction your account setting requires that "
                             "Invoice Id be unique for each transaction."),
    "TRANSACTION_REFUSED": (422, "The request was refused."),
    "AMOUNT_MISMATCH": (422, "Should equal item_total + tax_total + shipping + handling + "
                        "insurance - shipping_discount - discount."),
    "ITEM_TOTAL_MISMATCH": (422, "Should equal sum of (unit_amount * quantity) across all "
                            "items for a given purchase_unit."),
    "CURRENCY_MISMATCH": (422, "Currency code should be the same across the request."),
    "CURRENCY_NOT_SUPPORTED": (422, "Currency code is not supported."),
    "DECIMAL_PRECISION": (422, "If the currency supports decimals, only two decimal place "
                          "precision is supported."),
    "CANNOT_BE_ZERO_OR_NEGATIVE": (422, "Must be greater than zero."),
    "MAX_VALUE_EXCEEDED": (422, "The value is larger than the simulator takes "
                           "(99,999,999 in minor units)."),
    "AUTHORIZATION_ALREADY_CAPTURED": (422, "Authorization has previously been captured."),
    "AUTHORIZATION_VOIDED": (422, "A voided authorization cannot be captured or "
                             "reauthorized."),
    "AUTHORIZATION_EXPIRED": (422, "An expired authorization cannot be captured."),
    "PREVIOUSLY_VOIDED": (422, "The authorization has been previously voided and hence "
                          "cannot be voided again."),
    "CANNOT_BE_VOIDED": (422, "A captured authorization cannot be voided."),
    "MAX_CAPTURE_AMOUNT_EXCEEDED": (422, "Capture amount exceeds allowable limit."),
    "CAPTURE_FULLY_REFUNDED": (422, "The capture has already been fully refunded."),
    "REFUND_AMOUNT_EXCEEDED": (422, "The refund amount must be less than or equal to the "
                               "capture amount that has not yet been refunded."),
    "CAPTURE_NOT_COMPLETED": (422, "Refund cannot be issued because the capture is not "
                              "completed."),
    "DUPLICATE_REQUEST_ID": (422, "The value of PayPal-Request-Id header has already been "
                             "used with another request."),
    "REQUEST_IN_PROGRESS": (409, "A request with the same PayPal-Request-Id is still being "
                            "processed."),
    "INVALID_RESOURCE_ID": (404, "Specified resource ID does not exist. Please check the "
                            "resource ID and try again."),
    "PERMISSION_DENIED": (403, "You do not have permission to access or perform operations "
                          "on this resource."),
    "INTERNAL_SERVER_ERROR": (500, "An internal server error has occurred."),
    "INVALID_PARAMETER_SYNTAX": (400, "The value of a field does not conform to the expected "
                                 "format."),
    "INVALID_PARAMETER_VALUE": (400, "The value of a field is invalid."),
    "MISSING_REQUIRED_PARAMETER": (400, "A required field / parameter is missing."),
    "INVALID_STRING_LENGTH": (400, "The value of a field is either too short or too long."),
    "INVALID_ARRAY_MAX_ITEMS": (400, "The number of items in an array parameter is too "
                                "large."),
    "MALFORMED_REQUEST_JSON": (400, "The request JSON is not well formed."),
    "WEBHOOK_URL_ALREADY_EXISTS": (400, "Webhook URL already exists."),
    "WEBHOOK_NUMBER_LIMIT_EXCEEDED": (400, "Webhook number limit exceeded."),
    "INVALID_WEBHOOK_ID": (404, "Webhook id does not exist."),
}

#: Currencies PayPal accepts, with their decimal places (HUF, JPY and TWD take none).
CURRENCIES: dict[str, int] = dict.fromkeys((
    "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "ILS", "MYR", "MXN", "NZD", "NOK",
    "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD"), 2) | {"HUF": 0, "JPY": 0, "TWD": 0}

_ID_ALPHABET = string.ascii_uppercase + string.digits
#: The largest amount the simulator takes, in minor units: PayPal's own limit is far
#: higher (15 digits), the simulator's ledger stops at eight digits (see the README).
MAX_MINOR = 99_999_999


class PaypalError(CoreError):
    """A refusal in PayPal's terms: an HTTP status, and the issue and field it names."""

    kind = "invalid_request"

    def __init__(self, issue: str, *, status: int | None = None, field: str | None = None,
                 value: Any = None, location: str = "body", description: str | None = None
                 ) -> None:
        known_status, known_text = ISSUES.get(issue, (422, issue.replace("_", " ").lower()))
        super().__init__(issue, description or known_text, param=field)
        self.status = status or known_status
        self.field, self.value, self.location = field, value, location


def debug_id() -> str:
    """A fresh debug id (13 hex characters, as PayPal's)."""
    return secrets.token_hex(7)[:13]  # an id, not a credential: any source would do


def error_body(status: int, details: list[dict[str, Any]] | None = None,
               message: str | None = None) -> dict[str, Any]:
    """PayPal's error body for `status` with `details`."""
    name, default = NAMES.get(status, NAMES[500 if status >= 500 else 400])
    body: dict[str, Any] = {"name": name, "message": message or default,
                            "debug_id": debug_id()}
    if details:
        body["details"] = details
    issue = details[0]["issue"] if details else name
    body["links"] = [{"href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
                      "rel": "information_link", "method": "GET"}]
    return body


def detail(error: PaypalError) -> dict[str, Any]:
    """One `details[]` entry."""
    out: dict[str, Any] = {}
    if error.field is not None:
        out["field"] = error.field
        if error.value is not None:
            out["value"] = str(error.value)
        out["location"] = error.location
    out["issue"] = error.code
    out["description"] = error.message
    return out


def refusal(error: CoreError) -> tuple[int, dict[str, Any]]:
    """(status, body) for any core error a PayPal operation raised."""
    if isinstance(error, PaypalError):
        if error.status == 401:
            return 401, error_body(401)
        return error.status, error_body(error.status, [detail(error)])
    mapped = _mapped(error)
    return mapped.status, error_body(mapped.status, [detail(mapped)])


def _mapped(error: CoreError) -> PaypalError:
    """A neutral core error in PayPal's issue names."""
    code = error.code
    simple = {"duplicate_order": "DUPLICATE_INVOICE_ID", "order_expired": "ORDER_EXPIRED",
              "order_not_approved": "ORDER_NOT_APPROVED", "amount_mismatch": "AMOUNT_MISMATCH",
              "refund_reference_reused": "DUPLICATE_REQUEST_ID",
              "order_fully_refunded": "CAPTURE_FULLY_REFUNDED",
              "idempotency_key_reused": "DUPLICATE_REQUEST_ID",
              "idempotency_key_in_use": "REQUEST_IN_PROGRESS"}
    if code in simple:
        return PaypalError(simple[code])
    if error.kind == "declined":
        return PaypalError("INSTRUMENT_DECLINED")
    if error.kind == "storage_unavailable":
        return PaypalError("INTERNAL_SERVER_ERROR", status=503, description=error.message)
    if isinstance(error, NotFound):
        return PaypalError("INVALID_RESOURCE_ID", location="path")
    if error.kind == "unauthenticated":
        return PaypalError("AUTHENTICATION_FAILURE", status=401)
    if isinstance(error, InvalidState):
        return PaypalError("UNPROCESSABLE_ENTITY", description=error.message)
    if isinstance(error, InvalidRequest):
        return PaypalError("INVALID_PARAMETER_VALUE", description=error.message)
    return PaypalError("INTERNAL_SERVER_ERROR", description=error.message)


def violation(problem: Problem) -> PaypalError:
    """A contract problem as PayPal names a bad field (a JSON pointer into the body)."""
    pointer = "/" + "/".join(str(p) for p in problem.path)
    keyword = problem.keyword
    if keyword == "required":
        return PaypalError("MISSING_REQUIRED_PARAMETER", field=pointer)
    issue = {"maxLength": "INVALID_STRING_LENGTH", "minLength": "INVALID_STRING_LENGTH",
             "maxItems": "INVALID_ARRAY_MAX_ITEMS", "minItems": "MISSING_REQUIRED_PARAMETER",
             "pattern": "INVALID_PARAMETER_SYNTAX", "type": "INVALID_PARAMETER_SYNTAX",
             "format": "INVALID_PARAMETER_SYNTAX",
             "additionalProperties": "UNKNOWN_FIELD"}.get(keyword, "INVALID_PARAMETER_VALUE")
    value = problem.value if isinstance(problem.value, str | int | float) else None
    return PaypalError(issue, field=pointer, value=value)


# -- money ------------------------------------------------------------------------------
def to_minor(value: str, currency: str, field: str) -> int:
    """A PayPal decimal string in minor units of `currency`; PayPal's issue when the
    currency is unknown, the precision too fine or the amount not positive."""
    places = CURRENCIES.get(currency)
    if places is None:
        raise PaypalError("CURRENCY_NOT_SUPPORTED", field=field.rsplit("/", 1)[0]
                          + "/currency_code", value=currency)
    try:
        amount = decimal.Decimal(value)
    except decimal.InvalidOperation as exc:
        raise PaypalError("INVALID_PARAMETER_SYNTAX", field=field, value=value) from exc
    if amount != amount.quantize(decimal.Decimal(1).scaleb(-places)):
        raise PaypalError("DECIMAL_PRECISION", field=field, value=value)
    if amount <= 0:
        raise PaypalError("CANNOT_BE_ZERO_OR_NEGATIVE", field=field, value=value)
    minor = int(amount.scaleb(places))
    if minor > MAX_MINOR:
        raise PaypalError("MAX_VALUE_EXCEEDED", field=field, value=value)
    return minor


def to_value(amount: int, currency: str) -> str:
    """Minor units as PayPal's decimal string (`1000`, `"USD"` -> `"10.00"`)."""
    places = CURRENCIES.get(currency.upper(), 2)
    if not places:
        return str(amount)
    whole, frac = divmod(amount, 10**places)
    return f"{whole}.{frac:0{places}d}"


def money(amount: int, currency: str) -> dict[str, str]:
    """PayPal's money object."""
    return {"currency_code": currency.upper(), "value": to_value(amount, currency)}


# -- ids and times ----------------------------------------------------------------------
def new_id(draw: Any, length: int = 17) -> str:
    """A PayPal-shaped id (17 upper-case letters and digits) from the seeded stream
    (`draw(low, high)` is `rand.randint`); ids grant nothing, so seeded is fine."""
    return "".join(_ID_ALPHABET[draw(0, len(_ID_ALPHABET) - 1)] for _ in range(length))


def payer_id(email: str) -> str:
    """A buyer's stable 13-character payer id, derived from the sandbox login."""
    digest = hashlib.sha256(email.strip().lower().encode()).digest()
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:13])


def timestamp(epoch: float | None) -> str | None:
    """Internet date-time in UTC, as PayPal writes `create_time`."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tenant_of(client_id: str) -> str:
    """The tenant a PayPal app (client id) is (core.merchants.tenant_of)."""
    return f"{GATEWAY}-{client_id}"
