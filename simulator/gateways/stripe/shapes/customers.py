"""Stripe's Customer object."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc


def customer(renderer: Any, d: Doc) -> dict[str, Any]:
    """A customer (being built)."""
    return {"id": d["id"], "object": "customer"}
