"""What reconciliation compares and what it reports: book entries (the merchant's orders),
gateway rows (neutral settlement rows: payments and refunds) and discrepancies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Every kind of discrepancy, in report order; nothing else is ever reported.
KINDS = (
    "paid_not_in_books",          # paid at the gateway, the books do not say paid
    "in_books_never_paid",        # the books say paid, the gateway has no payment
    "amount_mismatch",            # both sides have the payment, amounts differ
    "currency_mismatch",          # both sides have the payment, currencies differ
    "duplicate",                  # a payment (gateway) or a book entry twice
    "refund_missing_in_books",    # the gateway refunded more than the books record
    "refund_missing_at_gateway",  # the books record more refunded than the gateway did
    "fee_mismatch",               # the books record a fee that differs from the gateway's
)


class ReconcileError(ValueError):
    """Bad input (a config, a file, an answer): the message says what is wrong and where."""


@dataclass(frozen=True)
class BookEntry:
    """One order in the merchant's books; amounts in minor units of `currency`.

    `gateway` None matches any gateway; `fee` None means the books record no fee."""

    order_ref: str
    amount: int
    currency: str
    paid: bool
    gateway: str | None = None
    transaction_id: str | None = None
    refunded: int = 0
    fee: int | None = None
    status: str = ""
    date: str | None = None


@dataclass
class Discrepancy:
    """One difference between the books and the gateway; `books` and `gateway` hold the
    figures each side has (None when that side has nothing)."""

    kind: str
    order_ref: str | None
    gateway: str | None
    transaction_id: str | None = None
    books: Any = None
    gateway_value: Any = None
    detail: str = ""
    side: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the report's `discrepancies` items)."""
        out = asdict(self)
        out["gateway_figure"] = out.pop("gateway_value")
        out["books_figure"] = out.pop("books")
        out.pop("extra")
        return out
