"""Figures per gateway and payment method, counted from stored state (payments and orders).

The dashboard's table, `/_sim/stats` (`gateway_methods`) and the payment counters of
`/_sim/metrics` all read this, so they agree with each other and with the ledger, whichever
process made the payments and however long ago: nothing is counted in process memory.
SQLite aggregates the JSON documents itself (one grouped scan per kind), so a store with
tens of thousands of payments answers a dashboard poll in milliseconds, not seconds.

Each row is one (gateway, method, currency). Statuses are the core's neutral ones, grouped:
`paid`, `authorized` (held), `open` (at the cashier, waiting for a card, 3-D Secure),
`pending_codes` (a code issued, not paid yet), `failed` (the last attempt failed),
`expired`, `canceled`. `declines` counts failed attempts (a declined card tried again
counts each time); `success_rate` is, per payment, the share that went through (paid or
authorised) of those that came to an end (paid, authorised, failed or expired).
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.money import exponent
from paylab.simulator.core.orders import KIND as ORDER
from paylab.simulator.core.store import Store

#: An order whose shopper has not picked a method yet (offered several) is counted here.
UNSELECTED = "unselected"
COUNTS = ("volume", "paid", "authorized", "open", "pending_codes", "failed", "expired",
          "expired_codes", "canceled", "declines", "refunds")
AMOUNTS = ("amount", "refunded_amount")

# Card-API payments: method, currency, status, whether the last attempt failed; count, sum.
_PAYMENTS = """
SELECT gateway, COALESCE(json_extract(doc, '$.payment_method_types[0]'), 'card'),
       json_extract(doc, '$.currency'), json_extract(doc, '$.status'),
       json_extract(doc, '$.last_payment_error') IS NOT NULL,
       COUNT(*), SUM(json_extract(doc, '$.amount_received'))
FROM (SELECT json_extract(paylab_doc(data), '$.gateway') AS gateway,
             paylab_doc(data) AS doc FROM objects WHERE kind = ? {tenant})
GROUP BY 1, 2, 3, 4, 5
"""
# Orders: the method chosen (or the only one offered), currency, status, whether a code
# was issued; count, paid amount, refunded amount, refund count.
_ORDERS = """
SELECT gateway,
       COALESCE(json_extract(doc, '$.method'),
                CASE WHEN json_array_length(doc, '$.methods') = 1
                     THEN json_extract(doc, '$.methods[0]') ELSE ? END),
       json_extract(doc, '$.currency'), json_extract(doc, '$.status'),
       json_extract(doc, '$.code') IS NOT NULL,
       COALESCE(json_extract(doc, '$.decimals'), 0),
       COUNT(*),
       SUM(CASE WHEN json_extract(doc, '$.status') = 'paid'
                THEN COALESCE(NULLIF(json_extract(doc, '$.captured_amount'), 0),
                              json_extract(doc, '$.amount')) ELSE 0 END),
       SUM(json_extract(doc, '$.refunded_amount')),
       SUM(json_array_length(doc, '$.refunds'))
FROM (SELECT json_extract(paylab_doc(data), '$.gateway') AS gateway,
             paylab_doc(data) AS doc FROM objects WHERE kind = ? {tenant})
GROUP BY 1, 2, 3, 4, 5, 6
"""
# Card-API refunds, under their payment's gateway, method and currency.
_REFUNDS = """
SELECT json_extract(paylab_doc(p.data), '$.gateway'),
       COALESCE(json_extract(paylab_doc(p.data), '$.payment_method_types[0]'), 'card'),
       json_extract(paylab_doc(p.data), '$.currency'),
       COUNT(*), SUM(json_extract(paylab_doc(r.data), '$.amount'))
FROM objects r JOIN objects p
  ON p.kind = ? AND p.tenant = r.tenant
 AND p.id = json_extract(paylab_doc(r.data), '$.payment')
WHERE r.kind = 'refund' {tenant}
GROUP BY 1, 2, 3
"""
# Failed attempts: the failure events of both kinds (events are tagged with their kind).
_DECLINES = """
SELECT json_extract(doc, '$.gateway'),
       CASE WHEN json_extract(doc, '$.object_kind') = ?
            THEN COALESCE(json_extract(doc, '$.object.method'),
                          CASE WHEN json_array_length(doc, '$.object.methods') = 1
                               THEN json_extract(doc, '$.object.methods[0]') ELSE ? END)
            ELSE COALESCE(json_extract(doc, '$.object.payment_method_types[0]'), 'card')
       END,
       json_extract(doc, '$.object.currency'), COUNT(*)
FROM (SELECT paylab_doc(data) AS doc FROM objects
      WHERE kind = 'event' AND tag IN (?, ?) {tenant})
GROUP BY 1, 2, 3
"""
_PAYMENT_GROUPS = {v.SUCCEEDED: "paid", v.AUTHORIZED: "authorized", v.CANCELED: "canceled"}
_ORDER_GROUPS = {"paid": "paid", "authorized": "authorized", "canceled": "canceled",
                 "failed": "failed", "expired": "expired", "awaiting_payment": "pending_codes",
                 "created": "open", "needs_action": "open"}


def gateway_methods(store: Store, tenant: str | None = None) -> list[dict[str, Any]]:
    """One row per (gateway, method, currency), sorted; see the module docstring."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def row(gateway: str, method: str, currency: str, decimals: int) -> dict[str, Any]:
        key = (gateway, method, currency)
        if key not in rows:
            rows[key] = {"gateway": gateway, "method": method, "currency": currency,
                         "decimals": decimals, **dict.fromkeys(COUNTS + AMOUNTS, 0)}
        return rows[key]

    scope, args = ("AND tenant = ?", (tenant,)) if tenant else ("", ())
    refs = ("AND r.tenant = ?", (tenant,)) if tenant else ("", ())
    for gateway, method, currency, status, errored, n, received in store.all(
            _PAYMENTS.format(tenant=scope), (v.PAYMENT, *args)):
        r = row(gateway, method, currency, exponent(currency))
        group = _PAYMENT_GROUPS.get(status) or (
            "failed" if status == v.NEEDS_METHOD and errored else "open")
        r["volume"] += n
        r[group] += n
        r["amount"] += received or 0
    for gateway, method, currency, status, coded, decimals, n, amount, refunded, count in (
            store.all(_ORDERS.format(tenant=scope), (UNSELECTED, ORDER, *args))):
        r = row(gateway, method, currency, decimals)  # as the adapter counts the amount
        group = _ORDER_GROUPS.get(status, "open")
        r["volume"] += n
        r[group] += n
        r["expired_codes"] += n if status == "expired" and coded else 0
        r["amount"] += amount or 0
        r["refunded_amount"] += refunded or 0
        r["refunds"] += count or 0
    for gateway, method, currency, n, amount in store.all(
            _REFUNDS.format(tenant=refs[0]), (v.PAYMENT, *refs[1])):
        r = row(gateway, method, currency, exponent(currency))
        r["refunds"] += n
        r["refunded_amount"] += amount or 0
    for gateway, method, currency, n in store.all(
            _DECLINES.format(tenant=scope),
            (ORDER, UNSELECTED, v.PAYMENT_FAILED, "order.failed", *args)):
        key = (gateway, method, currency)
        if key in rows:  # every failure's payment is stored (a reset drops both)
            rows[key]["declines"] += n
    out = [rows[k] for k in sorted(rows)]
    for r in out:
        through = r["paid"] + r["authorized"]
        finished = through + r["failed"] + r["expired"]
        r["success_rate"] = round(through / finished, 4) if finished else None
    return out
