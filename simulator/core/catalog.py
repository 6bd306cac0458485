"""The product catalog: products and their one-time prices, which checkouts sell.

A product is a plain document; its prices are documents filed under it (`parent`), so a
product's prices are one indexed read, and a price's lookup key is its `tag` (unique per
tenant). Prices are one-time only: a recurring price (a subscription) is refused as not
emulated. Lists filter on stored fields, so filtered lists are paged here over the
tenant's documents (a catalog is small); the store's pager checks limits and cursors.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from paylab.simulator.core import money
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand

PRODUCT = v.PRODUCT
PRICE = v.PRICE
#: What a merchant sets on a product (create and update), with its empty value; the
#: fields an update may clear with an empty string are those whose empty value is not
#: a flag.
PRODUCT_FIELDS: dict[str, Any] = {
    "name": None, "description": None, "images": [], "url": None,
    "statement_descriptor": None, "unit_label": None, "shippable": None,
    "package_dimensions": None, "tax_code": None, "marketing_features": [],
}
#: What an update may change on a price, with its empty value.
PRICE_FIELDS: dict[str, Any] = {"nickname": None, "tax_behavior": "unspecified"}
RECURRING_NOT_EMULATED = (
    "Recurring prices (subscriptions) are not emulated: this simulator sells one-time "
    "prices only. Leave out `recurring` (a price is then type=one_time).")
HAS_PRICES = "This product cannot be deleted because it has one or more user-created prices."
INACTIVE_PRICE = "The price specified is inactive. This field only accepts active prices."
#: A decimal amount has at most 12 places (of the currency's minor unit).
DECIMAL_PLACES = 12


class Catalog:
    """Create, read, change and list products and their one-time prices."""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand

    # -- products -------------------------------------------------------------------------
    def product(self, tenant: str, product_id: str, *, param: str = "product") -> Doc:
        """One product of this tenant; `not_found` (naming `param`) otherwise."""
        return self.objects.get(tenant, PRODUCT, product_id, param=param)

    def products(self, tenant: str, *, active: bool | None = None,
                 ids: list[str] | None = None, shippable: bool | None = None,
                 url: str | None = None, **paging: Any) -> tuple[list[Doc], bool]:
        """A page of products, newest first, filtered by the given fields."""
        wanted = {"active": active, "shippable": shippable, "url": url}
        wanted = {k: value for k, value in wanted.items() if value is not None}
        if not wanted and ids is None:
            return self.objects.page(tenant, PRODUCT, **paging)
        chosen = set(ids) if ids is not None else None
        return self._page(tenant, PRODUCT, lambda d: (chosen is None or d["id"] in chosen)
                          and all(d.get(k) == value for k, value in wanted.items()), **paging)

    def create_product(self, tenant: str, gateway: str, params: dict[str, Any], *,
                       origin: Origin = NOWHERE) -> Doc:
        """A new product (with the id asked for, if any); `default_price_data` also makes
        its first price, which becomes the product's default price."""
        now = int(self.clock.now())
        product_id = params.get("id") or self.rand.new_id("prod", 14)
        if params.get("id") and self.objects.find(tenant, PRODUCT, product_id) is not None:
            raise InvalidRequest(v.INVALID_VALUE, "Product already exists.", param="id")
        doc: Doc = {"id": product_id, "gateway": gateway, "created": now, "updated": now,
                    "active": params.get("active", True), "type": params.get("type", "service"),
                    "metadata": dict(params.get("metadata") or {}), "default_price": None}
        for name, empty in PRODUCT_FIELDS.items():
            doc[name] = params.get(name, empty)
        price_data = params.get("default_price_data")
        if price_data is not None:
            _check_price(price_data, "default_price_data")
            doc["default_price"] = self.rand.new_id("price", 24)
        with self.objects.store.atomic():
            self.objects.insert(tenant, PRODUCT, doc)
            self.events.emit(tenant, gateway, v.PRODUCT_CREATED, PRODUCT, doc, origin=origin)
            if price_data is not None:
                self._new_price(tenant, gateway, doc["id"], price_data, origin,
                                price_id=doc["default_price"])
        return doc

    def update_product(self, tenant: str, product_id: str, params: dict[str, Any], *,
                       origin: Origin = NOWHERE) -> Doc:
        """Change a product's fields; an empty string clears one, metadata merges, and
        `default_price` must be one of its own prices."""
        with self.objects.store.atomic():
            doc = self.product(tenant, product_id, param="id")
            changes = {k: params[k] for k in (*PRODUCT_FIELDS, "active") if k in params}
            if params.get("default_price"):
                price = self.price(tenant, params["default_price"], param="default_price")
                if price["product"] != doc["id"]:
                    raise InvalidRequest(
                        v.INVALID_VALUE, f"The price `{price['id']}` cannot be the default "
                        f"price of `{doc['id']}`: it is a price of `{price['product']}`.",
                        param="default_price")
                if not price["active"]:
                    raise InvalidRequest(v.INVALID_VALUE, INACTIVE_PRICE, param="default_price")
            if "default_price" in params:
                changes["default_price"] = params["default_price"] or None
            previous = _apply(doc, changes, PRODUCT_FIELDS, params.get("metadata"))
            if previous:
                doc["updated"] = int(self.clock.now())
            self.objects.update(tenant, PRODUCT, doc)
            self.events.emit(tenant, doc["gateway"], v.PRODUCT_UPDATED, PRODUCT, doc, previous,
                             origin=origin)
        return doc

    def delete_product(self, tenant: str, product_id: str, *,
                       origin: Origin = NOWHERE) -> Doc:
        """Delete a product that has no prices (one with prices can only be archived)."""
        with self.objects.store.atomic():
            doc = self.product(tenant, product_id, param="id")
            if self.objects.children(tenant, PRICE, product_id):
                raise InvalidRequest(v.INVALID_VALUE, HAS_PRICES, param="id")
            self.objects.delete(tenant, PRODUCT, product_id)
            self.events.emit(tenant, doc["gateway"], v.PRODUCT_DELETED, PRODUCT, doc,
                             origin=origin)
        return doc

    # -- prices ---------------------------------------------------------------------------
    def price(self, tenant: str, price_id: str, *, param: str = "price") -> Doc:
        """One price of this tenant; `not_found` (naming `param`) otherwise."""
        return self.objects.get(tenant, PRICE, price_id, param=param)

    def prices(self, tenant: str, *, active: bool | None = None, currency: str | None = None,
               product: str | None = None, price_type: str | None = None,
               lookup_keys: list[str] | None = None, **paging: Any) -> tuple[list[Doc], bool]:
        """A page of prices, newest first, filtered by the given fields (`price_type`
        recurring is refused: there are none)."""
        if price_type == "recurring":
            raise InvalidRequest(v.NOT_EMULATED, RECURRING_NOT_EMULATED, param="type")
        wanted = {"active": active, "currency": currency.lower() if currency else None,
                  "product": product}
        wanted = {k: value for k, value in wanted.items() if value is not None}
        keys = set(lookup_keys) if lookup_keys is not None else None
        if not wanted and keys is None:
            return self.objects.page(tenant, PRICE, **paging)
        return self._page(tenant, PRICE, lambda d: (keys is None or d["lookup_key"] in keys)
                          and all(d.get(k) == value for k, value in wanted.items()), **paging)

    def create_price(self, tenant: str, gateway: str, params: dict[str, Any], *,
                     origin: Origin = NOWHERE) -> Doc:
        """A new one-time price of `product`, or of a new product made from `product_data`."""
        _check_price(params, None)
        product, product_data = params.get("product"), params.get("product_data")
        if product and product_data:
            raise InvalidRequest(v.CONFLICTING_PARAMETERS, "product and product_data exclude "
                                 "each other.", param="product", names=("product", "product_data"))
        if not product and not product_data:
            raise InvalidRequest(v.MISSING_PARAMETER, "A product is required.", param="product",
                                 names=("product", "product_data"))
        with self.objects.store.atomic():
            if product:
                self.product(tenant, product)
            else:
                product = self.create_product(tenant, gateway, product_data, origin=origin)["id"]
            return self._new_price(tenant, gateway, product, params, origin)

    def update_price(self, tenant: str, price_id: str, params: dict[str, Any], *,
                     origin: Origin = NOWHERE) -> Doc:
        """Change a price's `active`, `nickname`, `lookup_key`, `tax_behavior` (set once)
        and metadata; its amount and currency never change."""
        with self.objects.store.atomic():
            doc = self.price(tenant, price_id, param="price")
            behaviour = params.get("tax_behavior")
            if behaviour and doc["tax_behavior"] not in ("unspecified", behaviour):
                raise InvalidRequest(
                    v.INVALID_VALUE, "tax_behavior cannot be changed once it is "
                    f"{doc['tax_behavior']}.", param="tax_behavior")
            changes = {k: params[k] for k in (*PRICE_FIELDS, "active") if k in params}
            if "lookup_key" in params:
                key = params["lookup_key"] or None
                self._claim(tenant, key, doc["id"], params.get("transfer_lookup_key", False),
                            origin)
                changes["lookup_key"] = key
            previous = _apply(doc, changes, PRICE_FIELDS, params.get("metadata"))
            self.objects.update(tenant, PRICE, doc)
            if "lookup_key" in previous:
                self.objects.retag(tenant, PRICE, doc["id"], doc["lookup_key"])
            self.events.emit(tenant, doc["gateway"], v.PRICE_UPDATED, PRICE, doc, previous,
                             origin=origin)
        return doc

    # -- checkout -------------------------------------------------------------------------
    def resolve_line_items(self, tenant: str, params: dict[str, Any]) -> dict[str, Any]:
        """A checkout's parameters with each line item's `price` id replaced by that price
        (a snapshot with its product's name and description), checked for a checkout:
        it exists, is active, and the item says its quantity."""
        items = params.get("line_items")
        if not items:
            return params
        resolved = []
        for index, item in enumerate(items):
            at = ("line_items", index)
            if "adjustable_quantity" in item:
                raise InvalidRequest(v.NOT_EMULATED, "Adjustable quantities are not emulated: "
                                     "the shopper cannot change a line item's quantity here.",
                                     param=(*at, "adjustable_quantity"))
            if item.get("price") and item.get("price_data"):
                raise InvalidRequest(v.CONFLICTING_PARAMETERS, "price and price_data exclude "
                                     "each other.", param=(*at, "price"),
                                     names=("price", "price_data"))
            if not item.get("price"):  # price_data, or neither: the checkout refuses it
                resolved.append(item)
                continue
            if "quantity" not in item:
                raise InvalidRequest(v.INVALID_VALUE, "Quantity is required. Add `quantity` "
                                     f"to `line_items[{index}]`", param=at)
            resolved.append({**item, "price": self._sellable(tenant, item["price"], at)})
        return {**params, "line_items": resolved}

    # -- internals ------------------------------------------------------------------------
    def _sellable(self, tenant: str, price_id: str, at: tuple[str, int]) -> Doc:
        price = self.price(tenant, price_id, param=(*at, "price"))  # type: ignore[arg-type]
        if not price["active"]:
            raise InvalidRequest(v.INVALID_VALUE, INACTIVE_PRICE, param=(*at, "price"))
        if price["unit_amount"] is None:
            raise InvalidRequest(v.NOT_EMULATED, "A price with fractional minor units "
                                 "(unit_amount_decimal) cannot be sold in a checkout here.",
                                 param=(*at, "price"))
        product = self.product(tenant, price["product"])
        if not product["active"]:
            raise InvalidRequest(v.INVALID_VALUE, f"Price `{price_id}` is not available to be "
                                 "purchased because its product is not active.",
                                 param=(*at, "price"))
        return {**price, "product_name": product["name"],
                "product_description": product["description"]}

    def _new_price(self, tenant: str, gateway: str, product: str, params: dict[str, Any],
                   origin: Origin, *, price_id: str | None = None) -> Doc:
        decimal = _decimal(params)
        now = int(self.clock.now())
        doc: Doc = {
            "id": price_id or self.rand.new_id("price", 24), "gateway": gateway, "created": now,
            "active": params.get("active", True), "currency": params["currency"].lower(),
            "unit_amount": int(decimal) if decimal == decimal.to_integral_value() else None,
            "unit_amount_decimal": format(decimal.normalize(), "f"), "product": product,
            "nickname": params.get("nickname"), "lookup_key": params.get("lookup_key"),
            "tax_behavior": params.get("tax_behavior", "unspecified"),
            "metadata": dict(params.get("metadata") or {}),
        }
        self._claim(tenant, doc["lookup_key"], doc["id"],
                    params.get("transfer_lookup_key", False), origin)
        self.objects.insert(tenant, PRICE, doc, parent=product, tag=doc["lookup_key"])
        self.events.emit(tenant, gateway, v.PRICE_CREATED, PRICE, doc, origin=origin)
        return doc

    def _claim(self, tenant: str, key: str | None, price_id: str, transfer: bool,
               origin: Origin) -> None:
        """Make `key` free for `price_id`: another price holding it keeps it (an error)
        unless `transfer`, when it loses it."""
        holder = self.objects.tagged(tenant, PRICE, key) if key else None
        if holder is None or holder["id"] == price_id:
            return
        if not transfer:
            raise InvalidRequest(v.INVALID_VALUE,
                                 f"A price (`{holder['id']}`) already uses that lookup key.",
                                 param="lookup_key")
        holder["lookup_key"] = None
        self.objects.update(tenant, PRICE, holder)
        self.objects.retag(tenant, PRICE, holder["id"], None)
        self.events.emit(tenant, holder["gateway"], v.PRICE_UPDATED, PRICE, holder,
                         {"lookup_key": key}, origin=origin)

    def _page(self, tenant: str, kind: str, keep: Callable[[Doc], bool], *, limit: int = 10,
              starting_after: str | None = None, ending_before: str | None = None,
              created: dict[str, int] | None = None) -> tuple[list[Doc], bool]:
        """A filtered page, newest first, as `Objects.page` pages (cursors included)."""
        self.objects.page(tenant, kind, limit=limit, starting_after=starting_after,
                          ending_before=ending_before)  # refuses bad limits and cursors
        newest = [doc for _, doc in reversed(self.objects.all_of(kind, tenant))]
        ids = [doc["id"] for doc in newest]
        if starting_after:
            newest = newest[ids.index(starting_after) + 1:]
        elif ending_before:
            newest = newest[:ids.index(ending_before)]
        bounds = created or {}
        matching = [d for d in newest if keep(d) and _within(d["created"], bounds)]
        page = matching[-limit:] if ending_before else matching[:limit]
        return page, len(matching) > limit


