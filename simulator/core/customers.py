"""Customers: the shoppers a merchant keeps, and the payment methods saved to them.

A customer is a plain document; its saved methods are payment-method documents filed
under it (`parent`), so listing them is one indexed read. A deleted customer is gone
(its methods are detached, as card APIs do), and naming it afterwards is `not_found`.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand

KIND = v.CUSTOMER
#: The fields a merchant sets on a customer (create and update), with their empty value.
FIELDS: dict[str, Any] = {
    "name": None, "email": None, "phone": None, "description": None, "address": None,
    "shipping": None, "preferred_locales": [], "invoice_settings": None,
}


class Customers:
    """Create, read, change and delete customers."""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand

    def get(self, tenant: str, customer_id: str, *, param: str = "customer") -> Doc:
        """One customer of this tenant; `not_found` (naming `param`) otherwise."""
        return self.objects.get(tenant, KIND, customer_id, param=param)

    def check(self, tenant: str, customer_id: str | None, *, param: str = "customer") -> None:
        """Refuse a reference to a customer this tenant does not have (None is fine)."""
        if customer_id is not None:
            self.get(tenant, customer_id, param=param)

    def page(self, tenant: str, *, email: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of customers, newest first; only those with `email` if given (customers
        are filed under their email)."""
        return self.objects.page(tenant, KIND, tags=[email] if email else None, **paging)

    def all(self, tenant: str) -> list[Doc]:
        """Every customer of the tenant, oldest first (search)."""
        return [doc for _, doc in self.objects.all_of(KIND, tenant)]

    def create(self, tenant: str, gateway: str, params: dict[str, Any], *,
               origin: Origin = NOWHERE) -> Doc:
        """A new customer."""
        doc: Doc = {"id": self.rand.new_id("cus", 14), "gateway": gateway,
                    "created": int(self.clock.now()),
                    "metadata": dict(params.get("metadata") or {}),
                    "default_method": None, "balance": params.get("balance", 0)}
        for name, empty in FIELDS.items():
            doc[name] = params.get(name, empty)
        with self.objects.store.atomic():
            self.objects.insert(tenant, KIND, doc, tag=doc["email"])
            self.events.emit(tenant, gateway, v.CUSTOMER_CREATED, KIND, doc, origin=origin)
        return doc

    def update(self, tenant: str, customer_id: str, params: dict[str, Any], *,
               origin: Origin = NOWHERE) -> Doc:
        """Change a customer's fields; an empty string clears one, metadata merges."""
        with self.objects.store.atomic():
            doc = self.get(tenant, customer_id)
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
        """Delete a customer; its saved methods are detached (they stay retrievable)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, customer_id)
            for method in self.objects.children(tenant, v.METHOD, customer_id):
                method["customer"] = None
                self.objects.update(tenant, v.METHOD, method)
                self.objects.reparent(tenant, v.METHOD, method["id"], None)
            self.objects.delete(tenant, KIND, customer_id)
            self.events.emit(tenant, doc["gateway"], v.CUSTOMER_DELETED, KIND, doc,
                             origin=origin)
        return doc
