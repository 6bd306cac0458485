"""JKOPay's settlement file: the store's reconciliation download (CSV).

JKOPay's merchant back office offers a reconciliation download per store; the columns
below are OUR READING of it (JKOPay publishes no machine layout), labelled so on the
file's first line. tradeNo is JKOPay's trade number; a refund's number is R, the trade
number and two digits, as the refund API answers it. Times are Taiwan time.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.jkopay.render import refund_trade_no
from paylab.simulator.gateways.kit.settlement import SettlementFile, local_time, write_csv

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=False,
    note="JKOPay reconciliation download: paylab's best reading of the columns; Taiwan time")
COLUMNS = ("store_id", "platform_order_id", "tradeNo", "trade_type", "currency",
           "amount", "fee", "settlement_amount", "trans_time", "settlement_date")


def names(domain: Domain, tenant: str, order: Doc) -> Naming:
    """tradeNo, the platform order id, the store and each refund's trade number."""
    refunds = tuple(refund_trade_no(order, i) for i in range(len(order.get("refunds") or [])))
    return Naming(order["reference"], order["merchant_order_no"],
                  order["extra"].get("store_id"), refunds)


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The download: a note line, then the columns."""
    return write_csv(COLUMNS, [[
        r["merchant_id"], r["order_ref"], r["transaction_id"],
        "REFUND" if r["type"] == "refund" else "PAYMENT", r["currency"].upper(), r["amount"],
        r["fee"], r["net"], local_time(r["created_at"]),
        local_time(r["settled_at"], "%Y-%m-%d")] for r in rows], comment=FILE.note)
