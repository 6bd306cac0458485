"""LINE Pay's settlement file: the merchant center's settlement details (CSV).

LINE Pay's merchant center lists settled payments and refunds by transactionId; the
columns below are OUR READING of that download (LINE Pay publishes no machine layout),
labelled so on the file's first line. Times are Taiwan time.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.kit.settlement import SettlementFile, local_time, write_csv

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=False,
    note="LINE Pay settlement details: paylab's best reading of the columns; Taiwan time")
COLUMNS = ("channelId", "transactionId", "orderId", "transactionType", "payMethod",
           "currency", "amount", "fee", "settlementAmount", "transactionDate",
           "settlementDate")


def names(domain: Domain, tenant: str, order: Doc) -> Naming:
    """The 19-digit transactionId; refunds keep their refundTransactionId (the refund's
    reference); the merchant is the channel."""
    extra = order["extra"]
    return Naming(str(extra["transactionId"]), order["merchant_order_no"],
                  extra.get("channelId"))


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The download: a note line, then the columns."""
    return write_csv(COLUMNS, [[
        r["merchant_id"], r["transaction_id"], r["order_ref"],
        "PAYMENT_REFUND" if r["type"] == "refund" else "PAYMENT",
        "CREDIT_CARD" if r["method"] == "card" else "BALANCE", r["currency"].upper(),
        r["amount"], r["fee"], r["net"], local_time(r["created_at"]),
        local_time(r["settled_at"], "%Y-%m-%d")] for r in rows], comment=FILE.note)
