"""Stripe's operations: route, handler and contracts of each, in one table."""

from __future__ import annotations

from simulator.gateways.spec import Operation as Op
from simulator.gateways.stripe import handlers as h

_PI, _RQ, _L = "stripe/payment_intent", "stripe/requests/", "stripe/list#/$defs/"
_PIN = "/v1/payment_intents/{intent}"
_WE = "/v1/webhook_endpoints/{webhook_endpoint}"

OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/v1/payment_intents", "CreatePaymentIntent", h.create_payment_intent,
       "Create a PaymentIntent", request=_RQ + "payment_intent_create", response=_PI,
       errors=(400, 401, 402, 404, 409)),
    Op("GET", "/v1/payment_intents", "ListPaymentIntents", h.list_payment_intents,
       "List PaymentIntents", query=_RQ + "payment_intent_list", response=_L + "payment_intents"),
    Op("GET", _PIN, "RetrievePaymentIntent", h.retrieve_payment_intent, "Retrieve a PaymentIntent",
       query=_RQ + "retrieve", response=_PI),
    Op("POST", _PIN, "UpdatePaymentIntent", h.update_payment_intent, "Update a PaymentIntent",
       request=_RQ + "payment_intent_update", response=_PI, errors=(400, 401, 402, 404, 409)),
    Op("POST", _PIN + "/confirm", "ConfirmPaymentIntent", h.confirm_payment_intent,
       "Confirm a PaymentIntent", request=_RQ + "payment_intent_confirm", response=_PI,
       errors=(400, 401, 402, 404, 409)),
    Op("POST", _PIN + "/capture", "CapturePaymentIntent", h.capture_payment_intent,
       "Capture a PaymentIntent", request=_RQ + "payment_intent_capture", response=_PI),
    Op("POST", _PIN + "/cancel", "CancelPaymentIntent", h.cancel_payment_intent,
       "Cancel a PaymentIntent", request=_RQ + "payment_intent_cancel", response=_PI),
    Op("POST", "/v1/payment_methods", "CreatePaymentMethod", h.create_payment_method,
       "Create a card PaymentMethod", request=_RQ + "payment_method_create",
       response="stripe/payment_method", errors=(400, 401, 402)),
    Op("GET", "/v1/payment_methods/{payment_method}", "RetrievePaymentMethod",
       h.retrieve_payment_method, "Retrieve a PaymentMethod", query=_RQ + "retrieve",
       response="stripe/payment_method"),
    Op("GET", "/v1/charges", "ListCharges", h.list_charges, "List charges",
       query=_RQ + "charge_list", response=_L + "charges"),
    Op("GET", "/v1/charges/{charge}", "RetrieveCharge", h.retrieve_charge, "Retrieve a charge",
       query=_RQ + "retrieve", response="stripe/charge"),
    Op("POST", "/v1/refunds", "CreateRefund", h.create_refund, "Create a refund",
       request=_RQ + "refund_create", response="stripe/refund"),
    Op("GET", "/v1/refunds", "ListRefunds", h.list_refunds, "List refunds",
       query=_RQ + "refund_list", response=_L + "refunds"),
    Op("GET", "/v1/refunds/{refund}", "RetrieveRefund", h.retrieve_refund, "Retrieve a refund",
       query=_RQ + "retrieve", response="stripe/refund"),
    Op("GET", "/v1/events", "ListEvents", h.list_events, "List events",
       query=_RQ + "event_list", response=_L + "events"),
    Op("GET", "/v1/events/{id}", "RetrieveEvent", h.retrieve_event, "Retrieve an event",
       query=_RQ + "retrieve", response="stripe/event"),
    Op("POST", "/v1/webhook_endpoints", "CreateWebhookEndpoint", h.create_webhook_endpoint,
       "Create a webhook endpoint", request=_RQ + "webhook_endpoint_create",
       response="stripe/webhook_endpoint"),
    Op("GET", "/v1/webhook_endpoints", "ListWebhookEndpoints", h.list_webhook_endpoints,
       "List webhook endpoints", query=_RQ + "webhook_endpoint_list",
       response=_L + "webhook_endpoints"),
    Op("GET", _WE, "RetrieveWebhookEndpoint", h.retrieve_webhook_endpoint,
       "Retrieve a webhook endpoint", query=_RQ + "retrieve", response="stripe/webhook_endpoint"),
    Op("POST", _WE, "UpdateWebhookEndpoint", h.update_webhook_endpoint,
       "Update a webhook endpoint", request=_RQ + "webhook_endpoint_update",
       response="stripe/webhook_endpoint"),
    Op("DELETE", _WE, "DeleteWebhookEndpoint", h.delete_webhook_endpoint,
       "Delete a webhook endpoint", query=_RQ + "retrieve",
       response="stripe/webhook_endpoint#/$defs/deleted"),
)
