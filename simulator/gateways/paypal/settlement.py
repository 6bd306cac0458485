"""PayPal's settlement file: an activity download (CSV).

PayPal's Activity download lists each payment and refund with its gross, fee and net
in major units (the fee negative); the columns below are OUR READING of that download's
common columns, labelled so on the file's first line. Transaction ID is the capture's
id (a refund's own id for refunds); Invoice Number is the purchase unit's invoice_id
(else its custom_id, else PayPal's order id). Times are UTC.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.kit.settlement import (
    SettlementFile,
    major,
    utc_time,
    write_csv,
)
from paylab.simulator.gateways.paypal import state

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=False,
    note="PayPal activity download: paylab's best reading of its common columns; UTC")
COLUMNS = ("Date", "Time", "TimeZone", "Type", "Status", "Currency", "Gross", "Fee", "Net",
           "Transaction ID", "Invoice Number")


def names(domain: Domain, tenant: str, order: Doc) -> Naming | None:
    """The capture id, the merchant's invoice (or custom) id and the refunds' ids."""
    doc = state.find(domain, tenant, order["merchant_order_no"])
    if doc is None or not doc["captures"]:
        return None
    unit, extra = doc["unit"], order["extra"]
    ref = unit.get("invoice_id") or extra.get("custom_id") or order["merchant_order_no"]
    return Naming(doc["captures"][0]["id"], ref, None,
                  tuple(r["id"] for r in doc["refunds"]))


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The download: a note line, then the columns (amounts in major units)."""
    lines = []
    for r in rows:
        when, decimals = utc_time(r["created_at"]), r["decimals"]
        lines.append([when[:10], when[11:], "UTC",
                      "Payment Refund" if r["type"] == "refund" else "Express Checkout Payment",
                      "Completed", r["currency"].upper(), major(r["amount"], decimals),
                      major(-r["fee"], decimals), major(r["net"], decimals),
                      r["transaction_id"], r["order_ref"] or ""])
    return write_csv(COLUMNS, lines, comment=FILE.note)
