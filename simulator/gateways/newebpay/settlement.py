"""NewebPay's settlement file: the merchant's transaction export (CSV).

NewebPay's merchant back office exports settled transactions; the columns below are
OUR READING of that export (NewebPay publishes no machine layout), labelled so on the
file's first line. TradeNo is NewebPay's 17-digit trade number; times are Taiwan time.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.kit.settlement import SettlementFile, local_time, write_csv
from paylab.simulator.gateways.newebpay.render import trade_no

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=False,
    note="NewebPay settlement export: paylab's best reading of the columns; Taiwan time")
COLUMNS = ("MerchantID", "MerchantOrderNo", "TradeNo", "PaymentType", "TransactionType",
           "Amt", "Fee", "SettlementAmt", "PayTime", "SettlementDate")
#: Neutral methods -> NewebPay's PaymentType names.
PAYMENT_TYPES = {"card": "CREDIT", "webatm": "WEBATM", "atm": "VACC", "cvs": "CVS",
                 "barcode": "BARCODE", "apple_pay": "APPLEPAY", "google_pay": "ANDROIDPAY"}


def names(domain: Domain, tenant: str, order: Doc) -> Naming:
    """TradeNo (the reference and its check digit) and the MerchantID of the order."""
    return Naming(trade_no(order), order["merchant_order_no"],
                  order["extra"].get("MerchantID"))


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The export: a note line, then the columns."""
    return write_csv(COLUMNS, [[
        r["merchant_id"], r["order_ref"], r["transaction_id"],
        PAYMENT_TYPES.get(r["method"], str(r["method"]).upper()),
        "REFUND" if r["type"] == "refund" else "PAY", r["amount"], r["fee"], r["net"],
        local_time(r["created_at"]), local_time(r["settled_at"], "%Y-%m-%d")]
        for r in rows], comment=FILE.note)
