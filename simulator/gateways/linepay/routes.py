"""LINE Pay's operations (Online API v3, gateways.md 3.2): route, handler and contracts of
each, in one table. Answers are HTTP 200 with a returnCode, refusals included; the bodies
are validated by the wire (JSON needs no coercion), so they are `request_body` here."""

from __future__ import annotations

from paylab.simulator.gateways.linepay import handlers as h
from paylab.simulator.gateways.spec import Operation

_L = "linepay/"
_JSON = "application/json"
_TX = "/v3/payments/{transactionId}"
_AUTH = "/v3/payments/authorizations/{transactionId}"
_PRE = "/v3/payments/preapprovedPay/{regKey}"


def _op(method: str, path: str, op_id: str, handler: object, summary: str, body: str | None,
        response: str, query: str | None = None) -> Operation:
    return Operation(method, path, op_id, handler, summary,  # type: ignore[arg-type]
                     request_body=_L + body if body else None, query=query,
                     response=_L + response, errors=(), content_type=_JSON)


OPERATIONS: tuple[Operation, ...] = (
    _op("POST", "/v3/payments/request", "Request", h.request,
        "Reserve a payment; paymentUrl is where the shopper approves it", "request",
        "request_response"),
    _op("POST", _TX + "/confirm", "Confirm", h.confirm,
        "Confirm an approved payment for its exact amount and currency", "confirm",
        "confirm_response"),
    _op("POST", _AUTH + "/capture", "Capture", h.capture,
        "Capture an authorised (capture:false) payment", "capture", "capture_response"),
    _op("POST", _AUTH + "/void", "Void", h.void, "Void an authorised payment", "void",
        "answer"),
    _op("POST", _TX + "/refund", "Refund", h.refund,
        "Refund a captured payment, fully or partly", "refund", "refund_response"),
    _op("GET", "/v3/payments", "PaymentDetails", h.details,
        "Payments and refunds by transactionId and/or orderId", None, "details_response",
        query=_L + "details_query"),
    _op("GET", "/v3/payments/requests/{transactionId}/check", "CheckRequestStatus", h.check,
        "Where the shopper's approval of a request stands", None, "check_response"),
    _op("POST", _PRE + "/payment", "PreapprovedPay", h.preapproved,
        "Preapproved payment (not emulated: 1154)", "preapproved", "answer"),
    _op("GET", _PRE + "/check", "CheckRegKey", h.preapproved,
        "Check a regKey (not emulated: 1154)", None, "answer"),
    _op("POST", _PRE + "/expire", "ExpireRegKey", h.preapproved,
        "Expire a regKey (not emulated: 1154)", "preapproved", "answer"),
)
