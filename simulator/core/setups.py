"""Setups: saving a payment method for later payments without the shopper.

A setup confirms a method once (3-D Secure when the card asks for it) and, when it
succeeds, saves it to its customer and marks it set up (`set_up` on the method), so
later payments without the shopper know the card went through authentication once.
No money moves: a setup has no amount and creates no charge.

Statuses are the payment statuses' neutral words (needs_method, needs_confirmation,
needs_action, succeeded, canceled); adapters name them. A decline is stored before it
is raised (`CardDeclined` with the setup in its context), as payments do.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.cards import Behaviour, behaviour_doc, behaviour_from_doc
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.customers import Customers
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState
from paylab.simulator.core.events import Events
from paylab.simulator.core.methods import Methods
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.timers import Timers

KIND = v.SETUP
#: A setup operation tried from a status it may not start from (context as INVALID_STATE).
SETUP_INVALID_STATE = "setup_invalid_state"
#: The setup failed 3-D Secure.
SETUP_AUTHENTICATION_FAILED = "setup_authentication_failed"

CONFIRMABLE = (v.NEEDS_METHOD, v.NEEDS_CONFIRMATION, v.NEEDS_ACTION)
CANCELABLE = CONFIRMABLE
#: Fields that name the method; they change only before the setup succeeds.
METHOD_FIELDS = ("payment_method", "payment_method_data", "payment_method_types")
CANCELLATION_REASONS = ("abandoned", "duplicate", "requested_by_customer")
#: 3-D Secure on request (`any`, `challenge`): the challenge even for a card that would
#: not ask; `automatic` leaves it to the card.
ASKED_3DS = ("any", "challenge")
USAGES = ("on_session", "off_session")


def setup_outcome(behaviour: Behaviour) -> str:
    """What saving a card with this behaviour does: succeed, authenticate or decline
    (`Behaviour.setup`, or as the payment outcome says when it is None)."""
    if behaviour.setup:
        return behaviour.setup
    if behaviour.outcome in ("authenticate", "authenticate_then"):
        return "authenticate"
    if behaviour.outcome in ("decline", "block"):
        return "decline"
    return "succeed"


def after_authentication(behaviour: Behaviour) -> Behaviour:
    """The behaviour once 3-D Secure passed: a card whose payments authenticate and then
    decline declines its setup too; anything else succeeds."""
    if behaviour.setup is None and behaviour.outcome == "authenticate_then" and behaviour.then:
        return behaviour.then if setup_outcome(behaviour.then) == "decline" else Behaviour()
    return Behaviour()


class Setups:
    """Create, confirm, authenticate, update, cancel and list setups."""

    def __init__(self, objects: Objects, events: Events, methods: Methods,
                 customers: Customers, timers: Timers,
                 clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.methods = methods
        self.customers = customers
        self.timers = timers
        self.clock = clock
        self.rand = rand

    # -- reads ----------------------------------------------------------------------------
    def get(self, tenant: str, setup_id: str, *, param: str = "intent") -> Doc:
        """One setup of this tenant."""
        return self.objects.get(tenant, KIND, setup_id, param=param)

    def page(self, tenant: str, *, customer: str | None = None, method: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of setups, newest first; only `customer`'s (setups are filed under their
        customer) or only those with `method` (filed by their method) if given."""
        return self.objects.page(tenant, KIND, parent=customer,
                                 tags=[method] if method else None, **paging)

    # -- operations -----------------------------------------------------------------------
    def create(self, tenant: str, gateway: str, params: dict[str, Any], *,
               origin: Origin = NOWHERE) -> Doc:
        """A new setup; with `confirm` it is confirmed in the same call."""
        if params.get("return_url") and not params.get("confirm"):
            raise InvalidRequest(v.INVALID_VALUE,
                                 "You can only pass return_url when confirm is true.",
                                 param="return_url")
        if params.get("automatic_payment_methods") and params.get("payment_method_types"):
            raise InvalidRequest(
                v.CONFLICTING_PARAMETERS,
                "automatic_payment_methods and payment_method_types exclude each other.",
                param="payment_method_types",
                names=("automatic_payment_methods", "payment_method_types"))
        now = int(self.clock.now())
        sid = self.rand.new_id("seti")
        automatic = params.get("automatic_payment_methods")
        doc: Doc = {
            "id": sid, "gateway": gateway, "status": v.NEEDS_METHOD, "created": now,
            "client_secret": f"{sid}_secret_{new_credential(25)}",
            "customer": params.get("customer"), "description": params.get("description"),
            "metadata": dict(params.get("metadata") or {}),
            "usage": params.get("usage", "off_session"),
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "automatic_payment_methods": {
                "enabled": bool(automatic.get("enabled")),
                "allow_redirects": automatic.get("allow_redirects", "always"),
            } if automatic else None,
            "return_url": params.get("return_url"), "last_error": None,
            "authentication": None, "cancellation_reason": None,
            "three_d_secure": _asked_3ds(params) or "automatic",
        }
        with self.objects.store.atomic():
            self.customers.check(tenant, doc["customer"])
            method = self._method_from(tenant, params)
            if method is not None:
                doc["payment_method"] = method["id"]
                doc["status"] = v.NEEDS_CONFIRMATION
            self.objects.insert(tenant, KIND, doc, parent=doc["customer"],
                                tag=doc["payment_method"])
            self.events.emit(tenant, gateway, v.SETUP_CREATED, KIND, doc, origin=origin)
            decline = (self._confirm_in_tx(tenant, doc, method, origin)
                       if params.get("confirm") else None)
        if decline is not None:
            raise decline
        return doc

    def confirm(self, tenant: str, setup_id: str, params: dict[str, Any], *,
                origin: Origin = NOWHERE) -> Doc:
        """Attempt the setup with its (or a newly given) payment method."""
        with self.objects.store.atomic():
            doc = self.get(tenant, setup_id)
            method = self._method_from(tenant, params)  # an unknown method is named first
            if doc["status"] not in CONFIRMABLE:
                raise _unexpected(doc, "confirm", CONFIRMABLE)
            if params.get("return_url"):
                doc["return_url"] = params["return_url"]
            doc["three_d_secure"] = _asked_3ds(params) or doc.get("three_d_secure", "automatic")
            if method is None and doc["payment_method"]:
                method = self.methods.get(tenant, doc["payment_method"])
            decline = self._confirm_in_tx(tenant, doc, method, origin)
        if decline is not None:
            raise decline
        return doc

    def authenticate(self, tenant: str, setup_id: str, result: str, *,
                     origin: Origin = NOWHERE) -> Doc:
        """Finish a 3-D Secure challenge: `passed`, `failed` or `abandoned`."""
        with self.objects.store.atomic():
            doc = self.get(tenant, setup_id)
            auth = doc.get("authentication") or {}
            if doc["status"] != v.NEEDS_ACTION or auth.get("status") != "pending":
                raise _unexpected(doc, "authenticate", (v.NEEDS_ACTION,))
            method = self.methods.get(tenant, doc["payment_method"])
            doc["authentication"] = {**auth, "status": result}
            if result == "passed":
                then = behaviour_from_doc(auth["then"]) if auth.get("then") else Behaviour()
                decline = self._proceed(tenant, doc, method, then, origin)
            else:
                self._fail(tenant, doc, method, origin, {
                    "category": SETUP_AUTHENTICATION_FAILED,
                    "code": SETUP_AUTHENTICATION_FAILED, "decline_code": None,
                    "message": "3-D Secure failed."})
                decline = None
        if decline is not None:
            raise decline
        return doc

    def cancel(self, tenant: str, setup_id: str, reason: str | None = None, *,
               origin: Origin = NOWHERE) -> Doc:
        """Cancel a setup that has not succeeded."""
        with self.objects.store.atomic():
            doc = self.get(tenant, setup_id)
            if doc["status"] not in CANCELABLE:
                raise _unexpected(doc, "cancel", CANCELABLE)
            doc.update(status=v.CANCELED, cancellation_reason=reason, authentication=None)
            self._save(tenant, doc, v.SETUP_CANCELED, origin)
        return doc

    def update(self, tenant: str, setup_id: str, params: dict[str, Any]) -> Doc:
        """Change editable fields; the method only before the setup succeeded."""
        with self.objects.store.atomic():
            doc = self.get(tenant, setup_id)
            method = self._method_from(tenant, params)  # an unknown method is named first
            if "customer" in params:
                self.customers.check(tenant, params["customer"] or None)
            changed = [f for f in METHOD_FIELDS if f in params]
            if changed and doc["status"] not in (v.NEEDS_METHOD, v.NEEDS_CONFIRMATION):
                raise InvalidState(
                    SETUP_INVALID_STATE, f"Cannot update {changed[0]} of setup {doc['id']} "
                    f"in status {doc['status']}.", param=changed[0], object=KIND,
                    id=doc["id"], status=doc["status"], verb="update", field=changed[0])
            if "customer" in params:
                if doc["customer"] and params["customer"] != doc["customer"] \
                        and doc["status"] == v.SUCCEEDED:
                    raise InvalidRequest(v.INVALID_VALUE, "The customer of a setup that has "
                                         "succeeded cannot change.", param="customer")
                doc["customer"] = params["customer"] or None
                self.objects.reparent(tenant, KIND, doc["id"], doc["customer"])
            if "description" in params:
                doc["description"] = params["description"] or None
            if "metadata" in params:
                doc["metadata"] = merge_metadata(doc["metadata"], params["metadata"])
            if params.get("payment_method_types"):
                doc["payment_method_types"] = params["payment_method_types"]
            doc["three_d_secure"] = _asked_3ds(params) or doc.get("three_d_secure", "automatic")
            if method is not None:
                doc.update(payment_method=method["id"], status=v.NEEDS_CONFIRMATION)
                self.objects.retag(tenant, KIND, doc["id"], method["id"])
            self.objects.update(tenant, KIND, doc)
        return doc

    # -- internals ------------------------------------------------------------------------
    def _method_from(self, tenant: str, params: dict[str, Any]) -> Doc | None:
        data = params.get("payment_method_data")
        if data:
            return self.methods.create_card(
                tenant, data.get("card") or {}, at=("payment_method_data", "card"),
                billing_details=data.get("billing_details"), metadata=data.get("metadata"))
        if params.get("payment_method"):
            return self.methods.resolve(tenant, params["payment_method"])
        return None

    def _confirm_in_tx(self, tenant: str, doc: Doc, method: Doc | None, origin: Origin
                       ) -> CardDeclined | None:
        if method is None:
            raise InvalidState(
                SETUP_INVALID_STATE, f"Cannot confirm setup {doc['id']} without a method.",
                param="payment_method", object=KIND, id=doc["id"], status=doc["status"],
                verb="confirm", missing="payment_method")
        owner = method.get("customer")
        if owner and owner != doc["customer"]:
            raise InvalidRequest(
                v.INVALID_VALUE, f"The payment method {method['id']} belongs to another "
                "customer.", param="payment_method", id=method["id"], customer=owner,
                reason="attached_elsewhere")
        if doc["payment_method"] != method["id"]:
            self.objects.retag(tenant, KIND, doc["id"], method["id"])
        doc.update(payment_method=method["id"], authentication=None, last_error=None)
        behaviour = origin.override or behaviour_from_doc(method["card"]["behaviour"])
        asked = doc.get("three_d_secure") in ASKED_3DS and setup_outcome(behaviour) == "succeed"
        if asked or setup_outcome(behaviour) == "authenticate":
            doc.update(status=v.NEEDS_ACTION, authentication={
                "status": "pending", "kind": "three_d_secure",
                "then": behaviour_doc(after_authentication(behaviour))})
            self._save(tenant, doc, v.SETUP_NEEDS_ACTION, origin)
            return None
        return self._proceed(tenant, doc, method, behaviour, origin)

    def _proceed(self, tenant: str, doc: Doc, method: Doc, behaviour: Behaviour,
                 origin: Origin) -> CardDeclined | None:
        """Succeed (the method is saved to the customer and marked set up) or decline."""
        if setup_outcome(behaviour) == "decline":
            error = {"category": v.DECLINED, "code": behaviour.code,
                     "decline_code": "fraudulent" if behaviour.outcome == "block"
                     else behaviour.decline_code, "message": behaviour.message}
            self._fail(tenant, doc, method, origin, error)
            return CardDeclined(error["code"], error["message"],
                                decline_code=error["decline_code"], setup=doc, method=method)
        self.methods.save_for_later(tenant, method["id"], doc["customer"], origin=origin)
        doc.update(status=v.SUCCEEDED, last_error=None)
        self._save(tenant, doc, v.SETUP_SUCCEEDED, origin)
        return None

    def _fail(self, tenant: str, doc: Doc, method: Doc, origin: Origin,
              error: dict[str, Any]) -> None:
        doc.update(status=v.NEEDS_METHOD, payment_method=None,
                   last_error={**error, "payment_method": method})
        self.objects.retag(tenant, KIND, doc["id"], None)
        self._save(tenant, doc, v.SETUP_FAILED, origin)

    def _save(self, tenant: str, doc: Doc, event_type: str, origin: Origin) -> None:
        self.objects.update(tenant, KIND, doc)
        self.events.emit(tenant, doc["gateway"], event_type, KIND, doc, origin=origin)


def _asked_3ds(params: dict[str, Any]) -> str | None:
    """`payment_method_options[card][request_three_d_secure]`, when given."""
    options = (params.get("payment_method_options") or {}).get("card") or {}
    return options.get("request_three_d_secure")


def _unexpected(doc: Doc, verb: str, allowed: tuple[str, ...]) -> InvalidState:
    """The error for a setup operation tried from a status it may not start from."""
    return InvalidState(
        SETUP_INVALID_STATE,
        f"Cannot {verb} setup {doc['id']} in status {doc['status']} "
        f"(allowed: {', '.join(allowed)}).",
        object=KIND, id=doc["id"], status=doc["status"], verb=verb, allowed=allowed)
