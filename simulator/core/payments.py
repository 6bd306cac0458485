"""Payments: the transition table (core/lifecycle.py) and the operations on it.

Every operation runs in one `Store.atomic()` block, appends its events there, and raises
`CardDeclined` only after that block, so a decline is both persisted and reported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from paylab.simulator.core import saved
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.cards import Behaviour, behaviour_doc, behaviour_from_doc
from paylab.simulator.core.charges import Charges
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.customers import find_customer
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.events import Events
from paylab.simulator.core.lifecycle import (
    AMOUNT_EDITABLE,
    CANCELABLE,
    CAPTURABLE,
    CONFIRMABLE,
    check_transition,
    unexpected,
)
from paylab.simulator.core.methods import Methods
from paylab.simulator.core.money import check_amount
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.reviews import Reviews
from paylab.simulator.core.risk import RiskAssessor, attempt_of
from paylab.simulator.core.timers import Timers

KIND = v.PAYMENT
#: Fields a merchant may change (or clear with "") on a payment in any status.
EDITABLE = ("description", "receipt_email", "statement_descriptor",
            "statement_descriptor_suffix", "shipping", "setup_future_usage", "capture_method",
            "customer")

class Payments:
    """Create, confirm, authenticate, capture, cancel and update payments."""

    def __init__(
        self,
        objects: Objects,
        events: Events,
        methods: Methods,
        charges: Charges,
        reviews: Reviews,
        timers: Timers,
        clock: Clock,
        rand: Rand,
    ) -> None:
        self.objects = objects
        self.events = events
        self.methods = methods
        self.charges = charges
        self.reviews = reviews
        self.timers = timers
        self.clock = clock
        self.rand = rand
        #: Fraud rules, when a scenario defines some (set by the app).
        self.risk: RiskAssessor | None = None

    # -- reads ----------------------------------------------------------------------------
    def get(self, tenant: str, payment_id: str, *, param: str = "id") -> Doc:
        """One payment of this tenant."""
        return self.objects.get(tenant, KIND, payment_id, param=param)

    def page(self, tenant: str, *, customer: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of payments, newest first; only `customer`'s (filed under it) if given."""
        if customer is not None:
            find_customer(self.objects, tenant, customer)
        return self.objects.page(tenant, KIND, tags=[customer] if customer else None, **paging)

    # -- operations -----------------------------------------------------------------------
    def create(self, tenant: str, gateway: str, params: dict[str, Any], *,
               origin: Origin = NOWHERE) -> Doc:
        """A new payment; with `confirm` it is confirmed in the same call."""
        amount, currency = params["amount"], params["currency"].lower()
        check_amount(amount, currency)
        saved.check_create(params)
        now = int(self.clock.now())
        pid = self.rand.new_id("pi")
        doc: Doc = {
            "id": pid,
            "gateway": gateway,
            "amount": amount,
            "currency": currency,
            "status": v.NEEDS_METHOD,
            "capture_method": params.get("capture_method", "automatic"),
            "confirmation_method": params.get("confirmation_method", "automatic"),
            "amount_capturable": 0,
            "amount_received": 0,
            "client_secret": f"{pid}_secret_{new_credential(24)}",
            "created": now,
            "description": params.get("description"),
            "metadata": dict(params.get("metadata") or {}),
            "receipt_email": params.get("receipt_email"),
            "statement_descriptor": params.get("statement_descriptor"),
            "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
            "shipping": params.get("shipping"),
            "setup_future_usage": params.get("setup_future_usage"),
            "automatic_payment_methods": saved.automatic(params.get("automatic_payment_methods")),
            "customer": params.get("customer"),
            "return_url": params.get("return_url"),
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "last_payment_error": None,
            "latest_charge": None,
            "review": None,
            "authentication": None,
            "canceled_at": None,
            "cancellation_reason": None,
        }
        with self.objects.store.atomic():
            if doc["customer"] is not None:
                find_customer(self.objects, tenant, doc["customer"])
            method = self._method_from(tenant, params)
            if method is not None:
                doc["payment_method"] = method["id"]
                doc["status"] = v.NEEDS_CONFIRMATION
                saved.check_owner(doc, method)
            self.objects.insert(tenant, KIND, doc, tag=doc["customer"])
            self.events.emit(tenant, gateway, v.PAYMENT_CREATED, KIND, doc, origin=origin)
            decline = (self._confirm_in_tx(tenant, doc, method, origin,
                                           off_session=saved.is_off_session(params))
                       if params.get("confirm") else None)
        if decline is not None:
            raise decline
        return doc

    def confirm(self, tenant: str, payment_id: str, params: dict[str, Any], *,
                origin: Origin = NOWHERE) -> Doc:
        """Attempt the payment with its (or a newly given) payment method."""
        with self.objects.store.atomic():
            doc = self.get(tenant, payment_id)
            if doc["status"] not in CONFIRMABLE:
                raise unexpected(doc, "confirm", CONFIRMABLE)
            if params.get("return_url"):
                doc["return_url"] = params["return_url"]
            if params.get("receipt_email"):
                doc["receipt_email"] = params["receipt_email"]
            if params.get("capture_method"):
                doc["capture_method"] = params["capture_method"]
            for key in ("shipping", "setup_future_usage"):
                if key in params:
                    doc[key] = params[key] if params[key] != "" else None
            method = self._method_from(tenant, params)
            if method is None and doc["payment_method"]:
                method = self.methods.get(tenant, doc["payment_method"])
            if method is None:
                raise InvalidState(
                    v.INVALID_STATE, f"Cannot confirm payment {doc['id']} without a method.",
                    param="payment_method", payment=doc, object=v.PAYMENT, id=doc["id"],
                    status=doc["status"], verb="confirm", missing="payment_method",
                )
            doc["payment_method"] = method["id"]
            doc["authentication"] = None
            off_session = saved.is_off_session(params)
            saved.check_owner(doc, method)
            decline = self._confirm_in_tx(tenant, doc, method, origin, off_session=off_session)
        if decline is not None:
            raise decline
        return doc

    def authenticate(self, tenant: str, payment_id: str, result: str, *,
                     origin: Origin = NOWHERE) -> Doc:
        """Finish a 3-D Secure challenge: `passed`, `failed` or `abandoned`."""
        with self.objects.store.atomic():
            doc = self.get(tenant, payment_id)
            auth = doc.get("authentication") or {}
            if doc["status"] != v.NEEDS_ACTION or auth.get("status") != "pending":
                raise unexpected(doc, "authenticate", (v.NEEDS_ACTION,))
            method = self.methods.get(tenant, doc["payment_method"])
            if result == "passed":
                doc["authentication"] = {**auth, "status": "passed"}
                then = behaviour_from_doc(auth["then"]) if auth.get("then") else Behaviour()
                decline = self._proceed(tenant, doc, method, then, origin, authenticated=True)
            else:
                self._move(tenant, doc, v.NEEDS_METHOD, v.PAYMENT_FAILED, origin=origin,
                           authentication={**auth, "status": result}, payment_method=None,
                           last_payment_error={
                               "category": v.AUTHENTICATION_FAILED,
                               "code": v.AUTHENTICATION_FAILED,
                               "decline_code": None, "message": "3-D Secure failed.",
                               "charge": None, "payment_method": method,
                           })
                decline = None
        if decline is not None:
            raise decline
        return doc

    def capture(self, tenant: str, payment_id: str, amount_to_capture: int | None = None, *,
                origin: Origin = NOWHERE) -> Doc:
        """Capture an authorised payment, in full or in part (the rest is released)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, payment_id)
            if doc["status"] not in CAPTURABLE:
                raise unexpected(doc, "capture", CAPTURABLE)
            amount = doc["amount_capturable"] if amount_to_capture is None else amount_to_capture
            if amount > doc["amount_capturable"]:
                raise InvalidRequest(
                    v.AMOUNT_TOO_LARGE,
                    f"Capture of {amount} exceeds the capturable {doc['amount_capturable']}.",
                    param="amount_to_capture", limit=doc["amount_capturable"],
                    currency=doc["currency"], of="capturable",
                )
            charge = self.charges.get(tenant, doc["latest_charge"])
            released = charge["amount"] - amount  # card APIs count the uncaptured rest as refunded
            charge.update(captured=True, amount_captured=amount, amount_refunded=released,
                          amount_released=released)
            self.charges.save(tenant, charge)
            self.events.emit(tenant, doc["gateway"], v.CHARGE_CAPTURED, "charge", charge,
                             {"captured": False, "amount_captured": 0}, origin=origin)
            self._move(tenant, doc, v.SUCCEEDED, v.PAYMENT_SUCCEEDED, origin=origin,
                       amount_received=amount, amount_capturable=0)
        return doc

    def cancel(self, tenant: str, payment_id: str, reason: str | None = None, *,
               origin: Origin = NOWHERE) -> Doc:
        """Cancel; an authorisation on hold is released back to the card."""
        with self.objects.store.atomic():
            doc = self.get(tenant, payment_id)
            if doc["status"] not in CANCELABLE:
                raise unexpected(doc, "cancel", CANCELABLE)
            if doc["status"] == v.AUTHORIZED and doc["latest_charge"]:
                charge = self.charges.get(tenant, doc["latest_charge"])
                charge.update(amount_refunded=charge["amount"], amount_released=charge["amount"],
                              refunded=True)
                self.charges.save(tenant, charge)
                self.events.emit(tenant, doc["gateway"], v.CHARGE_REFUNDED, "charge", charge,
                                 {"amount_refunded": 0, "refunded": False}, origin=origin)
            self._move(tenant, doc, v.CANCELED, v.PAYMENT_CANCELED, origin=origin,
                       canceled_at=int(self.clock.now()), cancellation_reason=reason,
                       amount_capturable=0)
        return doc

    def update(self, tenant: str, payment_id: str, params: dict[str, Any]) -> Doc:
        """Change editable fields; amount, currency and method only before authorisation."""
        with self.objects.store.atomic():
            doc = self.get(tenant, payment_id)
            money_fields = {"amount", "currency", "payment_method", "payment_method_data",
                            "capture_method"} & params.keys()
            if money_fields and doc["status"] not in AMOUNT_EDITABLE:
                field = sorted(money_fields)[0]
                raise InvalidState(
                    v.INVALID_STATE,
                    f"Cannot update {field} of payment {doc['id']} in status {doc['status']}.",
                    param=field, payment=doc, object=v.PAYMENT, id=doc["id"],
                    status=doc["status"], verb="update", field=field,
                )
            if "amount" in params or "currency" in params:
                doc["amount"] = params.get("amount", doc["amount"])
                doc["currency"] = params.get("currency", doc["currency"]).lower()
                check_amount(doc["amount"], doc["currency"])
            if params.get("customer"):
                find_customer(self.objects, tenant, params["customer"])
            for key in EDITABLE:
                if key in params:
                    doc[key] = params[key] if params[key] != "" else None
            if "customer" in params:
                self.objects.retag(tenant, KIND, doc["id"], doc["customer"])
            if "metadata" in params:
                doc["metadata"] = merge_metadata(doc["metadata"], params["metadata"])
            method = self._method_from(tenant, params)
            if method is not None:
                saved.check_owner(doc, method)
                doc["payment_method"] = method["id"]
                if doc["status"] == v.NEEDS_METHOD:
                    doc["status"] = v.NEEDS_CONFIRMATION
            self.objects.update(tenant, KIND, doc)
        return doc

    # -- internals ------------------------------------------------------------------------
    def _move(self, tenant: str, doc: Doc, status: str, event_type: str, *,
              origin: Origin = NOWHERE, **changes: Any) -> None:
        """Take a transition from the table: apply it, save the payment, emit its event."""
        previous = {"status": doc["status"]}
        check_transition(doc["status"], status)
        doc.update(status=status, **changes)
        self.objects.update(tenant, KIND, doc)
        self.events.emit(tenant, doc["gateway"], event_type, KIND, doc, previous, origin=origin)

    def _method_from(self, tenant: str, params: dict[str, Any]) -> Doc | None:
        data = params.get("payment_method_data")
        if data:
            return self.methods.create_card(
                tenant, data.get("card") or {}, at=("payment_method_data", "card"),
                billing_details=data.get("billing_details"),
                metadata=data.get("metadata"),
            )
        if params.get("payment_method"):
            return self.methods.resolve(tenant, params["payment_method"])
        return None

    def _confirm_in_tx(self, tenant: str, doc: Doc, method: Doc, origin: Origin, *,
                       off_session: bool = False) -> CardDeclined | None:
        saved.check_return_url(doc)
        behaviour = origin.override or behaviour_from_doc(method["card"]["behaviour"])
        if off_session:
            behaviour = saved.without_shopper(behaviour, method)
            if behaviour is saved.AUTHENTICATION_REQUIRED:
                return self._attempt(tenant, doc, method, behaviour, origin)
        if behaviour.outcome in ("authenticate", "authenticate_then"):
            return self._require_action(tenant, doc, behaviour.then or Behaviour(), origin)
        decision = None
        if self.risk is not None:
            attempt = attempt_of(tenant, doc, method, origin.client, self.clock.now())
            decision = self.risk.assess(attempt)
        if decision is not None and decision.action == "require_3ds":
            if off_session:
                return self._attempt(tenant, doc, method, saved.AUTHENTICATION_REQUIRED,
                                     origin)
            return self._require_action(tenant, doc, behaviour, origin)
        if decision is not None:
            behaviour = dataclasses.replace(
                behaviour if decision.action == "review" else Behaviour(outcome="block"),
                risk_level=decision.risk_level, risk_score=decision.risk_score,
                rule=decision.rule, review=decision.action == "review",
            )
        return self._proceed(tenant, doc, method, behaviour, origin)

    def _require_action(self, tenant: str, doc: Doc, then: Behaviour, origin: Origin) -> None:
        self._move(tenant, doc, v.NEEDS_ACTION, v.PAYMENT_NEEDS_ACTION, origin=origin,
                   authentication={"status": "pending", "kind": "three_d_secure",
                                   "then": behaviour_doc(then)},
                   last_payment_error=None)

    def _proceed(self, tenant: str, doc: Doc, method: Doc, behaviour: Behaviour,
                 origin: Origin, *, authenticated: bool = False) -> CardDeclined | None:
        """Authorise now, or go through `pending` and settle when the timer fires."""
        if behaviour.outcome != "processing":
            return self._attempt(tenant, doc, method, behaviour, origin,
                                 authenticated=authenticated)
        self._move(tenant, doc, v.PENDING, v.PAYMENT_PENDING, origin=origin,
                   last_payment_error=None)
        self.timers.schedule(tenant, "settle_payment", doc["id"], behaviour.delay, {
            "then": behaviour_doc(behaviour.then or Behaviour()), "authenticated": authenticated})
        return None

    def settle(self, tenant: str, payment_id: str, payload: dict[str, Any]) -> Doc | None:
        """A `pending` payment's timer fired: authorise it with the planned outcome."""
        with self.objects.store.atomic():
            doc = self.objects.find(tenant, KIND, payment_id)
            if doc is None or doc["status"] != v.PENDING:
                return doc  # reset or already settled: nothing to do
            method = self.methods.get(tenant, doc["payment_method"])
            self._attempt(tenant, doc, method, behaviour_from_doc(payload["then"]), NOWHERE,
                          authenticated=payload.get("authenticated", False))
        return doc

    def _attempt(
        self, tenant: str, doc: Doc, method: Doc, behaviour: Behaviour, origin: Origin, *,
        authenticated: bool = False,
    ) -> CardDeclined | None:
        approved = behaviour.outcome not in ("decline", "block")
        charge = self.charges.create(tenant, doc, method, behaviour, approved=approved,
                                     authenticated=authenticated)
        doc["latest_charge"] = charge["id"]
        gateway = doc["gateway"]
        if approved:
            manual = doc["capture_method"] != "automatic"
            self.events.emit(tenant, gateway, v.CHARGE_SUCCEEDED, "charge", charge,
                             origin=origin)
            if behaviour.review:
                doc["review"] = self.reviews.open(tenant, doc, charge, behaviour.rule,
                                                  origin=origin)["id"]
            if doc.get("setup_future_usage"):  # saved to its customer (if any), set up
                self.methods.save_for_later(tenant, method["id"], doc["customer"],
                                            origin=origin)
            self._move(
                tenant, doc, v.AUTHORIZED if manual else v.SUCCEEDED,
                v.PAYMENT_AUTHORIZED if manual
                else v.PAYMENT_SUCCEEDED, origin=origin,
                last_payment_error=None, amount_capturable=doc["amount"] if manual else 0,
                amount_received=0 if manual else doc["amount"],
            )
            return None
        error = {
            "category": v.DECLINED,
            "code": charge["failure_code"],
            "decline_code": charge["decline_code"],
            "message": charge["failure_message"],
            "charge": charge["id"],
            "payment_method": method,
        }
        self.events.emit(tenant, gateway, v.CHARGE_FAILED, "charge", charge, origin=origin)
        self._move(tenant, doc, v.NEEDS_METHOD, v.PAYMENT_FAILED, origin=origin,
                   last_payment_error=error, payment_method=None)
        return CardDeclined(
            error["code"], error["message"], decline_code=error["decline_code"],
            payment=doc, charge=charge["id"], method=method,
        )
