"""Stripe's Product and Price objects (and the price of a Checkout line item)."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc


def product(renderer: Any, d: Doc) -> dict[str, Any]:
    """A Product."""
    return {
        "id": d["id"], "object": "product", "active": d["active"], "created": d["created"],
        "default_price": d["default_price"], "description": d["description"],
        "images": d["images"], "livemode": False,
        "marketing_features": [{"name": f.get("name")} for f in d["marketing_features"]],
        "metadata": d["metadata"], "name": d["name"],
        "package_dimensions": d["package_dimensions"], "shippable": d["shippable"],
        "statement_descriptor": d["statement_descriptor"], "tax_code": d["tax_code"],
        "type": d["type"], "unit_label": d["unit_label"], "updated": d["updated"],
        "url": d["url"],
    }


def deleted_product(d: Doc) -> dict[str, Any]:
    """What deleting a product answers."""
    return {"id": d["id"], "object": "product", "deleted": True}


def price(renderer: Any, d: Doc) -> dict[str, Any]:
    """A one-time Price."""
    return {
        "id": d["id"], "object": "price", "active": d["active"], "billing_scheme": "per_unit",
        "created": d["created"], "currency": d["currency"], "custom_unit_amount": None,
        "livemode": False, "lookup_key": d["lookup_key"], "metadata": d["metadata"],
        "nickname": d["nickname"], "product": d["product"], "recurring": None,
        "tax_behavior": d["tax_behavior"], "tiers_mode": None, "transform_quantity": None,
        "type": "one_time", "unit_amount": d["unit_amount"],
        "unit_amount_decimal": d["unit_amount_decimal"],
    }


def line_item_price(item: Doc, session_id: str, index: int, created: int) -> dict[str, Any]:
    """The `price` of a Checkout line item: the catalog price it was sold at, or for a
    `price_data` item the inline price Stripe makes for it (an inactive price of an
    inline product, with ids of their own) and its `product_data`."""
    if isinstance(item.get("price"), dict):
        return price(None, item["price"])
    suffix = f"{session_id[8:30]}{index}"
    inline = price(None, {
        "id": f"price_{suffix}", "active": False, "created": created,
        "currency": item["currency"], "lookup_key": None, "metadata": {}, "nickname": None,
        "product": f"prod_{suffix[:13]}{index}", "tax_behavior": "unspecified",
        "unit_amount": item["unit_amount"], "unit_amount_decimal": str(item["unit_amount"]),
    })
    inline["product_data"] = {"name": item["name"], "description": item["description"]}
    return inline
