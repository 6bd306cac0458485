"""Paying an order by card: the card's test behaviour, fraud rules and 3-D Secure."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from paylab.simulator.core.cards import Behaviour, behaviour_doc, behaviour_from_doc, validate_card
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.methods import WALLETS
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.orders.base import CLOSE_TIMER, OrdersBase
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.risk import Attempt


class CardPayments(OrdersBase):
    """pay_by_card and complete_authentication."""

    def pay_by_card(self, tenant: str, order_id: str, card_number: str, *, exp_month: Any = 12,
                    exp_year: Any = None, cvc: str | None = None, capture: bool = True,
                    wallet: str | None = None, origin: Origin | None = None) -> Doc:
        """Pay with a card from the cashier form, or from a device wallet's sheet.

        `wallet` (`apple_pay`, `google_pay`) says the card came from that wallet: the order
        must offer it (not merely cards), its method becomes the wallet's name and its card
        records the wallet; everything else is a card payment's.

        The card's test behaviour (or the scenario's override, or a fraud rule) decides:
        3-D Secure leaves the order `needs_action`; a decline leaves it `failed` with a
        neutral reason and raises CardDeclined after the change is stored; otherwise it is
        `authorized` (capture=False) or `paid`. A failed order may be paid again.
        """
        origin = origin or NOWHERE
        if wallet is not None and wallet not in WALLETS:
            raise InvalidRequest("method_invalid", f"Unknown device wallet: {wallet}.",
                                 param="wallet")
        method = wallet or "card"
        today = dt.datetime.fromtimestamp(self.clock.now(), dt.UTC).date()
        card = validate_card(card_number, exp_month,
                             today.year + 3 if exp_year is None else exp_year, cvc, today=today)
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] not in ("created", "failed") or (doc["code"] is not None):
                raise InvalidState("order_not_payable",
                                   f"The order is {doc['status']} and cannot take a card.")
            if method not in doc["methods"]:
                what = "Cards are" if wallet is None else f"{wallet} is"
                raise InvalidRequest("method_not_offered", f"{what} not offered for this order.",
                                     param="method")
            stored = {k: v for k, v in card.as_doc().items() if k != "behaviour"}
            if wallet is not None:  # a plain card's record keeps no wallet key
                stored["wallet"] = wallet
            doc.update(method=method, card=stored, capture=capture, failure=None)
            behaviour = origin.override or card.behaviour
            if behaviour.outcome == "processing":  # cards settle at once: the planned end
                behaviour = behaviour.then or Behaviour()
            if behaviour.outcome in ("authenticate", "authenticate_then"):
                return self._needs_action(tenant, doc, behaviour.then or Behaviour(), origin)
            behaviour, challenge = self._assess(tenant, doc, card.as_doc(), behaviour, origin)
            if challenge:
                return self._needs_action(tenant, doc, behaviour, origin)
            declined = self._attempt(tenant, doc, behaviour, origin)
        if declined is not None:
            raise declined
        return doc

    def complete_authentication(self, tenant: str, order_id: str, passed: bool, *,
                                origin: Origin | None = None) -> Doc:
        """The shopper passed or failed 3-D Secure; a failure declines the order."""
        with self.objects.store.atomic():
            doc = self.get(tenant, order_id)
            if doc["status"] != "needs_action":
                raise InvalidState("order_not_awaiting_authentication",
                                   f"The order is {doc['status']}, not awaiting authentication.")
            then = behaviour_from_doc(doc["authentication"]["then"])
            doc["authentication"] = {**doc["authentication"],
                                     "status": "passed" if passed else "failed"}
            if not passed:
                then = Behaviour(outcome="decline", code="authentication_failed",
                                 decline_code="authentication_failed",
                                 message="The card holder failed authentication.")
            declined = self._attempt(tenant, doc, then, origin or NOWHERE)
        if declined is not None:
            raise declined
        return doc

    def _assess(self, tenant: str, doc: Doc, card: Doc, behaviour: Behaviour,
                origin: Origin) -> tuple[Behaviour, bool]:
        """Ask the fraud rules; returns the behaviour to use and whether to challenge."""
        assessor = self.risk()
        if assessor is None:
            return behaviour, False
        decision = assessor.assess(Attempt(tenant, doc["amount"], doc["currency"],
                                           card["fingerprint"], card["bin"], card.get("country"),
                                           None, origin.client, self.clock.now()))
        if decision is None:
            return behaviour, False
        if decision.action == "require_3ds":
            return behaviour, True
        base = behaviour if decision.action == "review" else Behaviour(outcome="block")
        return dataclasses.replace(base, risk_level=decision.risk_level,
                                   risk_score=decision.risk_score, rule=decision.rule,
                                   review=decision.action == "review"), False

    def _needs_action(self, tenant: str, doc: Doc, then: Behaviour, origin: Origin) -> Doc:
        doc["authentication"] = {"status": "pending", "kind": "three_d_secure",
                                 "then": behaviour_doc(then)}
        self._move(tenant, doc, "needs_action", "order.needs_action", origin)
        return doc

    def _attempt(self, tenant: str, doc: Doc, behaviour: Behaviour, origin: Origin
                 ) -> CardDeclined | None:
        """Authorise (and maybe capture), or decline; returns the decline to raise."""
        if behaviour.outcome in ("decline", "block"):
            decline_code = behaviour.decline_code or (
                "fraudulent" if behaviour.outcome == "block" else "generic_decline")
            doc["failure"] = {"code": behaviour.code, "decline_code": decline_code,
                              "message": behaviour.message, "rule": behaviour.rule}
            self._move(tenant, doc, "failed", "order.failed", origin)
            return CardDeclined(behaviour.code, behaviour.message, decline_code=decline_code,
                                order=doc)
        doc["authorized_amount"] = doc["amount"]
        doc["authorized_at"] = int(self.clock.now())  # adapters show when it was authorised
        if doc.get("capture", True):
            doc["captured_amount"] = doc["amount"]
            self._pay(tenant, doc, origin)
        else:
            self._move(tenant, doc, "authorized", "order.authorized", origin)
        close = self.closes.get(doc["gateway"])
        if close is not None:
            self.timers.schedule(tenant, CLOSE_TIMER, doc["id"],
                                 close.next_after(self.clock.now()) - self.clock.now(), {})
        return None

