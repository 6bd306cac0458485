"""A card order's money after authorisation: capture, cancel a capture, void, refund, and
the gateway's daily close."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.orders.base import CARD_RAIL, KIND, OrdersBase, check_amount
from paylab.simulator.core.origin import Origin


class Settlement(OrdersBase):
    """capture, cancel_capture, void, refund, close and the close timer."""

    def capture(self, tenant: str, order_id: str, amount: int | None = None, *,
                origin: Origin | None = None) -> Doc:
        """Capture (close) an authorised card order, all of it or `amount` of it."""
        with self.objects.store.atomic():
            doc = self._card_order(tenant, order_id)
            if doc["status"] != "authorized":
                raise InvalidState("order_not_authorized",
                                   f"The order is {doc['status']}; only authorised orders can "
                                   "be captured.")
            amount = doc["authorized_amount"] if amount is None else amount
            check_amount(amount, doc["authorized_amount"])
            doc["captured_amount"] = amount
            doc["paid_at"] = int(self.clock.now())
            self._move(tenant, doc, "paid", "order.captured", origin)
        return doc

    def cancel_capture(self, tenant: str, order_id: str, *, origin: Origin | None = None
                       ) -> Doc:
        """Undo a capture not yet closed (back to authorised)."""
        with self.objects.store.atomic():
            doc = self._card_order(tenant, order_id)
            if doc["status"] != "paid" or doc["closed"] or doc["refunded_amount"]:
                raise InvalidState("order_not_capture_pending",
                                   "Only a capture that is not closed yet can be cancelled.")
            doc.update(captured_amount=0, paid_at=None)
            self._move(tenant, doc, "authorized", "order.capture_canceled", origin)
        return doc

    def void(self, tenant: str, order_id: str, *, origin: Origin | None = None) -> Doc:
        """Release an authorisation that was never captured."""
        with self.objects.store.atomic():
            doc = self._card_order(tenant, order_id)
            if doc["status"] != "authorized":
                raise InvalidState("order_not_authorized",
                                   f"The order is {doc['status']}; only authorised orders can "
                                   "be voided.")
            self._move(tenant, doc, "canceled", "order.voided", origin)
        return doc

    def refund(self, tenant: str, order_id: str, amount: int | None = None, *,
               reference: str | None = None, origin: Origin | None = None) -> Doc:
        """Refund a paid order, partly or wholly (the total never exceeds what was paid).

        `reference` names the refund (the merchant's refund number or the gateway's refund
        id; kept on the refund): a repeat with the same reference and amount changes nothing
        and returns the order, one with another amount is refused.
        """
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            earlier = next((r for r in doc["refunds"]
                            if reference is not None and r.get("reference") == reference), None)
            if earlier is not None:
                if amount is not None and amount != earlier["amount"]:
                    raise InvalidRequest("refund_reference_reused",
                                         f"Refund {reference} was for {earlier['amount']}, not "
                                         f"{amount}.", param="reference")
                return doc
            if doc["status"] != "paid":
                raise InvalidState("order_not_paid",
                                   f"The order is {doc['status']}; only paid orders can be "
                                   "refunded.")
            paid = doc["captured_amount"] or doc["amount"]
            left = paid - doc["refunded_amount"]
            amount = left if amount is None else amount
            if left <= 0:
                raise InvalidState("order_fully_refunded", "The order is already refunded.")
            check_amount(amount, left)
            doc["refunded_amount"] += amount
            refund = {"amount": amount, "created": int(self.clock.now())}
            if reference is not None:
                refund["reference"] = reference
            doc["refunds"].append(refund)
            self._emit(tenant, doc, "order.refunded", {"refunded_amount":
                                                       doc["refunded_amount"] - amount}, origin)
            self.objects.update(tenant, KIND, doc)
        return doc

    def close(self, tenant: str, order_id: str, *, origin: Origin | None = None) -> Doc | None:
        """Close a card order now: capture it if only authorised, then mark it closed
        (after which it can only be refunded). None if there is nothing to close."""
        with self.objects.store.atomic():
            doc = self.objects.find(tenant, KIND, order_id)
            if doc is None or doc["method"] not in CARD_RAIL or doc["closed"]:
                return doc
            if doc["status"] == "authorized":
                doc.update(captured_amount=doc["authorized_amount"], paid_at=int(self.clock.now()),
                           closed=True)
                self._move(tenant, doc, "paid", "order.captured", origin)
            elif doc["status"] == "paid":
                doc["closed"] = True
                self._emit(tenant, doc, "order.closed", {"closed": False}, origin)
                self.objects.update(tenant, KIND, doc)
        return doc

    def close_due(self, tenant: str, order_id: str, payload: dict[str, Any]) -> None:
        """Timer handler: the gateway's daily close came; skipped if it was switched off."""
        doc = self.objects.find(tenant, KIND, order_id)
        if doc is None or doc["gateway"] not in self.closes:
            return
        self.close(tenant, order_id)

