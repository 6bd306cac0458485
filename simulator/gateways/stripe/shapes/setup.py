"""Stripe's SetupIntent object."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc


def setup_intent(renderer: Any, d: Doc) -> dict[str, Any]:
    """A setup_intent (being built)."""
    return {"id": d["id"], "object": "setup_intent"}
