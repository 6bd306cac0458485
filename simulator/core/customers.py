"""Customers: the shoppers a merchant keeps, and the payment methods saved to them.

A customer is a plain document; its saved methods are payment-method documents filed
under it (`parent`), so listing them is one indexed read. Deleting a customer detaches its
methods (as card APIs do) and leaves a tombstone (kind `GONE`): retrieving a deleted
customer answers the tombstone, every other use of it is `not_found`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand

if TYPE_CHECKING:
    from paylab.simulator.core.methods import Methods

KIND = v.CUSTOMER
#: Where deleted customers leave their tombstone ({id, created, deleted: True}).
GONE = v.CUSTOMER + ".deleted"
#: The fields a merchant sets on a customer (create and update), with their empty value.
FIELDS: dict[str, Any] = {
    "name": None, "email": None, "phone": None, "description": None, "address": None,
    "shipping": None, "preferred_locales": [],
}
#: Where the default method is named in a request (for errors).
DEFAULT_PARAM = ("invoice_settings", "default_payment_method")


def find_customer(objects: Objects, tenant: str, customer_id: str, *,
                  param: str = "customer") -> Doc:
    """A live customer named by a request parameter; an invalid request naming `param`
    when the tenant has no such customer (or deleted it)."""
    doc = objects.find(tenant, KIND, customer_id)
    if doc is None:
        raise InvalidRequest(v.NOT_FOUND, f"No such customer: '{customer_id}'", param=param,
                             object=KIND, id=customer_id)
    return doc


def not_attached(method_id: str, param: str | tuple[str, ...]) -> InvalidRequest:
    """A customer named with a method that is not saved to it."""
    return InvalidRequest(
        v.INVALID_VALUE, f"The customer does not have a payment method with the ID "
        f"{method_id}. The payment method must be attached to the customer.",
        param=param, id=method_id, reason="not_attached_to_customer")


class Customers:
    """Create, read, change and delete customers."""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand

    def get(self, tenant: str, customer_id: str, *, param: str = "customer") -> Doc:
        """One live customer of this tenant; `not_found` (naming `param`) otherwise."""
        return self.objects.get(tenant, KIND, customer_id, param=param)

    def retrieve(self, tenant: str, customer_id: str) -> Doc:
        """A live customer, or the tombstone of a deleted one; `not_found` otherwise."""
        gone = self.objects.find(tenant, GONE, customer_id)
        return gone if gone is not None else self.get(tenant, customer_id)

    def check(self, tenant: str, customer_id: str | None, *,
              param: str = "customer") -> Doc | None:
        """Refuse a reference (a request parameter) to a customer this tenant does not
        have, or has deleted, as an invalid request naming `param`; None is fine."""
        if customer_id is None:
            return None
        return find_customer(self.objects, tenant, customer_id, param=param)

    def page(self, tenant: str, *, email: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of customers, newest first; only those with `email` if given (customers
        are filed under their email)."""
        return self.objects.page(tenant, KIND, tags=[email] if email else None, **paging)

    def all(self, tenant: str) -> list[Doc]:
        """Every live customer of the tenant, oldest first (search)."""
        return [doc for _, doc in self.objects.all_of(KIND, tenant)]

    def create(self, tenant: str, gateway: str, params: dict[str, Any], *,
               methods: Methods | None = None, origin: Origin = NOWHERE) -> Doc:
        """A new customer; `payment_method` (with `methods`) is saved to it, and
        `default_method` must be that one (a new customer has no other)."""
        doc: Doc = {"id": self.rand.new_id("cus", 14), "gateway": gateway,
                    "created": int(self.clock.now()),
                    "metadata": dict(params.get("metadata") or {}),
                    "default_method": None, "balance": params.get("balance", 0)}
        for name, empty in FIELDS.items():
            value = params.get(name, empty)
            doc[name] = empty if value == "" else value
        reference, default = params.get("payment_method"), params.get("default_method")
        with self.objects.store.atomic():
            method = (methods.resolve(tenant, reference)
                      if reference and methods is not None else None)
            if default:
                if method is None or default not in (reference, method["id"]):
                    raise not_attached(default, DEFAULT_PARAM)
                doc["default_method"] = method["id"]
            self.objects.insert(tenant, KIND, doc, tag=doc["email"])
            self.events.emit(tenant, gateway, v.CUSTOMER_CREATED, KIND, doc, origin=origin)
            if method is not None and methods is not None:
                methods.attach(tenant, method["id"], doc["id"], origin=origin)
        return doc

    def update(self, tenant: str, customer_id: str, params: dict[str, Any], *,
               origin: Origin = NOWHERE) -> Doc:
        """Change a customer's fields; an empty string clears one, metadata merges; a
        default method must be saved to this customer."""
        with self.objects.store.atomic():
            doc = self.get(tenant, customer_id)
            default = params.get("default_method")
            if default:
                method = self.objects.find(tenant, v.METHOD, default)
                if method is None or method.get("customer") != customer_id:
                    raise not_attached(default, DEFAULT_PARAM)
            previous: Doc = {}
            for name in (*FIELDS, "balance", "default_method"):
                if name in params:
                    value = params[name] if params[name] != "" else FIELDS.get(name)
                    if value != doc.get(name):
                        previous[name] = doc.get(name)
                        doc[name] = value
            if "metadata" in params:
                merged = merge_metadata(doc["metadata"], params["metadata"])
                if merged != doc["metadata"]:
                    previous["metadata"] = doc["metadata"]
                    doc["metadata"] = merged
            self.objects.update(tenant, KIND, doc)
            if "email" in previous:
                self.objects.retag(tenant, KIND, doc["id"], doc["email"])
            self.events.emit(tenant, doc["gateway"], v.CUSTOMER_UPDATED, KIND, doc, previous,
                             origin=origin)
        return doc

    def delete(self, tenant: str, customer_id: str, *, origin: Origin = NOWHERE) -> Doc:
        """Delete a customer; its saved methods are detached (they stay retrievable) and a
        tombstone stays behind. Returns the tombstone."""
        with self.objects.store.atomic():
            doc = self.get(tenant, customer_id)
            for method in self.objects.children(tenant, v.METHOD, customer_id):
                method["customer"] = None
                self.objects.update(tenant, v.METHOD, method)
                self.objects.reparent(tenant, v.METHOD, method["id"], None)
            self.objects.delete(tenant, KIND, customer_id)
            tombstone = {"id": customer_id, "created": doc["created"], "deleted": True}
            self.objects.insert(tenant, GONE, tombstone)
            self.events.emit(tenant, doc["gateway"], v.CUSTOMER_DELETED, KIND, doc,
                             origin=origin)
        return tombstone
