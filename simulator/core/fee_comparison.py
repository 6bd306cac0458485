"""The gateway comparison: what the traffic actually run cost, and what it would have cost
on each other gateway, with the success rate beside the cost.

The traffic is the stored payments (card API) and orders (the cashier rails) of a tenant,
or of every tenant, read as `kpis` reads them (neutral statuses): a payment is `paid`
(money captured), `authorized` (held), `failed` (its last attempt failed), `expired`,
`canceled` or still `open`. Per gateway, method and currency the comparison counts the
payments, the success rate (paid or authorised, of those that came to an end, as the KPI
table), the amount settled (captured) and its fee by the tenant's effective schedule
(`core.fees`, as in force now), and the effective rate (fee / amount settled).

Then, for the same settled payments, the fee each other gateway's schedule would have
kept: a payment's method maps to the other gateway's method of the same neutral family
(card, bank transfer, convenience store, wallet: `fees.family_of`, `fees.method_for`);
a gateway that lacks the family cannot take it (`n/a`: counted apart, not priced).

Amounts stay in their own currency and are never converted: everything is compared per
currency, in the currency's ISO minor units (an order counted in whole units is scaled
up, its fee computed in whole units first, as its gateway's settlement has it). Monthly
fees are not prorated over the traffic: they are shown apart, per gateway
and currency, as each schedule states them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paylab.simulator.core import fees as f
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.money import exponent
from paylab.simulator.core.orders import KIND as ORDER
from paylab.simulator.core.store import Store

#: Outcomes that came to an end (the success rate's denominator) and that went through.
FINISHED = ("paid", "authorized", "failed", "expired")
THROUGH = ("paid", "authorized")
#: What the comparison says of monthly fees.
MONTHLY = "shown apart, not prorated"

# Card-API payments: tenant, gateway, method, currency, status, errored, received, country.
_PAYMENTS = """
SELECT p.tenant, json_extract(paylab_doc(p.data), '$.gateway'),
       COALESCE(json_extract(paylab_doc(p.data), '$.payment_method_types[0]'), 'card'),
       json_extract(paylab_doc(p.data), '$.currency'),
       json_extract(paylab_doc(p.data), '$.status'),
       json_extract(paylab_doc(p.data), '$.last_payment_error') IS NOT NULL,
       COALESCE(json_extract(paylab_doc(p.data), '$.amount_received'), 0),
       json_extract(paylab_doc(c.data), '$.card.country')
FROM objects p LEFT JOIN objects c
  ON c.kind = ? AND c.tenant = p.tenant
 AND c.id = json_extract(paylab_doc(p.data), '$.latest_charge')
WHERE p.kind = ? {tenant}
"""
# Orders: tenant, gateway, method (or the only one offered), currency, status, decimals,
# the amount captured (else ordered), the card's country.
_ORDERS = """
SELECT tenant, json_extract(doc, '$.gateway'),
       COALESCE(json_extract(doc, '$.method'),
                CASE WHEN json_array_length(doc, '$.methods') = 1
                     THEN json_extract(doc, '$.methods[0]') END),
       json_extract(doc, '$.currency'), json_extract(doc, '$.status'),
       COALESCE(json_extract(doc, '$.decimals'), 0),
       COALESCE(NULLIF(json_extract(doc, '$.captured_amount'), 0), json_extract(doc, '$.amount')),
       json_extract(doc, '$.card.country')
