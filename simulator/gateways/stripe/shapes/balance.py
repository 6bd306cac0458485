"""Stripe's BalanceTransaction and Balance objects."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc


def balance_transaction(renderer: Any, d: Doc) -> dict[str, Any]:
    """A balance_transaction (being built)."""
    return {"id": d["id"], "object": "balance_transaction"}
