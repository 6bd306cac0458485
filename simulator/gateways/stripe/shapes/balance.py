"""Stripe's BalanceTransaction and Balance objects, from the core's balance entries."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import balance as core
from paylab.simulator.core.objects import Doc

#: The account's default currency: a balance lists it even before any money moved.
DEFAULT_CURRENCY = "usd"
#: Core entry type -> Stripe's `type` and `reporting_category` (a PaymentIntent's card
#: charge is type `charge`, as in Stripe's own balance history).
TYPE = {core.PAYMENT: "charge", core.REFUND: "refund"}
#: Stripe's name for each transaction type, as the list filter `type` takes it.
CORE_TYPE = {stripe: neutral for neutral, stripe in TYPE.items()}
FEE_DESCRIPTION = "Stripe processing fees"


def balance_transaction(renderer: Any, d: Doc) -> dict[str, Any]:
    """A BalanceTransaction; `status` as of the clock when the entry was read (pending
    if the core did not say)."""
    kind = TYPE.get(d["type"], d["type"])
    return {
        "id": d["id"], "object": "balance_transaction", "amount": d["amount"],
        "available_on": d["available_on"], "balance_type": "payments", "created": d["created"],
        "currency": d["currency"], "description": d.get("description"),
        "exchange_rate": None, "fee": d["fee"], "fee_details": fee_details(d),
        "net": d["net"], "reporting_category": kind, "source": d["source"],
        "status": d.get("status", core.PENDING), "type": kind,
    }


def fee_details(d: Doc) -> list[dict[str, Any]]:
    """Stripe shows its processing fee as one `stripe_fee` line (the parts summed)."""
    if not d["fee"]:
        return []
    return [{"amount": d["fee"], "application": None, "currency": d["currency"],
             "description": FEE_DESCRIPTION, "type": "stripe_fee"}]


def balance(totals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The Balance object from the core's totals ({status: {currency: ...}})."""
    return {"object": "balance", "available": _amounts(totals[core.AVAILABLE]),
            "connect_reserved": [{"amount": 0, "currency": DEFAULT_CURRENCY}],
            "livemode": False, "pending": _amounts(totals[core.PENDING])}


def _amounts(by_currency: dict[str, Any]) -> list[dict[str, Any]]:
    currencies = sorted(set(by_currency) | {DEFAULT_CURRENCY})
    out = []
    for currency in currencies:
        bucket = by_currency.get(currency, {"amount": 0, "methods": {}})
        sources = {"card": 0, **bucket["methods"]}
        out.append({"amount": bucket["amount"], "currency": currency,
                    "source_types": sources})
    return out
