"""LINE Pay's transaction ids: 19-digit numbers (past 2^53, as LINE Pay's are), one per
payment request and one per refund, each filed under its merchant's tenant and pointing at
the core order it belongs to. Ids are seeded (tests compare them); no id opens anything
alone, and another channel's id is simply not found (1150)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.linepay.wire import LinePayError

KIND = "linepay_transaction"
PAYMENT, REFUND = "payment", "refund"


def new_id(domain: Domain) -> int:
    """A fresh transaction id: the virtual UTC date, then 11 seeded digits (19 digits)."""
    day = dt.datetime.fromtimestamp(domain.clock.now(), dt.UTC).strftime("%Y%m%d")
    while True:
        candidate = day + "".join(str(domain.rand.randint(0, 9)) for _ in range(11))
        if domain.objects.find_any(KIND, candidate) is None:
            return int(candidate)


def record(domain: Domain, tenant: str, transaction_id: int, order_id: str, kind: str,
           **extra: Any) -> Doc:
    """File `transaction_id` under `tenant` (call inside the change that creates it)."""
    doc = {"id": str(transaction_id), "object": KIND, "created": int(domain.clock.now()),
           "order": order_id, "kind": kind, **extra}
    return domain.objects.insert(tenant, KIND, doc, parent=order_id)


def find(domain: Domain, tenant: str, transaction_id: str | int) -> Doc | None:
    """The tenant's transaction with this id, or None."""
    return domain.objects.find(tenant, KIND, str(transaction_id))


def order_of(domain: Domain, tenant: str, transaction_id: str | int,
             kinds: tuple[str, ...] = (PAYMENT,)) -> Doc:
    """The order behind one of the tenant's transaction ids, or 1150."""
    found = find(domain, tenant, transaction_id)
    if found is None or found["kind"] not in kinds:
        raise LinePayError("1150", f"transactionId {transaction_id}", param="transactionId")
    return domain.orders.get(tenant, found["order"])


def parse_id(text: str) -> int:
    """A transaction id from a path or query: digits only, else 2101."""
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 19):
        raise LinePayError("2101", "transactionId must be a number of up to 19 digits",
                           param="transactionId")
    return int(text)
