"""JKOPay's thin handlers: each reads the validated call and makes one service call (the
rules live in entry.py and api.py, the words in render.py and wire.py)."""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.jkopay import api, entry
from paylab.simulator.gateways.jkopay.pipeline import JkoContext
from paylab.simulator.gateways.kit.pipeline import Call


def platform_entry(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """POST /platform/entry: a new order (or the same one again) and its payment URL."""
    return entry.create(ctx, call)


def platform_refund(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """POST /platform/refund: refund once per refund_order_id."""
    return api.refund(ctx, call)


def platform_inquiry(ctx: JkoContext, call: Call) -> dict[str, Any]:
    """GET or POST /platform/inquiry: the orders' status and refund history."""
    return api.inquiry(ctx, call)
