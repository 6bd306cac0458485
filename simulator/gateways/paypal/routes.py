"""PayPal's operations: route, handler and contracts of each, in one table. Paths are
PayPal's own under the /paypal mount (the SDK's base URL is `<simulator>/paypal`)."""

from __future__ import annotations

from paylab.simulator.gateways.paypal import handlers as h
from paylab.simulator.gateways.paypal.settlement import search_transactions
from paylab.simulator.gateways.spec import Operation

_J = "application/json"
_READ = (401, 403, 404)
_WRITE = (400, 401, 403, 404, 409, 422)


def Op(method: str, path: str, operation_id: str, handler: object, summary: str, *,
       request: str | None = None, response: str | None = None,
       errors: tuple[int, ...] = _WRITE, success: int = 200) -> Operation:
    """A JSON operation (every PayPal REST call takes and answers JSON)."""
    return Operation(method, path, operation_id, handler, summary, request=request,
                     response=response, errors=errors, content_type=_J, success=success)


OPERATIONS: tuple[Operation, ...] = (
    Op("POST", "/v2/checkout/orders", "OrdersCreate", h.create_order,
       "Create an order (intent CAPTURE or AUTHORIZE)", request="paypal/order_create",
       response="paypal/order", success=201),
    Op("GET", "/v2/checkout/orders/{id}", "OrdersGet", h.get_order, "Show an order",
       response="paypal/order", errors=_READ),
    Op("POST", "/v2/checkout/orders/{id}/authorize", "OrdersAuthorize", h.authorize_order,
       "Authorize payment for an approved order", request="paypal/complete_request",
       response="paypal/order", success=201),
    Op("POST", "/v2/checkout/orders/{id}/capture", "OrdersCapture", h.capture_order,
       "Capture payment for an approved order", request="paypal/complete_request",
       response="paypal/order", success=201),
    Op("GET", "/v2/payments/authorizations/{id}", "AuthorizationsGet", h.get_authorization,
       "Show an authorized payment", response="paypal/authorization", errors=_READ),
    Op("POST", "/v2/payments/authorizations/{id}/capture", "AuthorizationsCapture",
       h.capture_authorization, "Capture an authorized payment (all or part of it)",
       request="paypal/capture_request", response="paypal/capture", success=201),
    Op("POST", "/v2/payments/authorizations/{id}/void", "AuthorizationsVoid",
       h.void_authorization, "Void an authorized payment (204)", success=204),
    Op("GET", "/v2/payments/captures/{id}", "CapturesGet", h.get_capture,
       "Show a captured payment", response="paypal/capture", errors=_READ),
    Op("POST", "/v2/payments/captures/{id}/refund", "CapturesRefund", h.refund_capture,
       "Refund a captured payment (all or part of it)", request="paypal/refund_request",
       response="paypal/refund", success=201),
    Op("GET", "/v2/payments/refunds/{id}", "RefundsGet", h.get_refund,
       "Show a refund", response="paypal/refund", errors=_READ),
    Op("POST", "/v1/notifications/webhooks", "WebhooksCreate", h.create_webhook,
       "Subscribe a URL to event types", request="paypal/webhook_create",
       response="paypal/webhook", success=201),
    Op("GET", "/v1/notifications/webhooks", "WebhooksList", h.list_webhooks,
       "List the app's webhooks", response="paypal/webhook_list", errors=(401,)),
    Op("GET", "/v1/notifications/webhooks/{id}", "WebhooksGet", h.get_webhook,
       "Show a webhook", response="paypal/webhook", errors=_READ),
    Op("DELETE", "/v1/notifications/webhooks/{id}", "WebhooksDelete", h.delete_webhook,
       "Delete a webhook (204)", errors=_READ, success=204),
    Op("POST", "/v1/notifications/verify-webhook-signature", "WebhooksVerifySignature",
       h.verify_signature, "Verify a delivery's transmission signature",
       request="paypal/verify_request", response="paypal/verify_response"),
    Op("GET", "/v1/reporting/transactions", "TransactionsSearch", search_transactions,
       "List the app's payments and refunds between start_date and end_date (a subset of "
       "Transaction Search)", response="paypal/transaction_search", errors=(400, 401, 403)),
)
