"""Stripe's SetupIntent object (and its `last_setup_error`)."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.setups import SETUP_AUTHENTICATION_FAILED
from paylab.simulator.gateways.stripe import vocabulary as words


def setup_intent(renderer: Any, d: Doc) -> dict[str, Any]:
    """A SetupIntent. `latest_attempt` is always null: SetupAttempts are not emulated."""
    return {
        "id": d["id"], "object": "setup_intent", "application": None,
        "automatic_payment_methods": d.get("automatic_payment_methods"),
        "cancellation_reason": d["cancellation_reason"], "client_secret": d["client_secret"],
        "created": d["created"], "customer": d["customer"], "description": d["description"],
        "flow_directions": None, "last_setup_error": last_setup_error(renderer, d["last_error"]),
        "latest_attempt": None, "livemode": False, "mandate": None, "metadata": d["metadata"],
        "next_action": renderer._next_action(d, "setup_intent"), "on_behalf_of": None,
        "payment_method": d["payment_method"],
        "payment_method_options": {"card": {
            "mandate_options": None, "network": None,
            "request_three_d_secure": d.get("three_d_secure", "automatic")}},
        "payment_method_types": d["payment_method_types"], "single_use_mandate": None,
        "status": words.status(d["status"]), "usage": d["usage"],
    }


def last_setup_error(renderer: Any, e: Doc | None) -> dict[str, Any] | None:
    """The last failed attempt, as Stripe's error object."""
    if e is None:
        return None
    code = words.code(e["code"])
    out: dict[str, Any] = {
        "code": code, "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": words.SETUP_AUTHENTICATION_FAILED if e["code"] == SETUP_AUTHENTICATION_FAILED
        else e["message"],
    }
    if e.get("decline_code"):
        out["decline_code"] = e["decline_code"]
    if e.get("payment_method"):
        out["payment_method"] = renderer.payment_method(e["payment_method"])
    out["type"] = "card_error" if e["category"] == v.DECLINED else "invalid_request_error"
    return out