FROM (SELECT tenant, paylab_doc(data) AS doc FROM objects WHERE kind = ? {tenant})
"""
_PAYMENT_OUTCOMES = {v.SUCCEEDED: "paid", v.AUTHORIZED: "authorized", v.CANCELED: "canceled"}
_ORDER_OUTCOMES = {"paid": "paid", "authorized": "authorized", "canceled": "canceled",
                   "failed": "failed", "expired": "expired"}


@dataclass(frozen=True)
class Payment:
    """One payment of the traffic, neutral: its amount in ISO minor units of `currency`."""

    tenant: str
    gateway: str
    method: str
    currency: str
    outcome: str
    amount: int
    country: str | None = None
    #: How many decimal places fewer the gateway counts this amount in (an order in whole
    #: TWD: 2): its fee is computed in those units, as the gateway's settlement has it.
    shift: int = 0


def traffic(store: Store, tenant: str | None = None) -> list[Payment]:
    """Every stored payment and order of `tenant` (or of all), as neutral payments."""
    scope, args = ("AND p.tenant = ?", (tenant,)) if tenant else ("", ())
    out: list[Payment] = []
    for who, gateway, method, currency, status, errored, received, country in store.all(
            _PAYMENTS.format(tenant=scope), (v.CHARGE, v.PAYMENT, *args)):
        outcome = _PAYMENT_OUTCOMES.get(status) or (
            "failed" if status == v.NEEDS_METHOD and errored else "open")
        out.append(Payment(who, gateway, method, currency, outcome, int(received), country))
    scope = "AND tenant = ?" if tenant else ""
    for who, gateway, method, currency, status, decimals, amount, country in store.all(
            _ORDERS.format(tenant=scope), (ORDER, *args)):
        if method is None:  # offered several, none chosen: no method to price
            continue
        shift = max(exponent(currency) - int(decimals), 0)
        out.append(Payment(who, gateway, method, currency, _ORDER_OUTCOMES.get(status, "open"),
                           int(amount or 0) * 10 ** shift, country, shift))
    return out


def rate(part: int, whole: int) -> float | None:
    """`part / whole` to four places (half up), or None when `whole` is nothing."""
    if whole <= 0:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"),
                                                           rounding=ROUND_HALF_UP))


class Comparison:
    """Prices the traffic on every gateway that offers a schedule."""

    def __init__(self, schedules: f.FeeSchedules) -> None:
        self.schedules = schedules
        self._cache: dict[tuple[str, str], f.Doc] = {}

    def schedule(self, tenant: str, gateway: str) -> f.Doc:
        """The tenant's effective schedule on `gateway` (read once per comparison)."""
        key = (tenant, gateway)
        if key not in self._cache:
            self._cache[key] = self.schedules.effective(tenant, gateway)
        return self._cache[key]

    def price(self, payment: Payment, gateway: str) -> tuple[str | None, int | None]:
        """(method, fee) of a settled payment on `gateway`; (None, None) when the gateway
        has no method of the payment's family."""
        own = self.schedule(payment.tenant, payment.gateway)
        target = self.schedule(payment.tenant, gateway)
        family = f.family_of(own, payment.method)
        method = f.method_for(target, payment.method, family)
        if method is None:  # its own gateway prices nothing for it: it keeps no fee
            return (payment.method, 0) if gateway == payment.gateway else (None, None)
        units = 10 ** payment.shift  # in the gateway's own units, then back to minor units
        fee = f.compute(target, method, payment.amount // units, payment.currency,
                        payment.country, decimals=exponent(payment.currency) - payment.shift)
        return method, fee.amount * units

    def compare(self, payments: list[Payment], gateways: list[str]) -> dict[str, Any]:
        """The comparison document: per currency, the rows run and what-if on each gateway."""
        currencies: dict[str, Any] = {}
        for currency in sorted({p.currency for p in payments}):
            mine = [p for p in payments if p.currency == currency]
            currencies[currency] = self._currency(currency, mine, gateways)
        return {"currencies": currencies, "gateways": gateways, "monthly_fees": MONTHLY,
                "converted": False}

    def _currency(self, currency: str, payments: list[Payment],
                  gateways: list[str]) -> dict[str, Any]:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        totals = {g: {"gateway": g, "amount": 0, "fee": 0, "count": 0, "unpriced_count": 0,
                      "unpriced_amount": 0} for g in gateways}
        for p in payments:
            key = (p.gateway, p.method)
            if key not in rows:
                own = self.schedule(p.tenant, p.gateway)
                rows[key] = {"gateway": p.gateway, "method": p.method,
                             "family": f.family_of(own, p.method), "count": 0,
                             "succeeded": 0, "finished": 0, "settled_count": 0,
                             "amount": 0, "fee": 0,
                             "on": {g: {"method": None, "fee": 0, "priced": True}
                                    for g in gateways}}
            row = rows[key]
            row["count"] += 1
            row["finished"] += p.outcome in FINISHED
            row["succeeded"] += p.outcome in THROUGH
            if p.outcome != "paid" or p.amount <= 0:
                continue
            row["settled_count"] += 1
            row["amount"] += p.amount
            for gateway in gateways:
                method, fee = self.price(p, gateway)
                cell, total = row["on"][gateway], totals[gateway]
                if fee is None:
                    cell["priced"] = False
                    total["unpriced_count"] += 1
                    total["unpriced_amount"] += p.amount
                    continue
                cell["method"] = cell["method"] or method
                cell["fee"] += fee
                total["fee"] += fee
                total["amount"] += p.amount
                total["count"] += 1
        out_rows = []
        for key in sorted(rows):
            row = rows[key]
            own = row["on"].get(row["gateway"])  # a gateway with no schedule keeps nothing
            row["fee"] = own["fee"] if own is not None else 0
            row["success_rate"] = rate(row["succeeded"], row["finished"])
            row["effective_rate"] = rate(row["fee"], row["amount"])
            for cell in row["on"].values():
                if not cell["priced"]:
                    cell.update(method=None, fee=None, effective_rate=None)
                else:
                    cell["effective_rate"] = rate(cell["fee"], row["amount"])
                del cell["priced"]
            del row["finished"]
            out_rows.append(row)
        for total in totals.values():
            total["effective_rate"] = rate(total["fee"], total["amount"])
            total["monthly_fee"] = _monthly(self, payments, total["gateway"], currency)
        return {"decimals": exponent(currency), "rows": out_rows,
                "totals": [totals[g] for g in gateways]}


def _monthly(comparison: Comparison, payments: list[Payment], gateway: str,
             currency: str) -> int:
    """The monthly fee of `gateway` in `currency` (the largest of the tenants' schedules
    when several tenants ran traffic; shown apart)."""
    tenants = sorted({p.tenant for p in payments}) or [""]
    return max(f.monthly_fee(comparison.schedule(t, gateway), currency) for t in tenants)


def compare(store: Store, schedules: f.FeeSchedules, tenant: str | None = None) -> dict:
    """The comparison of the traffic of `tenant` (or of all) over every offered schedule."""
    gateways = schedules.gateways()
    doc = Comparison(schedules).compare(traffic(store, tenant), gateways)
    doc["tenant"] = tenant
    return doc
