"""The merchant balance: an entry for every payment settled and every refund, with the
gateway's fee (from its fee schedule) and the date the funds become available.

Entries are written by a listener on domain events, inside the emitting transaction: a
charge captured at once or later (its captured amount) and a refund (a negative
amount). They belong to whichever gateway emitted the event, so every gateway that
settles through charges and refunds gets them; each is charged by its gateway's fee
schedule (core.fees), as overridden for the tenant when the event happened. An entry is
`pending` until the virtual clock passes its `available_on`, then `available`: the
status is read from the clock, never stored.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from paylab.simulator.core import fees as f
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.rand import Rand

KIND = v.BALANCE_ENTRY
#: Entry types: money in from a payment, money back out to the shopper.
PAYMENT = "payment"
REFUND = "refund"
TYPES = (PAYMENT, REFUND)
PENDING = "pending"
AVAILABLE = "available"
DAY = 86400


def entry_id(source_id: str) -> str:
    """The entry of a charge or refund: `txn_` and the source id after its prefix."""
    return "txn_" + source_id.partition("_")[2]


class Balance:
    """Write balance entries as money moves; read them, and the totals, by the clock."""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand
        self.fees = f.FeeSchedules(objects)
        events.subscribe(self._on_event)

    # -- writing -----------------------------------------------------------------------
    def _on_event(self, tenant: str, event: Doc) -> None:
        """A captured charge or a refund moves the balance (in the event's transaction)."""
        kind, obj = event["type"], event["object"]
        if kind in (v.CHARGE_SUCCEEDED, v.CHARGE_CAPTURED) and obj.get("captured"):
            self._record_captured(tenant, event["gateway"], obj)
        elif kind == v.REFUND_CREATED:
            self.record_refund(tenant, event["gateway"], obj)

    def record_payment(self, tenant: str, gateway: str, charge: Doc) -> Doc:
        """The entry of a captured charge (once: a second call returns the first)."""
        existing = self.objects.find(tenant, KIND, entry_id(charge["id"]))
        if existing is not None:
            return existing
        return self._new_payment_entry(tenant, gateway, charge)

    def _record_captured(self, tenant: str, gateway: str, charge: Doc) -> Doc:
        """`record_payment` for a whole charge document, as an event carries it.

        issue16: C2 - the entry is written, not first looked for (a lookup per payment):
        a charge's entry is almost always new, and a second one for it breaks the objects'
        unique id (only that failed statement is undone), so the first is returned then."""
        try:
            return self._new_payment_entry(tenant, gateway, charge)
        except sqlite3.IntegrityError:
            existing = self.objects.find(tenant, KIND, entry_id(charge["id"]))
            if existing is None:
                raise
            return existing

    def _new_payment_entry(self, tenant: str, gateway: str, charge: Doc) -> Doc:
        schedule = self.fees.effective(tenant, gateway)
        amount, currency = charge["amount_captured"], charge["currency"]
        method = charge.get("method_type", "card")
        card = charge.get("card") or {}
        fee = f.compute(schedule, method, amount, currency, card.get("country"))
        return self._insert(tenant, {
            "id": entry_id(charge["id"]), "gateway": gateway, "type": PAYMENT,
            "source": charge["id"], "source_kind": v.CHARGE, "payment": charge.get("payment"),
            "amount": amount, "currency": currency, "fee": fee.amount,
            "fee_parts": [p.doc() for p in fee.parts], "method": method,
            "description": charge.get("description"),
        }, 0 if card.get("available_immediately")  # test cards that skip the pending balance
            else int(schedule.get("available_after_days", 0)))

    def record_refund(self, tenant: str, gateway: str, refund: Doc) -> Doc:
        """The entry of a refund: a negative amount; the fee as the schedule's
        `refund_fee` rule says (kept by the gateway: zero)."""
        existing = self.objects.find(tenant, KIND, entry_id(refund["id"]))
        if existing is not None:
            return existing
        schedule = self.fees.effective(tenant, gateway)
        paid = self.objects.find(tenant, KIND, entry_id(refund["charge"])) or {}
        fee = f.refund_fee(schedule, paid.get("fee", 0), paid.get("amount", 0),
                           refund["amount"])
        parts = [f.FeePart("refund", fee).doc()] if fee else []
        return self._insert(tenant, {
            "id": entry_id(refund["id"]), "gateway": gateway, "type": REFUND,
            "source": refund["id"], "source_kind": v.REFUND, "payment": refund.get("payment"),
            "amount": -refund["amount"], "currency": refund["currency"], "fee": fee,
            "fee_parts": parts, "method": paid.get("method", "card"), "description": None,
        }, int(schedule.get("refund_available_after_days", 0)))

    def _insert(self, tenant: str, doc: Doc, days: int) -> Doc:
        created = int(self.clock.now())
        doc.update(created=created, net=doc["amount"] - doc["fee"],
                   available_on=available_on(created, days))
        self.objects.insert(tenant, KIND, doc, parent=doc["source"],
                            tag=f"{doc['type']}:{doc['currency']}")
        return doc

    # -- reading -----------------------------------------------------------------------
    def status(self, doc: Doc) -> str:
        """`pending` until the clock reaches `available_on`, then `available`."""
        return AVAILABLE if self.clock.now() >= doc["available_on"] else PENDING

    def read(self, doc: Doc) -> Doc:
        """The entry with its status as of now."""
        return {**doc, "status": self.status(doc)}

    def fresh(self, kind: str, doc: Doc) -> Doc:
        """A document of any kind as of now: a balance entry gets its status by the clock
        (for renderers that find entries by reference); others are returned as they are."""
        return self.read(doc) if kind == KIND else doc

    def get(self, tenant: str, entry: str, *, param: str = "id") -> Doc:
        """One entry of this tenant, with its status."""
        return self.read(self.objects.get(tenant, KIND, entry, param=param))

    def page(self, tenant: str, *, entry_type: str | None = None, source: str | None = None,
             currency: str | None = None, **paging: Any) -> tuple[list[Doc], bool]:
        """A page of entries, newest first, optionally of one type, source or currency."""
        tags = None
        if entry_type is not None or currency is not None:
            tags = [t for t in self._tags(tenant)
                    if (entry_type is None or t.split(":")[0] == entry_type)
                    and (currency is None or t.split(":")[1] == currency.lower())]
            tags = tags or [":"]  # no entry is filed so: an empty page (cursors still checked)
        docs, more = self.objects.page(tenant, KIND, parent=source, tags=tags, **paging)
        return [self.read(d) for d in docs], more

    def _tags(self, tenant: str) -> list[str]:
        rows = self.objects.store.all(
            "SELECT DISTINCT tag FROM objects WHERE tenant = ? AND kind = ?", (tenant, KIND))
        return [r[0] for r in rows if r[0]]

    def totals(self, tenant: str, gateway: str | None = None) -> dict[str, dict[str, Any]]:
        """Net amounts by status, currency and method: {status: {currency: {"amount": n,
        "methods": {method: n}}}} (a gateway's entries only if given)."""
        out: dict[str, dict[str, Any]] = {AVAILABLE: {}, PENDING: {}}
        for _, doc in self.objects.all_of(KIND, tenant):
            if gateway is not None and doc["gateway"] != gateway:
                continue
            bucket = out[self.status(doc)].setdefault(
                doc["currency"], {"amount": 0, "methods": {}})
            bucket["amount"] += doc["net"]
            bucket["methods"][doc["method"]] = bucket["methods"].get(doc["method"], 0) + doc["net"]
        return out


def available_on(created: int, days: int) -> int:
    """When funds of `created` become available: at once for 0 days, else at midnight
    (UTC) `days` days after the day they came in."""
    if days <= 0:
        return created
    day = dt.datetime.fromtimestamp(created, dt.UTC).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)
    return int(day.timestamp()) + days * DAY
