"""The merchant's order book as `BookEntry` rows: read from the reference shop's SQLite,
or from a CSV a merchant exports from their own system with a column mapping (JSON/YAML,
contract contracts/reconcile/mapping.schema.json)."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from paylab.simulator.core.money import exponent
from paylab.simulator.reconcile.model import BookEntry, ReconcileError

MAPPING_SCHEMA = (Path(__file__).resolve().parents[2] / "contracts" / "reconcile"
                  / "mapping.schema.json")
DEFAULT_PAID = ("paid", "refunded", "partially_refunded")
#: The gateway of a shop order paid neither by a trade nor by a wallet (its card checkout).
SHOP_CARD_GATEWAY = "stripe"
#: The currency of the shop's trades on the form-post rails (ECPay, NewebPay).
TRADE_CURRENCY = "twd"


def to_minor(text: str, currency: str, units: str, where: str) -> int:
    """A cell's amount in minor units: `units` is minor (integers) or decimal (12.50,
    at most the currency's own number of decimals)."""
    cell = text.strip()
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ReconcileError(f"{where}: {cell!r} is not a number") from None
    if not value.is_finite():
        raise ReconcileError(f"{where}: {cell!r} is not a number")
    scaled = value if units == "minor" else value.scaleb(exponent(currency.lower()))
    if scaled != scaled.to_integral_value():
        places = "a whole number" if units == "minor" else (
            f"at most {exponent(currency.lower())} decimals in {currency.upper()}")
        raise ReconcileError(f"{where}: {cell!r} must be {places}")
    return int(scaled)


def load_mapping(path: Path) -> dict[str, Any]:
    """A mapping config (JSON or YAML), validated; errors name the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReconcileError(f"{path}: cannot read the mapping ({exc.strerror})") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReconcileError(f"{path}: not JSON or YAML ({exc})") from None
    schema = json.loads(MAPPING_SCHEMA.read_text(encoding="utf-8"))
    error = best_match(Draft202012Validator(schema).iter_errors(doc))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReconcileError(f"{path}: {where}: {error.message}")
    if "currency" not in doc["columns"] and "currency" not in doc:
        raise ReconcileError(f"{path}: give columns.currency or a currency for every row")
    return doc


def _cell(row: dict[str, str | None], header: str | None) -> str:
    return "" if header is None else (row.get(header) or "").strip()


def from_csv(orders: Path, mapping: dict[str, Any]) -> list[BookEntry]:
    """Book entries from a merchant's CSV; a missing column or a bad cell is an error
    naming the line and the column."""
    columns: dict[str, str] = mapping["columns"]
    units = mapping.get("units", "minor")
    paid = {s.lower() for s in mapping.get("paid_status", DEFAULT_PAID)}
    try:
        with orders.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter=mapping.get("delimiter", ","))
            missing = [h for h in columns.values() if h not in (reader.fieldnames or [])]
            if missing:
                raise ReconcileError(f"{orders}: no column {', '.join(map(repr, missing))} "
                                     f"(header: {', '.join(reader.fieldnames or [])})")
            return [_entry(row, columns, units, paid, mapping, f"{orders}:{reader.line_num}")
                    for row in reader]
    except OSError as exc:
        raise ReconcileError(f"{orders}: cannot read the orders ({exc.strerror})") from None


def _entry(row: dict[str, str | None], columns: dict[str, str], units: str, paid: set[str],
           mapping: dict[str, Any], where: str) -> BookEntry:
    ref = _cell(row, columns["order_ref"])
    if not ref:
        raise ReconcileError(f"{where}: {columns['order_ref']} is empty")
    currency = (_cell(row, columns.get("currency")) or mapping.get("currency", "")).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise ReconcileError(f"{where}: currency {currency!r} is not a 3-letter code")

    def amount(field: str) -> int | None:
        text = _cell(row, columns.get(field))
        if not text:
            return None
        return to_minor(text, currency, units, f"{where}: {columns[field]}")

    total = amount("amount")
    if total is None:
        raise ReconcileError(f"{where}: {columns['amount']} is empty")
    status = _cell(row, columns["status"])
    return BookEntry(
        order_ref=ref, amount=total, currency=currency, paid=status.lower() in paid,
        gateway=(_cell(row, columns.get("gateway")) or mapping.get("gateway")) or None,
        transaction_id=_cell(row, columns.get("transaction_id")) or None,
        refunded=amount("refunded") or 0, fee=amount("fee"), status=status,
        date=_cell(row, columns.get("date"))[:10] or None)


def from_shop_db(path: Path) -> list[BookEntry]:
    """The reference shop's orders: a trade's number (ECPay, NewebPay) or a wallet
    payment's reference (LINE Pay, JKOPay, PayPal) is the order's reference at that
    gateway; any other order is a card checkout, referenced by the order id. The shop
    records neither refunds nor fees."""
    if not path.is_file():
        raise ReconcileError(f"{path}: no such shop database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT o.id, o.amount, o.currency, o.status, o.payment_intent, o.paid_at, "
                "o.created, t.trade_no, t.gateway, t.amount, w.reference, w.gateway, "
                "w.value, w.currency, w.transaction_id FROM orders o "
                "LEFT JOIN trades t ON t.order_id = o.id "
                "LEFT JOIN wallet_payments w ON w.order_id = o.id ORDER BY o.created, o.id"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ReconcileError(f"{path}: not a shop database ({exc})") from None
    return [_shop_entry(row) for row in rows]


def _shop_entry(row: tuple[Any, ...]) -> BookEntry:
    (order_id, amount, currency, status, intent, paid_at, created, trade_no, trade_gateway,
     trade_amount, reference, wallet_gateway, value, wallet_currency, wallet_txn) = row
    stamp = paid_at or created
    date = _utc_date(stamp) if stamp else None
    common = {"paid": status == "paid", "status": status, "date": date}
    if trade_no:
        # the form-post rails take whole New Taiwan dollars
        minor = int(trade_amount) * 10 ** exponent(TRADE_CURRENCY)
        return BookEntry(trade_no, minor, TRADE_CURRENCY, gateway=trade_gateway, **common)
    if reference:
        cur = wallet_currency.lower()
        return BookEntry(reference, to_minor(value, cur, "decimal", f"order {order_id}"), cur,
                         gateway=wallet_gateway, transaction_id=wallet_txn, **common)
    return BookEntry(order_id, int(amount), currency.lower(), gateway=SHOP_CARD_GATEWAY,
                     transaction_id=intent, **common)


def _utc_date(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
