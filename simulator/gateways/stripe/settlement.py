"""Stripe's settlement file: the itemized payout reconciliation report (CSV).

Stripe's report type `payout_reconciliation.itemized` lists one line per balance
transaction with its gross, fee and net in major units. The simulator makes no payouts,
so `automatic_payout_id` is empty and `automatic_payout_effective_at_utc` is the day the
funds become available (`available_on`). The balance transactions themselves are served
at /v1/balance_transactions.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.balance import entry_id
from paylab.simulator.gateways.kit.settlement import SettlementFile, major, utc_time, write_csv

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=True,
    note="Stripe payout_reconciliation.itemized report: a subset of its columns "
         "(no payouts are made: automatic_payout_id is empty)")

COLUMNS = ("automatic_payout_id", "automatic_payout_effective_at_utc",
           "balance_transaction_id", "created_utc", "available_on_utc", "currency", "gross",
           "fee", "net", "reporting_category", "source_id", "description",
           "customer_facing_amount", "customer_facing_currency", "payment_metadata[order_id]")
#: The neutral row type -> Stripe's reporting category.
CATEGORIES = {"payment": "charge", "refund": "refund"}


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The report's CSV: Stripe's column names, amounts in major units."""
    return write_csv(COLUMNS, [_line(r) for r in rows])


def _line(row: dict[str, Any]) -> list[Any]:
    decimals = row["decimals"]
    return ["", utc_time(row["settled_at"]), entry_id(row["transaction_id"]),
            utc_time(row["created_at"]), utc_time(row["settled_at"]), row["currency"],
            major(row["amount"], decimals), major(row["fee"], decimals),
            major(row["net"], decimals), CATEGORIES[row["type"]], row["transaction_id"], "",
            major(row["amount"], decimals), row["currency"], row["order_ref"] or ""]