def _check_price(params: dict[str, Any], at: str | None) -> None:
    """Refuse what a one-time price cannot be: recurring, tiered, a pay-what-you-want
    amount, or an amount outside the currency's limits."""
    def where(name: str) -> str | tuple[str, str]:
        return (at, name) if at else name
    if "recurring" in params:
        raise InvalidRequest(v.NOT_EMULATED, RECURRING_NOT_EMULATED, param=where("recurring"))
    if params.get("billing_scheme") == "tiered" or "custom_unit_amount" in params:
        raise InvalidRequest(v.NOT_EMULATED, "Tiered prices and customer-chosen amounts "
                             "(custom_unit_amount) are not emulated: a price here is one "
                             "unit_amount per unit.", param=where("billing_scheme"))
    currency = params["currency"].lower()
    if currency not in money.SUPPORTED_CURRENCIES:
        raise InvalidRequest(v.UNSUPPORTED_CURRENCY, f"Unsupported currency: {currency}.",
                             param=where("currency"), currency=currency,
                             supported=money.SUPPORTED_CURRENCIES)
    if "unit_amount" in params and "unit_amount_decimal" in params:
        raise InvalidRequest(v.CONFLICTING_PARAMETERS, "unit_amount and unit_amount_decimal "
                             "exclude each other.", param=where("unit_amount"),
                             names=("unit_amount", "unit_amount_decimal"))
    if "unit_amount" not in params and "unit_amount_decimal" not in params:
        raise InvalidRequest(v.MISSING_PARAMETER, "An amount is required.",
                             param=where("unit_amount"), names=("unit_amount",))
    amount = _decimal(params, where("unit_amount_decimal"))
    if amount > money.MAXIMUM_AMOUNT:
        raise InvalidRequest(
            v.AMOUNT_TOO_LARGE, "Amount must be no more than "
            f"{money.format_amount(money.MAXIMUM_AMOUNT, currency)}",
            param=where("unit_amount"), limit=money.MAXIMUM_AMOUNT, currency=currency,
            of="maximum")


