"""What PayPal keeps beside the core's order: its own ids (order, authorization, captures,
refunds), the intent, the purchase unit as the merchant sent it, the return and cancel
URLs and the payer.

The core order is the ground truth for money and status; this document only holds what
the core has no words for. Both are written in one `store.atomic()`. Every PayPal id is
also filed as a `paypal_ref` (tenant-scoped, so another app's id is simply not found).
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.paypal import wire
from paylab.simulator.gateways.paypal.wire import PaypalError

ORDER_KIND = "paypal_order"
REF_KIND = "paypal_ref"
#: Our reading of how long an order waits for the buyer's approval and, once approved,
#: for the merchant's capture or authorization (PayPal documents none for Orders v2; 3
#: hours is what integrators report).
APPROVAL_WINDOW = 3 * 3600
#: An authorization can be captured for 29 days (PayPal's documented validity).
AUTHORIZATION_DAYS = 29


def new_id(domain: Domain) -> str:
    """A fresh PayPal id from the seeded stream."""
    return wire.new_id(domain.rand.randint)


def file_ref(domain: Domain, tenant: str, ref_id: str, ref_type: str, order_id: str) -> None:
    """Remember which PayPal order an authorization, capture or refund id belongs to."""
    domain.objects.insert(tenant, REF_KIND, {"id": ref_id, "type": ref_type,
                                             "order": order_id,
                                             "created": int(domain.clock.now())})


def find(domain: Domain, tenant: str, order_id: str) -> Doc | None:
    """PayPal's order document, or None (another app's ids included)."""
    return domain.objects.find(tenant, ORDER_KIND, order_id)


def load(domain: Domain, tenant: str, order_id: str, field: str = "order_id") -> Doc:
    """PayPal's order document, or 404 RESOURCE_NOT_FOUND naming the path field."""
    doc = find(domain, tenant, order_id)
    if doc is None:
        raise PaypalError("INVALID_RESOURCE_ID", field=field, value=order_id, location="path")
    return doc


def by_ref(domain: Domain, tenant: str, ref_id: str, ref_type: str, field: str) -> Doc:
    """The order document an authorization, capture or refund id belongs to, or 404."""
    ref = domain.objects.find(tenant, REF_KIND, ref_id)
    if ref is None or ref["type"] != ref_type:
        raise PaypalError("INVALID_RESOURCE_ID", field=field, value=ref_id, location="path")
    return load(domain, tenant, ref["order"])


def save(domain: Domain, tenant: str, doc: Doc) -> None:
    """Write PayPal's order document back."""
    doc["update_time"] = int(domain.clock.now())
    domain.objects.update(tenant, ORDER_KIND, doc)


def core_order(domain: Domain, tenant: str, doc: Doc) -> Doc:
    """The core order behind PayPal's."""
    return domain.orders.get(tenant, doc["order"])


def capture_of(doc: Doc, capture_id: str) -> dict[str, Any]:
    """One capture of the order."""
    return next(c for c in doc["captures"] if c["id"] == capture_id)
