"""Stripe's Product and Price objects."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc


def product(renderer: Any, d: Doc) -> dict[str, Any]:
    """A product (being built)."""
    return {"id": d["id"], "object": "product"}


def price(renderer: Any, d: Doc) -> dict[str, Any]:
    """A price (being built)."""
    return {"id": d["id"], "object": "price"}