def _decimal(params: dict[str, Any], param: str | tuple[str, str] = "unit_amount_decimal"
             ) -> Decimal:
    """The price's amount in minor units (`unit_amount`, or `unit_amount_decimal` with up
    to 12 decimal places), refused when negative or not a number."""
    if "unit_amount" in params:
        return Decimal(params["unit_amount"])
    text = str(params["unit_amount_decimal"])
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount < 0 or (isinstance(exponent, int)
                                                and exponent < -DECIMAL_PLACES):
        raise InvalidRequest(v.INVALID_VALUE, f"Invalid decimal: {text}", param=param)
    return amount


def _within(created: int, bounds: dict[str, int]) -> bool:
    """Whether `created` passes a `created` filter (gt, gte, lt, lte)."""
    tests = {"gt": created > bounds.get("gt", created - 1),
             "gte": created >= bounds.get("gte", created),
             "lt": created < bounds.get("lt", created + 1),
             "lte": created <= bounds.get("lte", created)}
    return all(tests.values())


def _apply(doc: Doc, changes: dict[str, Any], fields: dict[str, Any],
           metadata: dict[str, str] | str | None) -> Doc:
    """Apply `changes` (an empty string restores a field's empty value) and a metadata
    update to `doc`; returns the earlier values of what changed."""
    previous: Doc = {}
    for name, value in changes.items():
        value = fields.get(name) if value == "" else value
        if value != doc.get(name):
            previous[name] = doc.get(name)
            doc[name] = value
    if metadata is not None:
        merged = merge_metadata(doc["metadata"], metadata)
        if merged != doc["metadata"]:
            previous["metadata"] = doc["metadata"]
            doc["metadata"] = merged
    return previous
