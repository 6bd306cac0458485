"""Ground truth per payment: what was authorised, captured and refunded, from stored state.

QA tests compare what a merchant believes against this, so it is computed from the
documents themselves, never from counters that could drift.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Objects
from paylab.simulator.core.vocabulary import PAYMENT


def ledger(objects: Objects, tenant: str | None = None) -> dict[str, Any]:
    """Every payment with its amounts, plus totals per currency."""
    refunds: dict[str, int] = {}
    refund_counts: dict[str, int] = {}
    for _, refund in objects.all_of("refund", tenant):
        pid = refund["payment"]
        refunds[pid] = refunds.get(pid, 0) + refund["amount"]
        refund_counts[pid] = refund_counts.get(pid, 0) + 1
    rows = []
    totals: dict[str, dict[str, int]] = {}
    for owner, pay in objects.all_of(PAYMENT, tenant):
        authorized = pay["amount_capturable"] + pay["amount_received"]
        row = {
            "id": pay["id"],
            "tenant": owner,
            "gateway": pay["gateway"],
            "status": pay["status"],
            "currency": pay["currency"],
            "amount": pay["amount"],
            "authorized": authorized,
            "captured": pay["amount_received"],
            "refunded": refunds.get(pay["id"], 0),
            "refund_count": refund_counts.get(pay["id"], 0),
        }
        rows.append(row)
        total = totals.setdefault(pay["currency"], {"authorized": 0, "captured": 0, "refunded": 0})
        for key in total:
            total[key] += row[key]
    return {"payments": rows, "totals": totals}
