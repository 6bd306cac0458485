"""PayPal's settlement file: an activity download (CSV).

PayPal's Activity download lists each payment and refund with its gross, fee and net
in major units (the fee negative); the columns below are OUR READING of that download's
common columns, labelled so on the file's first line. Transaction ID is the capture's
id (a refund's own id for refunds); Invoice Number is the purchase unit's invoice_id
(else its custom_id, else PayPal's order id). Times are UTC.

PayPal's Transaction Search (`GET /v1/reporting/transactions`) is emulated for a subset:
start_date and end_date (RFC 3339 with an offset, at most 31 days apart, required),
transaction_id, transaction_status (S), transaction_currency, page_size (1-500, default
100) and page; each transaction_info carries transaction_id, transaction_event_code
(T0006 payment, T1107 refund), dates, transaction_amount, fee_amount (negative: kept by
PayPal), transaction_status and invoice_id. Other query fields are accepted as PayPal
names them (fields, balance_affecting_records_only) but change nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.kit.settlement import (
    SettlementFile,
    major,
    settlements,
    utc_time,
    write_csv,
)
from paylab.simulator.gateways.paypal import state, wire
from paylab.simulator.gateways.paypal.pipeline import PaypalContext
from paylab.simulator.gateways.paypal.wire import GATEWAY, PaypalError

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


# -- Transaction Search: GET /v1/reporting/transactions -------------------------------------
#: Event codes: a checkout payment, a merchant's refund (PayPal's transaction event codes).
EVENT_CODES = {"payment": "T0006", "refund": "T1107"}
MAX_DAYS = 31
PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
QUERY_FIELDS = ("start_date", "end_date", "transaction_id", "transaction_status",
                "transaction_currency", "page_size", "page", "fields",
                "balance_affecting_records_only")


def search_transactions(ctx: PaypalContext, call: Call) -> tuple[int, dict[str, Any]]:
    """GET /v1/reporting/transactions: the app's payments and refunds in a date window."""
    query = call.params["query"]
    start, end, size, page = search_window(query)
    rows = settlements(ctx.domain, [GATEWAY]).rows(call.tenant, GATEWAY)
    found = [r for r in rows if start <= r["created_at"] <= end and matches(r, query)]
    return 200, search_page(found, query, size, page, ctx.domain.clock.now(), call.tenant)


def search_window(query: dict[str, str]) -> tuple[float, float, int, int]:
    """(start, end, page_size, page) from the query, or PayPal's 400 naming the field."""
    unknown = sorted(set(query) - set(QUERY_FIELDS))
    if unknown:
        raise PaypalError("UNKNOWN_FIELD", status=400, field=unknown[0], location="query",
                          description="A query parameter PayPal does not define.")
    start, end = _when(query, "start_date"), _when(query, "end_date")
    if end < start or end - start > MAX_DAYS * 86400:
        raise PaypalError("INVALID_PARAMETER_VALUE", field="end_date", location="query",
                          value=query["end_date"], description="The date range must be "
                          f"ascending and at most {MAX_DAYS} days.")
    return (start, end, _number(query, "page_size", PAGE_SIZE, MAX_PAGE_SIZE),
            _number(query, "page", 1, 10**6))


def matches(row: dict[str, Any], query: dict[str, str]) -> bool:
    """The optional filters: transaction id, status (S: every settled row), currency."""
    return (query.get("transaction_id") in (None, row["transaction_id"])
            and query.get("transaction_status") in (None, "S")
            and query.get("transaction_currency", row["currency"]).lower() == row["currency"])


def search_page(rows: list[dict[str, Any]], query: dict[str, str], size: int, page: int,
                now: float, tenant: str) -> dict[str, Any]:
    """One page of the answer: transaction_info of each row (a subset of PayPal's)."""
    shown = rows[(page - 1) * size:page * size]
    return {"transaction_details": [{"transaction_info": _info(r)} for r in shown],
            "account_number": wire.payer_id("merchant:" + tenant),
            "start_date": query["start_date"], "end_date": query["end_date"],
            "last_refreshed_datetime": wire.timestamp(now), "page": page,
            "total_items": len(rows), "total_pages": max(1, -(-len(rows) // size)),
            "links": []}


def _info(row: dict[str, Any]) -> dict[str, Any]:
    currency = row["currency"]
    return {"transaction_id": row["transaction_id"],
            "transaction_event_code": EVENT_CODES[row["type"]],
            "transaction_initiation_date": wire.timestamp(row["created_at"]),
            "transaction_updated_date": wire.timestamp(row["created_at"]),
            "transaction_amount": _signed(row["amount"], currency),
            "fee_amount": _signed(-row["fee"], currency),
            "transaction_status": "S", "invoice_id": row["order_ref"]}


def _signed(amount: int, currency: str) -> dict[str, str]:
    money = wire.money(abs(amount), currency)
    return {**money, "value": ("-" if amount < 0 else "") + money["value"]}


def _when(query: dict[str, str], field: str) -> float:
    text = query.get(field)
    if not text:
        raise PaypalError("MISSING_REQUIRED_PARAMETER", field=field, location="query")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or len(text) > 64:
        raise PaypalError("INVALID_PARAMETER_SYNTAX", field=field, value=text[:64],
                          location="query")
    return moment.timestamp()


def _number(query: dict[str, str], field: str, default: int, most: int) -> int:
    text = query.get(field)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise PaypalError("INVALID_PARAMETER_VALUE", field=field, value=text[:20],
                          location="query")
    return int(text)
