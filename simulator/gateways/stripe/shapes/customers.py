"""Stripe's Customer object (and a deleted customer's stub), and the address and shipping
hashes Customers and PaymentIntents share."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def address(a: Doc | None) -> dict[str, Any] | None:
    """An address with every key Stripe shows (null when not given); None when unset."""
    if not a:
        return None
    return {key: a.get(key) for key in _ADDRESS_KEYS}


def shipping(s: Doc | None, *, tracking: bool = True) -> dict[str, Any] | None:
    """A shipping hash: a PaymentIntent's carries carrier and tracking number, a
    customer's does not."""
    if not s:
        return None
    out: dict[str, Any] = {"address": address(s.get("address")) or address({})}
    if tracking:
        out["carrier"] = s.get("carrier")
    out["name"] = s.get("name")
    out["phone"] = s.get("phone")
    if tracking:
        out["tracking_number"] = s.get("tracking_number")
    return out


def deleted(d: Doc) -> dict[str, Any]:
    """What Stripe answers for a deleted customer (deleting it, or retrieving it later)."""
    return {"id": d["id"], "object": "customer", "deleted": True}


def customer(renderer: Any, d: Doc) -> dict[str, Any]:
    """A customer, in Stripe's field order; a deleted one as its stub."""
    if d.get("deleted"):
        return deleted(d)
    return {
        "id": d["id"], "object": "customer", "address": address(d.get("address")),
        "balance": d.get("balance", 0), "created": d["created"], "currency": None,
        "default_source": None, "delinquent": False, "description": d.get("description"),
        "discount": None, "email": d.get("email"),
        "invoice_prefix": d["id"][-8:].upper(),
        "invoice_settings": {
            "custom_fields": None, "default_payment_method": d.get("default_method"),
            "footer": None, "rendering_options": None,
        },
        "livemode": False, "metadata": d.get("metadata") or {}, "name": d.get("name"),
        "next_invoice_sequence": 1, "phone": d.get("phone"),
        "preferred_locales": list(d.get("preferred_locales") or []),
        "shipping": shipping(d.get("shipping"), tracking=False), "tax_exempt": "none",
        "test_clock": None,
    }
