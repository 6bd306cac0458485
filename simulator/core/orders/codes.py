"""Paying an order by code (ATM, convenience store, barcode) or at once (online transfer),
and the pending order's ends: settled, expired, failed."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.cards import Behaviour, behaviour_doc, behaviour_from_doc
from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.orders.base import (
    CODE_METHODS,
    EXPIRABLE,
    EXPIRE_TIMER,
    KIND,
    PAY_LATE_TIMER,
    PENDING,
    OrdersBase,
)
from paylab.simulator.core.origin import NOWHERE, Origin


class CodePayments(OrdersBase):
    """issue_code, pay_direct, settle, expire, fail and the expiry timer."""

    def issue_code(self, tenant: str, order_id: str, method: str, *, expires_at: float,
                   bank_code: str = "812", code_prefix: str = "PL",
                   origin: Origin | None = None) -> Doc:
        """Issue a payment code (`atm`, `cvs`, `barcode`) valid until `expires_at`.

        The adapter computes the expiry from its own rules; a durable timer expires the order
        then. Issuing again for an order that already has a code returns it unchanged. A
        scenario's `processing` outcome makes the shopper pay late: the code is paid (or
        fails, for a `then` decline) that many seconds on, unless it expired first.
        """
        if method not in CODE_METHODS:
            raise InvalidRequest("method_invalid", f"{method} does not issue a code.",
                                 param="method")
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] == "awaiting_payment" and doc["method"] == method:
                return doc  # a repeated submit keeps the code it was given
            if doc["status"] != "created":
                raise InvalidState("order_not_payable",
                                   f"The order is {doc['status']} and cannot take a code.")
            if method not in doc["methods"]:
                raise InvalidRequest("method_not_offered", f"{method} is not offered for this "
                                     "order.", param="method")
            if expires_at <= self.clock.now():
                raise InvalidRequest("expiry_invalid", "A code must expire in the future.",
                                     param="expires_at")
            doc.update(method=method, code=self._code(method, doc, expires_at, bank_code,
                                                      code_prefix),
                       expires_at=int(expires_at))
            self._move(tenant, doc, "awaiting_payment", "order.code_issued", origin)
            self.timers.schedule(tenant, EXPIRE_TIMER, doc["id"],
                                 expires_at - self.clock.now(), {})
            late = (origin or NOWHERE).override
            if late is not None and late.outcome == "processing":
                self.timers.schedule(tenant, PAY_LATE_TIMER, doc["id"], late.delay,
                                     {"then": behaviour_doc(late.then or Behaviour())})
        return doc

    def pay_direct(self, tenant: str, order_id: str, method: str = "webatm", *,
                   origin: Origin | None = None) -> Doc:
        """A method that pays on the spot (online bank transfer): `paid` at once."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] not in ("created", "failed") or doc["code"] is not None:
                raise InvalidState("order_not_payable",
                                   f"The order is {doc['status']} and cannot be paid.")
            if method not in doc["methods"]:
                raise InvalidRequest("method_not_offered", f"{method} is not offered for this "
                                     "order.", param="method")
            doc["method"] = method
            self._pay(tenant, doc, origin)
        return doc

    def settle(self, tenant: str, order_id: str, *, simulated: bool = False,
               origin: Origin | None = None) -> Doc:
        """An issued code was paid (`simulated`: through the simulate control, no money)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] != "awaiting_payment":
                raise InvalidState("order_not_pending",
                                   f"The order is {doc['status']}, not awaiting payment.")
            late = doc["expires_at"] is not None and doc["expires_at"] <= self.clock.now()
            if late:  # its timer has not fired yet: expire it now, keeping the change
                self._move(tenant, doc, "expired", "order.expired", origin)
            else:
                doc["simulated"] = simulated
                self._pay(tenant, doc, origin)
        if late:
            raise InvalidState("order_expired", "The payment code has expired.")
        return doc

    def expire(self, tenant: str, order_id: str, *, origin: Origin | None = None) -> Doc:
        """The order's time ran out (a code unpaid, a cashier abandoned, a wallet approval
        never given or never confirmed)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] not in (*PENDING, "approved"):
                raise InvalidState("order_not_pending",
                                   f"The order is {doc['status']} and cannot expire.")
            self._move(tenant, doc, "expired", "order.expired", origin)
        return doc

    def fail(self, tenant: str, order_id: str, reason: str = "payment_failed", *,
             origin: Origin | None = None) -> Doc:
        """A pending payment failed (the simulate control's `failed`)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] not in PENDING:
                raise InvalidState("order_not_pending",
                                   f"The order is {doc['status']} and cannot fail.")
            doc["failure"] = {"code": reason, "message": "The payment failed."}
            self._move(tenant, doc, "failed", "order.failed", origin)
        return doc

    def pay_due(self, tenant: str, order_id: str, payload: dict[str, Any]) -> None:
        """Timer handler: a scenario's late payment arrives (a failure for a decline),
        if the code is still unpaid and unexpired."""
        doc = self.objects.find(tenant, KIND, order_id)
        if doc is None or doc["status"] != "awaiting_payment" or (
                doc["expires_at"] is not None and doc["expires_at"] <= self.clock.now()):
            return
        then = behaviour_from_doc(payload["then"])
        if then.outcome in ("decline", "block"):
            self.fail(tenant, order_id, then.decline_code or "declined")
        else:
            self.settle(tenant, order_id)

    def expire_due(self, tenant: str, order_id: str, payload: dict[str, Any]) -> None:
        """Timer handler: expire the order if it is still unpaid (a code), unapproved or
        unconfirmed (a wallet)."""
        doc = self.objects.find(tenant, KIND, order_id)
        if doc is not None and doc["status"] in EXPIRABLE and (
                doc["status"] == "awaiting_payment" or doc["method"] in (None, "wallet")):
            self.expire(tenant, order_id)

