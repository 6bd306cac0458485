"""The comparison: book entries against neutral settlement rows of the gateway.

A gateway row is a dict of the neutral settlement shape: gateway, type (payment|refund),
transaction_id, order_ref, amount (minor units, refunds negative), currency, fee. Rows are
matched to book entries by the order reference (within the entry's gateway when the books
name one), else by the transaction id. When one side lacks a payment, that is the only
discrepancy reported for it; when both have it, amounts, currencies, refunds and (when the
books record one) the fee are compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from paylab.simulator.reconcile.model import KINDS, BookEntry, Discrepancy


@dataclass
class _Paid:
    """What the gateway holds for one order: its payment rows and refund rows."""

    payments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def gateway(self) -> str | None:
        return (self.payments or self.refunds)[0].get("gateway")

    @property
    def refunded(self) -> int:
        return -sum(int(r["amount"]) for r in self.refunds)

    @property
    def fee(self) -> int | None:
        """The fees of the payment and its refunds; None when the rows carry no fee."""
        rows = self.payments[:1] + self.refunds
        if all(r.get("fee") is None for r in rows):
            return None
        return sum(int(r.get("fee") or 0) for r in rows)


def _key(row: dict[str, Any]) -> tuple[str, str]:
    """An order at the gateway: by its reference, else by the transaction it refunds/is."""
    ref = row.get("order_ref")
    if ref:
        return ("ref", str(ref))
    return ("txn", str(row.get("payment_transaction_id") or row.get("transaction_id")))


def _group(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], _Paid]:
    grouped: dict[tuple[str, str, str], _Paid] = defaultdict(_Paid)
    for row in sorted(rows, key=lambda r: (str(r.get("created_at") or ""),
                                           str(r.get("transaction_id") or ""))):
        kind, value = _key(row)
        paid = grouped[(str(row.get("gateway")), kind, value)]
        (paid.refunds if row.get("type") == "refund" else paid.payments).append(row)
    return grouped


def reconcile(books: list[BookEntry], rows: list[dict[str, Any]]) -> list[Discrepancy]:
    """Every discrepancy between the books and the gateway rows, in `KINDS` order, then by
    order reference."""
    found: list[Discrepancy] = []
    gateway = _group(rows)
    seen: dict[tuple[str | None, str], BookEntry] = {}
    for entry in books:
        key = (entry.gateway, entry.order_ref)
        if key in seen:
            found.append(Discrepancy("duplicate", entry.order_ref, entry.gateway,
                                     entry.transaction_id, side="books",
                                     detail="the books hold this order twice"))
            continue
        seen[key] = entry
        paid = _take(gateway, entry)
        found += _compare(entry, paid)
    for (name, kind, value), paid in sorted(gateway.items()):
        if paid.payments:
            first = paid.payments[0]
            found.append(Discrepancy(
                "paid_not_in_books", value if kind == "ref" else None, name,
                first.get("transaction_id"), gateway_value=int(first["amount"]),
                detail="paid at the gateway; the books have no such order"))
            found += _duplicates(first.get("order_ref"), name, paid)
        elif paid.refunds:
            found.append(Discrepancy(
                "refund_missing_in_books", value if kind == "ref" else None, name,
                paid.refunds[0].get("transaction_id"), books=0, gateway_value=paid.refunded,
                detail="refunded at the gateway; the books have no such order"))
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(found, key=lambda d: (order[d.kind], d.gateway or "", d.order_ref or "",
                                        d.transaction_id or ""))


def _take(gateway: dict[tuple[str, str, str], _Paid], entry: BookEntry) -> _Paid | None:
    """Remove and return what the gateway holds for a book entry (None: nothing)."""
    names = [entry.gateway] if entry.gateway else sorted({k[0] for k in gateway})
    for name in names:
        for key in ((name, "ref", entry.order_ref), (name, "txn", entry.transaction_id)):
            if key[2] and key in gateway:
                return gateway.pop(key)  # type: ignore[arg-type]
    return None


def _compare(entry: BookEntry, paid: _Paid | None) -> list[Discrepancy]:
    ref, txn = entry.order_ref, entry.transaction_id
    if paid is None or not paid.payments:
        out = []
        if entry.paid:
            out.append(Discrepancy("in_books_never_paid", ref, entry.gateway, txn,
                                   books=entry.amount,
                                   detail="the books say paid; the gateway has no payment"))
        if paid is not None and paid.refunded:
            out.append(Discrepancy("refund_missing_in_books", ref, paid.gateway, txn,
                                   books=entry.refunded, gateway_value=paid.refunded,
                                   detail="refunded at the gateway, never paid there"))
        return out
    first = paid.payments[0]
    name, txn = first.get("gateway"), first.get("transaction_id") or txn
    if not entry.paid:
        return [Discrepancy("paid_not_in_books", ref, name, txn, books=entry.status,
                            gateway_value=int(first["amount"]),
                            detail=f"paid at the gateway; the books say {entry.status!r}")]
    out = _duplicates(ref, name, paid)
    if str(first.get("currency", "")).lower() != entry.currency:
        out.append(Discrepancy("currency_mismatch", ref, name, txn, books=entry.currency,
                               gateway_value=first.get("currency")))
    elif int(first["amount"]) != entry.amount:
        out.append(Discrepancy("amount_mismatch", ref, name, txn, books=entry.amount,
                               gateway_value=int(first["amount"])))
    if paid.refunded > entry.refunded:
        out.append(Discrepancy("refund_missing_in_books", ref, name, txn, books=entry.refunded,
                               gateway_value=paid.refunded))
    elif paid.refunded < entry.refunded:
        out.append(Discrepancy("refund_missing_at_gateway", ref, name, txn,
                               books=entry.refunded, gateway_value=paid.refunded))
    if entry.fee is not None and paid.fee is not None and entry.fee != paid.fee:
        out.append(Discrepancy("fee_mismatch", ref, name, txn, books=entry.fee,
                               gateway_value=paid.fee))
    return out


def _duplicates(ref: str | None, name: str | None, paid: _Paid) -> list[Discrepancy]:
    """One `duplicate` per payment beyond the first for the same order."""
    return [Discrepancy("duplicate", ref, name, extra.get("transaction_id"), side="gateway",
                        gateway_value=int(extra["amount"]),
                        detail="the order was paid more than once at the gateway")
            for extra in paid.payments[1:]]
