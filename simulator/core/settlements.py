"""Settlement rows: the money each gateway settles to a merchant, one neutral row per
payment and per refund, with its fee, its net and the day it settles on the virtual clock.

Two sources, whatever the gateway:

- balance entries (core.balance): every captured charge and every refund of a gateway
  that settles through charges; their fee and `available_on` were fixed when the money
  moved;
- orders (core.orders): every order that was paid (its captured amount, else its amount)
  and each of its refunds; the fee is the tenant's effective schedule for the order's
  gateway and method (core.fees), the settlement day its `available_after_days` (and
  `refund_available_after_days`) counted from the payment (or refund), at midnight UTC.

An order that never paid (failed, expired, canceled, only authorised) has no row. The
core knows no gateway's numbering: an adapter may name an order's transaction, the
merchant's order number and its refunds (`Namer`); without one, the order's own trade
reference and the merchant's order number are used. Amounts are in the gateway's own
units, as the ledger gives them (`decimals`: 0 for whole units, 2 for cents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.balance import available_on
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.fees import FeeSchedules
from paylab.simulator.core.money import exponent
from paylab.simulator.core.objects import Doc, Objects

PAYMENT = "payment"
REFUND = "refund"
ORDER_KIND = "order"
#: Order statuses whose money was taken (a refunded order stays `paid`).
PAID = ("paid",)
#: The fields of a row, in the order CSV exports use.
COLUMNS = ("gateway", "tenant", "merchant_id", "type", "transaction_id", "order_ref",
           "method", "amount", "currency", "decimals", "fee", "net", "created_at",
           "settled_at", "settlement_date")
#: What `rows` can filter dates by.
DATE_FIELDS = ("settlement_date", "created_date")
#: The metadata key a charge's payment names the merchant's order by.
ORDER_KEY = "order_id"


@dataclass(frozen=True)
class Naming:
    """An adapter's names for one order's money: its transaction id, the merchant's order
    number, the merchant account and one id per refund (in the order's refund order;
    missing ones fall back to the refund's reference, then to the transaction id)."""

    transaction_id: str
    order_ref: str | None = None
    merchant_id: str | None = None
    refund_ids: tuple[str, ...] = field(default_factory=tuple)


#: (tenant, order) -> the adapter's names for it, or None to use the defaults.
Namer = Callable[[str, Doc], Naming | None]


def day_of(epoch: float) -> str:
    """The UTC date (YYYY-MM-DD) of an epoch second."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d")


class Settlements:
    """Read settlement rows from the store (nothing is written)."""

    def __init__(self, objects: Objects, fees: FeeSchedules, clock: Clock,
                 namers: Mapping[str, Namer] | None = None) -> None:
        self.objects = objects
        self.fees = fees
        self.clock = clock
        self.namers = dict(namers or {})

    def rows(self, tenant: str | None, gateway: str | None = None, since: str | None = None,
             until: str | None = None, *, by: str = "settlement_date",
             settled_only: bool = False) -> list[dict[str, Any]]:
        """Every row of a tenant (None: every tenant), oldest first; `gateway` keeps one
        gateway's; `since`/`until` (YYYY-MM-DD, both inclusive) keep the rows whose `by`
        date (settlement_date or created_date) falls between; `settled_only` keeps the
        rows whose settlement time the virtual clock has reached."""
        out = self._entry_rows(tenant) + self._order_rows(tenant)
        now = self.clock.now()
        kept = [r for r in out
                if (gateway is None or r["gateway"] == gateway)
                and (since is None or _date(r, by) >= since)
                and (until is None or _date(r, by) <= until)
                and (not settled_only or r["settled_at"] <= now)]
        # stable: rows of one second keep the store's order, payments before refunds
        kept.sort(key=lambda r: (r["created_at"], r["type"] == REFUND))
        return kept

    # -- balance entries ------------------------------------------------------------------
    def _entry_rows(self, tenant: str | None) -> list[dict[str, Any]]:
        rows = []
        for owner, entry in self.objects.all_of(v.BALANCE_ENTRY, tenant):
            payment = (self.objects.find(owner, v.PAYMENT, entry["payment"])
                       if entry.get("payment") else None) or {}
            rows.append(_row(
                gateway=entry["gateway"], tenant=owner, merchant_id=owner,
                type=entry["type"], transaction_id=entry["source"],
                order_ref=(payment.get("metadata") or {}).get(ORDER_KEY),
                method=entry.get("method"), amount=entry["amount"],
                currency=entry["currency"], decimals=exponent(entry["currency"]), fee=entry["fee"],
                created_at=entry["created"], settled_at=entry["available_on"]))
        return rows

    # -- orders ---------------------------------------------------------------------------
    def _order_rows(self, tenant: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for owner, order in self.objects.all_of(ORDER_KIND, tenant):
            if order["status"] in PAID:  # paid_at is set exactly while paid
                rows.extend(self.order_rows(owner, order))
        return rows

    def order_rows(self, tenant: str, order: Doc) -> list[dict[str, Any]]:
        """The payment row of a paid order, then one row per refund."""
        gateway, method = order["gateway"], order["method"] or "card"
        names = self._names(tenant, order)
        schedule = self.fees.effective(tenant, gateway)
        paid = order["captured_amount"] or order["amount"]
        card = order.get("card") or {}
        decimals = order.get("decimals", 0)
        fee = self.fees.fee_for(tenant, gateway, method, paid, order["currency"],
                                card_country=card.get("country"), decimals=decimals).amount
        common = {"gateway": gateway, "tenant": tenant, "merchant_id": names.merchant_id,
                  "order_ref": names.order_ref, "method": method,
                  "currency": order["currency"], "decimals": decimals}
        days = int(schedule.get("available_after_days", 0))
        out = [_row(**common, type=PAYMENT, transaction_id=names.transaction_id,
                    amount=paid, fee=fee, created_at=order["paid_at"],
                    settled_at=available_on(order["paid_at"], days))]
        refund_days = int(schedule.get("refund_available_after_days", 0))
        for index, refund in enumerate(order.get("refunds") or []):
            refund_fee = self.fees.refund_fee_for(tenant, gateway, method, paid, fee,
                                                  refund["amount"],
                                                  currency=order["currency"],
                                                  decimals=decimals)
            ids = names.refund_ids
            refund_id = (ids[index] if index < len(ids) else None) or str(
                refund.get("reference") or names.transaction_id)
            out.append(_row(**common, type=REFUND, transaction_id=refund_id,
                            amount=-refund["amount"], fee=refund_fee,
                            created_at=refund["created"],
                            settled_at=available_on(refund["created"], refund_days)))
        return out

    def _names(self, tenant: str, order: Doc) -> Naming:
        namer = self.namers.get(order["gateway"])
        named = namer(tenant, order) if namer is not None else None
        if named is None:
            named = Naming(order["reference"])
        return Naming(named.transaction_id,
                      named.order_ref if named.order_ref is not None
                      else order["merchant_order_no"],
                      named.merchant_id or tenant, named.refund_ids)


def _row(**fields: Any) -> dict[str, Any]:
    fields["net"] = fields["amount"] - fields["fee"]
    fields["settlement_date"] = day_of(fields["settled_at"])
    return {name: fields[name] for name in COLUMNS}


def _date(row: dict[str, Any], by: str) -> str:
    return row["settlement_date"] if by == "settlement_date" else day_of(row["created_at"])
