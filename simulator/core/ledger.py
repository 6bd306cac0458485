"""Ground truth per payment: what was authorised, captured and refunded, from stored state.

QA tests compare what a merchant believes against this, so it is computed from the
documents themselves, never from counters that could drift. Payments of the card API
and the orders of the form-post gateways are rows of the same list, each with its
gateway; amounts are in each gateway's own units (the card API's minor
units, the order's amount as the merchant posted it), so `gateway_totals` keeps them apart.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.orders import KIND as ORDER
from paylab.simulator.core.vocabulary import PAYMENT

_SUMMED = ("authorized", "captured", "refunded")


def ledger(objects: Objects, tenant: str | None = None) -> dict[str, Any]:
    """Every payment and order with its amounts, plus totals per currency (all rows) and
    per gateway and currency."""
    refunds: dict[str, int] = {}
    refund_counts: dict[str, int] = {}
    for _, refund in objects.all_of("refund", tenant):
        pid = refund["payment"]
        refunds[pid] = refunds.get(pid, 0) + refund["amount"]
        refund_counts[pid] = refund_counts.get(pid, 0) + 1
    rows = []
    for owner, pay in objects.all_of(PAYMENT, tenant):
        rows.append({
            "id": pay["id"],
            "tenant": owner,
            "gateway": pay["gateway"],
            "status": pay["status"],
            "currency": pay["currency"],
            "amount": pay["amount"],
            "authorized": pay["amount_capturable"] + pay["amount_received"],
            "captured": pay["amount_received"],
            "refunded": refunds.get(pay["id"], 0),
            "refund_count": refund_counts.get(pay["id"], 0),
        })
    rows += [order_row(owner, doc) for owner, doc in objects.all_of(ORDER, tenant)]
    totals: dict[str, dict[str, int]] = {}
    by_gateway: dict[str, dict[str, dict[str, int]]] = {}
    for row in rows:
        for total in (totals.setdefault(row["currency"], dict.fromkeys(_SUMMED, 0)),
                      by_gateway.setdefault(row["gateway"], {}).setdefault(
                          row["currency"], dict.fromkeys(_SUMMED, 0))):
            for key in _SUMMED:
                total[key] += row[key]
    return {"payments": rows, "totals": totals, "gateway_totals": by_gateway}


def order_row(owner: str, doc: Doc) -> dict[str, Any]:
    """One order as a ledger row: held plus captured is what is authorised now (a voided or
    failed order holds nothing); a code or online-transfer payment is captured when paid."""
    paid = doc["status"] == "paid"
    captured = (doc["captured_amount"] or doc["amount"]) if paid else 0
    held = doc["authorized_amount"] if doc["status"] == "authorized" else 0
    return {
        "id": doc["id"],
        "tenant": owner,
        "gateway": doc["gateway"],
        "status": doc["status"],
        "currency": doc["currency"],
        "amount": doc["amount"],
        "authorized": held + captured,
        "captured": captured,
        "refunded": doc["refunded_amount"],
        "refund_count": len(doc["refunds"]),
        "method": doc["method"],
        "merchant_order_no": doc["merchant_order_no"],
    }
