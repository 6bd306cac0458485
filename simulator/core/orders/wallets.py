"""Paying an order from a wallet account: the shopper approves (or declines, or walks away)
on the wallet's own page, and, on wallets that ask for it, the merchant confirms.

A wallet order is created with `methods=["wallet"]` and usually an `expires_at` (the
approval window). `approve` records the shopper's approval: on a wallet that pays at once it
authorises (or captures) the money there and then; on one that waits for the merchant, the
order becomes `approved` until `confirm` checks the amount and currency against the order
and moves the money. Either step may be declined by a scenario's outcome override or by a
fraud rule (the wallet account stands where a card fingerprint would). Captures, voids and
refunds then work as for cards (`Settlement`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from paylab.simulator.core.cards import Behaviour, behaviour_doc, behaviour_from_doc
from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.orders.base import KIND, OrdersBase
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.risk import Attempt

#: A scenario's "approval arrives late": the approval lands this timer's delay later.
APPROVE_LATE_TIMER = "approve_order"


class WalletPayments(OrdersBase):
    """approve, confirm, abandon and the late-approval timer."""

    def approve(self, tenant: str, order_id: str, *, account: dict[str, Any],
                origin: Origin | None = None) -> Doc:
        """The shopper approved the payment on the wallet's page.

        `account` describes what paid, as the adapter will echo it (`id` identifies the
        wallet account for fraud rules; `funding`, `country`, masked card details...).
        If the order was created with `confirm`, the merchant must confirm before money
        moves (the order waits as `approved`); otherwise the money is authorised (an order
        created with capture=False) or paid now. A
        decline (scenario override, fraud block) leaves the order `failed` and raises
        CardDeclined after the change is stored. A `processing` override makes the approval
        land that many virtual seconds later (the order stays `created` meanwhile).
        """
        origin = origin or NOWHERE
        with self.objects.store.atomic():
            doc = self._approvable(tenant, order_id)
            doc.update(method="wallet", wallet=dict(account), failure=None)
            behaviour = origin.override or Behaviour()
            if behaviour.outcome == "processing":
                doc["approval"] = {"status": "pending", "due": int(self.clock.now()
                                                                   + behaviour.delay)}
                self.objects.update(tenant, KIND, doc)
                self.timers.schedule(tenant, APPROVE_LATE_TIMER, doc["id"], behaviour.delay,
                                     {"then": behaviour_doc(behaviour.then or Behaviour())})
                return doc
            declined = self._approve(tenant, doc, self._assess_wallet(tenant, doc, behaviour,
                                                                      origin), origin)
        if declined is not None:
            raise declined
        return doc

    def confirm(self, tenant: str, order_id: str, *, amount: Any, currency: str,
                origin: Origin | None = None) -> Doc:
        """The merchant confirms an approved wallet payment for exactly its amount.

        A different amount or currency is refused without a change; a confirm after the
        approval window expires the order (kept) and is refused.
        """
        origin = origin or NOWHERE
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] != "approved":
                raise InvalidState("order_not_approved",
                                   f"The order is {doc['status']}, not approved and waiting for "
                                   "confirmation.")
            late = doc["expires_at"] is not None and doc["expires_at"] <= self.clock.now()
            if late:
                self._move(tenant, doc, "expired", "order.expired", origin)
            else:
                if isinstance(amount, bool) or amount != doc["amount"] or (
                        str(currency).lower() != doc["currency"]):
                    raise InvalidRequest("amount_mismatch",
                                         "The amount or currency differs from the order's.",
                                         param="amount")
                declined = self._attempt(tenant, doc, origin.override or Behaviour(), origin)
        if late:
            raise InvalidState("order_expired", "The approval window has expired.")
        if declined is not None:
            raise declined
        return doc

    def abandon(self, tenant: str, order_id: str, *, origin: Origin | None = None) -> Doc:
        """The shopper cancelled on the wallet's page (or the merchant cancelled before
        approval): the order is `canceled` and can no longer be paid."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] not in ("created", "approved"):
                raise InvalidState("order_not_pending",
                                   f"The order is {doc['status']} and cannot be cancelled.")
            self._move(tenant, doc, "canceled", "order.canceled", origin)
        return doc

    def approve_due(self, tenant: str, order_id: str, payload: dict[str, Any]) -> None:
        """Timer handler: a late approval lands, if the order still waits for it."""
        doc = self.objects.find(tenant, KIND, order_id)
        if doc is None or doc["status"] != "created" or not doc.get("approval"):
            return
        with self.objects.store.atomic():
            doc["approval"] = {**doc["approval"], "status": "arrived"}
            self._approve(tenant, doc, behaviour_from_doc(payload["then"]), NOWHERE)

    # -- internals ------------------------------------------------------------------------
    def _approvable(self, tenant: str, order_id: str) -> Doc:
        doc = self.get(tenant, order_id)
        if doc["status"] != "created" or doc.get("approval"):
            raise InvalidState("order_not_payable",
                               f"The order is {doc['status']} and cannot be approved.")
        if "wallet" not in doc["methods"]:
            raise InvalidRequest("method_not_offered", "A wallet is not offered for this order.",
                                 param="method")
        if doc["expires_at"] is not None and doc["expires_at"] <= self.clock.now():
            raise InvalidState("order_expired", "The approval window has expired.")
        return doc

    def _approve(self, tenant: str, doc: Doc, behaviour: Behaviour, origin: Origin
                 ) -> Exception | None:
        """Decline, hold for the merchant's confirmation, or move the money now."""
        if behaviour.outcome in ("decline", "block") or not doc.get("confirm", True):
            return self._attempt(tenant, doc, behaviour, origin)
        self._move(tenant, doc, "approved", "order.approved", origin)
        return None

    def _assess_wallet(self, tenant: str, doc: Doc, behaviour: Behaviour, origin: Origin
                       ) -> Behaviour:
        """Ask the fraud rules, with the wallet account where a card would be."""
        assessor = self.risk()
        if assessor is None:
            return behaviour
        account = doc["wallet"]
        decision = assessor.assess(Attempt(tenant, doc["amount"], doc["currency"],
                                           str(account.get("id", "")), "",
                                           account.get("country"), account.get("email"),
                                           origin.client, self.clock.now()))
        if decision is None or decision.action == "require_3ds":
            return behaviour  # a wallet authenticates its own shopper
        base = behaviour if decision.action == "review" else Behaviour(outcome="block")
        return dataclasses.replace(base, risk_level=decision.risk_level,
                                   risk_score=decision.risk_score, rule=decision.rule,
                                   review=decision.action == "review")
