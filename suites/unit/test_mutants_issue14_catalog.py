"""The product catalog pinned down where mutation testing found it loose, in the core
without HTTP: what products and prices store, the price rules (recurring, tiered,
currencies, amounts, decimals), default prices, lookup keys, filtered pages with cursors
and `created` bounds, line items for a checkout, and the errors' codes and parameters."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import catalog as c
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.catalog import Catalog
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest, NotFound
from paylab.suites.unit.conftest import TENANT, FakeWall

START = 1_700_000_000


@pytest.fixture
def cat(domain: Domain) -> Catalog:
    return domain.catalog


def events(domain: Domain, event_type: str) -> list[dict[str, Any]]:
    docs, _ = domain.events.page(TENANT, types=[event_type], limit=100)
    return list(reversed(docs))


def price(cat: Catalog, product: str, **params: Any) -> dict[str, Any]:
    return cat.create_price(TENANT, "stripe", {"product": product, "currency": "usd",
                                               "unit_amount": 500, **params})


def refused(call: Any, code: str, param: Any, message: str | None = None) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        call()
    assert (caught.value.code, caught.value.param) == (code, param)
    if message is not None:
        assert caught.value.message == message
    return caught.value


# -- products ---------------------------------------------------------------------------------
def test_a_new_product_stores_its_fields(cat: Catalog, domain: Domain) -> None:
    doc = cat.create_product(TENANT, "stripe", {"name": "Tea", "metadata": {"a": "1"}})
    assert doc["id"].startswith("prod_") and len(doc["id"]) == len("prod_") + 14
    assert doc == {"id": doc["id"], "gateway": "stripe", "created": START, "updated": START,
                   "active": True, "type": "service", "metadata": {"a": "1"},
                   "default_price": None, **c.PRODUCT_FIELDS, "name": "Tea"}
    assert [e["object"]["id"] for e in events(domain, v.PRODUCT_CREATED)] == [doc["id"]]
    named = cat.create_product(TENANT, "stripe", {"id": "tea", "name": "T", "active": False,
                                                  "type": "good"})
    assert (named["id"], named["active"], named["type"]) == ("tea", False, "good")
    refused(lambda: cat.create_product(TENANT, "stripe", {"id": "tea", "name": "T"}),
            "invalid_value", "id", "Product already exists.")
    assert cat.create_product("acct_other", "stripe", {"id": "tea", "name": "T"})["id"] == "tea"


def test_a_default_price_is_made_with_the_product(cat: Catalog, domain: Domain) -> None:
    doc = cat.create_product(TENANT, "stripe", {"name": "Tea", "default_price_data": {
        "currency": "USD", "unit_amount": 300}})
    default = cat.price(TENANT, doc["default_price"])
    assert default["id"].startswith("price_") and len(default["id"]) == len("price_") + 24
    assert (default["product"], default["currency"], default["unit_amount"]) == (
        doc["id"], "usd", 300)
    assert [e["type"] for e in events(domain, v.PRICE_CREATED)] == [v.PRICE_CREATED]
    refused(lambda: cat.create_product(TENANT, "stripe", {
        "name": "X", "default_price_data": {"currency": "usd", "recurring": {}}}),
        "not_emulated", ("default_price_data", "recurring"))
    assert len(cat.products(TENANT)[0]) == 1


def test_update_product(cat: Catalog, domain: Domain, wall: FakeWall) -> None:
    doc = cat.create_product(TENANT, "stripe", {"name": "Tea", "description": "d",
                                                "metadata": {"a": "1"}})
    own = price(cat, doc["id"])
    wall.now += 60
    updated = cat.update_product(TENANT, doc["id"], {
        "description": "", "active": False, "default_price": own["id"], "metadata": {"b": "2"},
        "images": ["https://x.example/i.png"]})
    assert (updated["description"], updated["active"], updated["default_price"]) == (
        None, False, own["id"])
    assert updated["metadata"] == {"a": "1", "b": "2"}
    assert updated["images"] == ["https://x.example/i.png"]
    assert updated["updated"] == START + 60
    assert cat.product(TENANT, doc["id"]) == updated
    [event] = events(domain, v.PRODUCT_UPDATED)
    assert event["previous_attributes"] == {"description": "d", "active": True,
                                            "default_price": None, "images": [],
                                            "metadata": {"a": "1"}}
    wall.now += 60
    same = cat.update_product(TENANT, doc["id"], {"name": "Tea"})
    assert same["updated"] == START + 60
    cleared = cat.update_product(TENANT, doc["id"], {"default_price": ""})
    assert cleared["default_price"] is None


def test_a_default_price_must_be_an_active_own_price(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    cake = cat.create_product(TENANT, "stripe", {"name": "Cake"})
    theirs = price(cat, cake["id"])
    refused(lambda: cat.update_product(TENANT, tea["id"], {"default_price": theirs["id"]}),
            "invalid_value", "default_price",
            f"The price `{theirs['id']}` cannot be the default price of `{tea['id']}`: it is "
            f"a price of `{cake['id']}`.")
    inactive = price(cat, tea["id"], active=False)
    refused(lambda: cat.update_product(TENANT, tea["id"], {"default_price": inactive["id"]}),
            "invalid_value", "default_price", c.INACTIVE_PRICE)
    with pytest.raises(NotFound) as unknown:
        cat.update_product(TENANT, tea["id"], {"default_price": "price_none"})
    assert unknown.value.param == "default_price"
    with pytest.raises(NotFound) as missing:
        cat.update_product(TENANT, "prod_none", {})
    assert missing.value.param == "id"


def test_delete_product(cat: Catalog, domain: Domain) -> None:
    doc = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    priced = cat.create_product(TENANT, "stripe", {"name": "Cake"})
    price(cat, priced["id"])
    refused(lambda: cat.delete_product(TENANT, priced["id"]), "invalid_value", "id",
            c.HAS_PRICES)
    assert cat.delete_product(TENANT, doc["id"]) == doc
    with pytest.raises(NotFound) as gone:
        cat.product(TENANT, doc["id"])
    assert gone.value.param == "product"
    assert [e["object"]["id"] for e in events(domain, v.PRODUCT_DELETED)] == [doc["id"]]
    with pytest.raises(NotFound) as again:
        cat.delete_product(TENANT, doc["id"])
    assert again.value.param == "id"


def test_product_filters(cat: Catalog) -> None:
    a = cat.create_product(TENANT, "stripe", {"name": "A", "shippable": True,
                                              "url": "https://a.example"})
    b = cat.create_product(TENANT, "stripe", {"name": "B", "active": False})
    d = cat.create_product(TENANT, "stripe", {"name": "D", "shippable": False})

    def ids(**filters: Any) -> list[str]:
        return [doc["id"] for doc in cat.products(TENANT, **filters)[0]]

    assert ids() == [d["id"], b["id"], a["id"]]
    assert ids(active=True) == [d["id"], a["id"]]
    assert ids(active=False) == [b["id"]]
    assert ids(shippable=True) == [a["id"]]
    assert ids(shippable=False) == [d["id"]]
    assert ids(url="https://a.example") == [a["id"]]
    assert ids(ids=[a["id"], b["id"]]) == [b["id"], a["id"]]
    assert ids(ids=[]) == []
    assert ids(ids=[a["id"]], active=False) == []
    docs, more = cat.products(TENANT, active=True, limit=1)
    assert ([x["id"] for x in docs], more) == ([d["id"]], True)


# -- prices -----------------------------------------------------------------------------------
def test_a_new_price_stores_its_fields(cat: Catalog, domain: Domain) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    doc = price(cat, tea["id"], currency="TWD", nickname="n", lookup_key="k",
                tax_behavior="inclusive", metadata={"a": "1"})
    assert doc == {"id": doc["id"], "gateway": "stripe", "created": START, "active": True,
                   "currency": "twd", "unit_amount": 500, "unit_amount_decimal": "500",
                   "product": tea["id"], "nickname": "n", "lookup_key": "k",
                   "tax_behavior": "inclusive", "metadata": {"a": "1"}}
    assert cat.prices(TENANT, lookup_keys=["k"])[0] == [doc]
    plain = price(cat, tea["id"])
    assert (plain["tax_behavior"], plain["lookup_key"], plain["metadata"]) == (
        "unspecified", None, {})
    assert [e["object"]["id"] for e in events(domain, v.PRICE_CREATED)] == [
        doc["id"], plain["id"]]


@pytest.mark.parametrize(("text", "unit_amount", "stored"), [
    ("12.5", None, "12.5"), ("12.000", 12, "12"), ("0", 0, "0"),
    ("0.000000000001", None, "0.000000000001"), ("1E+2", 100, "100")])
def test_decimal_amounts(cat: Catalog, text: str, unit_amount: int | None,
                         stored: str) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    doc = cat.create_price(TENANT, "stripe", {"product": tea["id"], "currency": "usd",
                                              "unit_amount_decimal": text})
    assert (doc["unit_amount"], doc["unit_amount_decimal"]) == (unit_amount, stored)


@pytest.mark.parametrize("text", ["-1", "abc", "NaN", "Infinity", "0.0000000000001"])
def test_bad_decimals_are_refused(cat: Catalog, text: str) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    refused(lambda: cat.create_price(TENANT, "stripe", {
        "product": tea["id"], "currency": "usd", "unit_amount_decimal": text}),
        "invalid_value", "unit_amount_decimal", f"Invalid decimal: {text}")
    refused(lambda: cat.create_product(TENANT, "stripe", {"name": "X", "default_price_data": {
        "currency": "usd", "unit_amount_decimal": text}}),
        "invalid_value", ("default_price_data", "unit_amount_decimal"))


def test_price_rules(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    base = {"product": tea, "currency": "usd", "unit_amount": 5}

    def create(**params: Any) -> Any:
        return lambda: cat.create_price(TENANT, "stripe", {**base, **params})

    refused(create(recurring={"interval": "month"}), "not_emulated", "recurring",
            c.RECURRING_NOT_EMULATED)
    refused(create(billing_scheme="tiered"), "not_emulated", "billing_scheme")
    refused(create(custom_unit_amount={"enabled": True}), "not_emulated", "billing_scheme")
    price(cat, tea, billing_scheme="per_unit")
    error = refused(create(currency="XXX"), "unsupported_currency", "currency",
                    "Unsupported currency: xxx.")
    assert error.context["currency"] == "xxx"
    refused(create(unit_amount_decimal="5"), "conflicting_parameters", "unit_amount")
    refused(lambda: cat.create_price(TENANT, "stripe", {"product": tea, "currency": "usd"}),
            "missing_parameter", "unit_amount", "An amount is required.")
    error = refused(create(unit_amount=100_000_000), "amount_too_large", "unit_amount",
                    "Amount must be no more than 999,999.99 USD")
    assert (error.context["limit"], error.context["of"]) == (99_999_999, "maximum")
    assert price(cat, tea, unit_amount=99_999_999)["unit_amount"] == 99_999_999
    refused(lambda: cat.create_price(TENANT, "stripe", {**base, "product_data": {"name": "x"}}),
            "conflicting_parameters", "product")
    refused(lambda: cat.create_price(TENANT, "stripe", {"currency": "usd", "unit_amount": 5}),
            "missing_parameter", "product", "A product is required.")
    with pytest.raises(NotFound) as unknown:
        cat.create_price(TENANT, "stripe", {**base, "product": "prod_none"})
    assert unknown.value.param == "product"


def test_a_price_with_a_new_product(cat: Catalog) -> None:
    doc = cat.create_price(TENANT, "stripe", {"currency": "usd", "unit_amount": 5,
                                              "product_data": {"name": "Cake"}})
    product = cat.product(TENANT, doc["product"])
    assert product["name"] == "Cake"
    assert product["default_price"] is None


def test_update_price(cat: Catalog, domain: Domain) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    doc = price(cat, tea, nickname="n", metadata={"a": "1"})
    updated = cat.update_price(TENANT, doc["id"], {
        "nickname": "", "active": False, "tax_behavior": "exclusive", "lookup_key": "k",
        "metadata": {"a": ""}})
    assert (updated["nickname"], updated["active"], updated["tax_behavior"]) == (
        None, False, "exclusive")
    assert (updated["lookup_key"], updated["metadata"]) == ("k", {})
    assert cat.price(TENANT, doc["id"]) == updated
    assert cat.prices(TENANT, lookup_keys=["k"])[0] == [updated]
    [event] = events(domain, v.PRICE_UPDATED)
    assert event["previous_attributes"] == {"nickname": "n", "active": True,
                                            "tax_behavior": "unspecified", "lookup_key": None,
                                            "metadata": {"a": "1"}}
    same = cat.update_price(TENANT, doc["id"], {"tax_behavior": "exclusive"})
    assert same["tax_behavior"] == "exclusive"
    refused(lambda: cat.update_price(TENANT, doc["id"], {"tax_behavior": "inclusive"}),
            "invalid_value", "tax_behavior",
            "tax_behavior cannot be changed once it is exclusive.")
    cleared = cat.update_price(TENANT, doc["id"], {"lookup_key": ""})
    assert cleared["lookup_key"] is None
    assert cat.prices(TENANT, lookup_keys=["k"])[0] == []
    with pytest.raises(NotFound) as missing:
        cat.update_price(TENANT, "price_none", {})
    assert missing.value.param == "price"


def test_lookup_keys_move_only_when_transferred(cat: Catalog, domain: Domain) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    first = price(cat, tea, lookup_key="k")
    refused(lambda: price(cat, tea, lookup_key="k"), "invalid_value", "lookup_key",
            f"A price (`{first['id']}`) already uses that lookup key.")
    second = price(cat, tea)
    refused(lambda: cat.update_price(TENANT, second["id"], {"lookup_key": "k"}),
            "invalid_value", "lookup_key")
    assert cat.update_price(TENANT, first["id"], {"lookup_key": "k"})["lookup_key"] == "k"
    moved = cat.update_price(TENANT, second["id"], {"lookup_key": "k",
                                                    "transfer_lookup_key": True})
    assert moved["lookup_key"] == "k"
    assert cat.price(TENANT, first["id"])["lookup_key"] is None
    assert cat.prices(TENANT, lookup_keys=["k"])[0] == [cat.price(TENANT, second["id"])]
    lost = [e for e in events(domain, v.PRICE_UPDATED) if e["object"]["id"] == first["id"]]
    assert lost[-1]["previous_attributes"] == {"lookup_key": "k"}
    assert lost[-1]["gateway"] == "stripe"
    third = price(cat, tea, lookup_key="k", transfer_lookup_key=True)
    assert cat.prices(TENANT, lookup_keys=["k"])[0] == [third]


def test_price_filters(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    cake = cat.create_product(TENANT, "stripe", {"name": "Cake"})["id"]
    a = price(cat, tea, lookup_key="a")
    b = price(cat, cake, currency="eur", active=False)
    d = price(cat, tea, lookup_key="d")

    def ids(**filters: Any) -> list[str]:
        return [doc["id"] for doc in cat.prices(TENANT, **filters)[0]]

    assert ids() == [d["id"], b["id"], a["id"]]
    assert ids(active=False) == [b["id"]]
    assert ids(active=True) == [d["id"], a["id"]]
    assert ids(currency="EUR") == [b["id"]]
    assert ids(product=tea) == [d["id"], a["id"]]
    assert ids(lookup_keys=["a", "d"]) == [d["id"], a["id"]]
    assert ids(lookup_keys=[]) == []
    assert ids(price_type="one_time") == ids()
    refused(lambda: cat.prices(TENANT, price_type="recurring"), "not_emulated", "type")


def test_filtered_pages_follow_cursors_and_created_bounds(cat: Catalog,
                                                          wall: FakeWall) -> None:
    made = []
    for n in range(5):
        made.append(cat.create_product(TENANT, "stripe", {"name": str(n)})["id"])
        wall.now += 10
    newest = list(reversed(made))  # created START+40 ... START

    def page(**paging: Any) -> tuple[list[str], bool]:
        docs, more = cat.products(TENANT, active=True, **paging)
        return [d["id"] for d in docs], more

    assert page(limit=2) == (newest[:2], True)
    assert page(limit=5) == (newest, False)
    assert page(limit=2, starting_after=newest[1]) == (newest[2:4], True)
    assert page(limit=2, starting_after=newest[3]) == (newest[4:], False)
    assert page(limit=2, ending_before=newest[3]) == (newest[1:3], True)
    assert page(limit=3, ending_before=newest[3]) == (newest[0:3], False)
    assert page(created={"gt": START + 10}) == (newest[:3], False)
    assert page(created={"gte": START + 10}) == (newest[:4], False)
    assert page(created={"lt": START + 10}) == (newest[4:], False)
    assert page(created={"lte": START + 10}) == (newest[3:], False)
    assert page(created={"gt": START, "lt": START + 40}) == (newest[1:4], False)
    refused(lambda: cat.products(TENANT, active=True, limit=0), "out_of_range", "limit")
    assert cat.products("acct_other", active=True) == ([], False)


@pytest.mark.parametrize(("bounds", "passes"), [
    ({}, True), ({"gt": 9}, True), ({"gt": 10}, False), ({"gte": 10}, True),
    ({"gte": 11}, False), ({"lt": 11}, True), ({"lt": 10}, False), ({"lte": 10}, True),
    ({"lte": 9}, False)])
def test_within(bounds: dict[str, int], passes: bool) -> None:
    assert c._within(10, bounds) is passes


# -- checkout line items ----------------------------------------------------------------------
def test_line_items_resolve_to_price_snapshots(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea", "description": "green"})
    doc = price(cat, tea["id"])
    params = {"mode": "payment", "line_items": [
        {"price": doc["id"], "quantity": 2}, {"price_data": {"currency": "usd"}}]}
    resolved = cat.resolve_line_items(TENANT, params)
    assert resolved["mode"] == "payment"
    assert resolved["line_items"] == [
        {"price": {**doc, "product_name": "Tea", "product_description": "green"},
         "quantity": 2}, {"price_data": {"currency": "usd"}}]
    assert params["line_items"][0]["price"] == doc["id"]
    assert cat.resolve_line_items(TENANT, {"mode": "setup"}) == {"mode": "setup"}
    assert cat.resolve_line_items(TENANT, {"line_items": []}) == {"line_items": []}


def test_line_items_that_cannot_be_sold(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    doc = price(cat, tea["id"])

    def resolve(*items: dict[str, Any]) -> Any:
        return lambda: cat.resolve_line_items(TENANT, {"line_items": list(items)})

    ok = {"price": doc["id"], "quantity": 1}
    refused(resolve(ok, {"price": doc["id"], "quantity": 1, "adjustable_quantity": {}}),
            "not_emulated", ("line_items", 1, "adjustable_quantity"))
    refused(resolve(ok, {"price": doc["id"], "price_data": {"currency": "usd"}}),
            "conflicting_parameters",
            ("line_items", 1, "price"))
    refused(resolve(ok, {"price": doc["id"]}), "invalid_value", ("line_items", 1),
            "Quantity is required. Add `quantity` to `line_items[1]`")
    with pytest.raises(NotFound) as unknown:
        resolve(ok, {"price": "price_none", "quantity": 1})()
    assert unknown.value.param == ("line_items", 1, "price")
    inactive = price(cat, tea["id"], active=False)
    refused(resolve({"price": inactive["id"], "quantity": 1}), "invalid_value",
            ("line_items", 0, "price"), c.INACTIVE_PRICE)
    fractional = cat.create_price(TENANT, "stripe", {"product": tea["id"], "currency": "usd",
                                                     "unit_amount_decimal": "1.5"})
    refused(resolve({"price": fractional["id"], "quantity": 1}), "not_emulated",
            ("line_items", 0, "price"))
    cat.update_product(TENANT, tea["id"], {"active": False})
    refused(resolve(ok), "invalid_value", ("line_items", 0, "price"),
            f"Price `{doc['id']}` is not available to be purchased because its product is "
            "not active.")


def test_every_event_records_the_request_behind_it(cat: Catalog, domain: Domain) -> None:
    from paylab.simulator.core.origin import Origin
    asked = Origin(request_id="req_1", idempotency_key="key_1")
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea", "default_price_data": {
        "currency": "usd", "unit_amount": 5, "lookup_key": "k"}}, origin=asked)
    cat.update_product(TENANT, tea["id"], {"name": "T"}, origin=asked)
    made = cat.create_price(TENANT, "stripe", {"currency": "usd", "unit_amount": 5,
                                               "product_data": {"name": "Cake"}},
                            origin=asked)
    cat.update_price(TENANT, made["id"], {"lookup_key": "k", "transfer_lookup_key": True},
                     origin=asked)
    bare = cat.create_product(TENANT, "stripe", {"name": "Bare"}, origin=asked)
    cat.delete_product(TENANT, bare["id"], origin=asked)
    docs, _ = domain.events.page(TENANT, limit=100)
    assert {e["type"] for e in docs} == {v.PRODUCT_CREATED, v.PRODUCT_UPDATED,
                                         v.PRODUCT_DELETED, v.PRICE_CREATED, v.PRICE_UPDATED}
    assert len([e for e in docs if e["type"] == v.PRICE_UPDATED]) == 2
    for event in docs:
        assert event["request"] == {"id": "req_1", "idempotency_key": "key_1"}, event["type"]
        assert event["gateway"] == "stripe", event["type"]


def test_unfiltered_lists_are_the_tenants_pages(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    cake = cat.create_product(TENANT, "stripe", {"name": "Cake"})
    older, newer = price(cat, tea["id"]), price(cat, cake["id"])
    assert cat.products(TENANT, limit=1) == ([cake], True)
    assert cat.prices(TENANT, limit=1) == ([newer], True)
    assert cat.prices(TENANT, active=True, limit=1) == ([newer], True)
    assert cat.prices(TENANT, product=tea["id"], limit=1) == ([older], False)
    assert cat.products("acct_other") == ([], False)
    assert cat.prices("acct_other") == ([], False)
    assert cat.prices("acct_other", active=True) == ([], False)


def test_a_filtered_page_holds_ten_by_default(cat: Catalog) -> None:
    for n in range(11):
        cat.create_product(TENANT, "stripe", {"name": str(n)})
    docs, more = cat.products(TENANT, active=True)
    assert (len(docs), more) == (10, True)


def test_filtered_pages_check_their_cursors(cat: Catalog) -> None:
    made = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    with pytest.raises(NotFound):
        cat.products(TENANT, active=True, ending_before="prod_none")
    with pytest.raises(NotFound):
        cat.products(TENANT, active=True, starting_after="prod_none")
    refused(lambda: cat.products(TENANT, active=True, starting_after=made["id"],
                                 ending_before=made["id"]),
            "conflicting_parameters", "ending_before")


def test_a_lookup_key_set_by_update_is_held(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    first = price(cat, tea)
    cat.update_price(TENANT, first["id"], {"lookup_key": "k"})
    refused(lambda: price(cat, tea, lookup_key="k"), "invalid_value", "lookup_key")
    cat.update_price(TENANT, first["id"], {"lookup_key": ""})
    assert price(cat, tea, lookup_key="k")["lookup_key"] == "k"


def test_more_messages(cat: Catalog) -> None:
    refused(lambda: cat.prices(TENANT, price_type="recurring"), "not_emulated", "type",
            c.RECURRING_NOT_EMULATED)
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    fractional = cat.create_price(TENANT, "stripe", {"product": tea["id"], "currency": "usd",
                                                     "unit_amount_decimal": "1.5"})
    refused(lambda: cat.resolve_line_items(TENANT, {"line_items": [
        {"price": fractional["id"], "quantity": 1}]}), "not_emulated",
        ("line_items", 0, "price"), "A price with fractional minor units "
        "(unit_amount_decimal) cannot be sold in a checkout here.")
    refused(lambda: cat.resolve_line_items(TENANT, {"line_items": [
        {"price": fractional["id"], "quantity": 1, "adjustable_quantity": {"enabled": True}}]}),
        "not_emulated", ("line_items", 0, "adjustable_quantity"),
        "Adjustable quantities are not emulated: the shopper cannot change a line item's "
        "quantity here.")


def test_a_price_id_and_the_price_parameter(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})
    doc = price(cat, tea["id"])
    assert doc["id"].startswith("price_") and len(doc["id"]) == len("price_") + 24
    with pytest.raises(NotFound) as caught:
        cat.price(TENANT, "price_none")
    assert caught.value.param == "price"


def test_an_empty_string_restores_a_fields_own_empty_value(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea", "images": ["https://x.example/a"],
                                                "marketing_features": [{"name": "f"}]})
    cleared = cat.update_product(TENANT, tea["id"], {"images": "", "marketing_features": ""})
    assert (cleared["images"], cleared["marketing_features"]) == ([], [])
    doc = price(cat, tea["id"], tax_behavior="inclusive")
    assert cat.update_price(TENANT, doc["id"], {"tax_behavior": ""})["tax_behavior"] == (
        "unspecified")


def test_a_transferred_lookup_key_leaves_no_trace_on_its_old_price(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    first = price(cat, tea, lookup_key="k")
    second = price(cat, tea, lookup_key="k", transfer_lookup_key=True)
    cat.update_price(TENANT, second["id"], {"lookup_key": "other"})
    assert cat.price(TENANT, first["id"])["lookup_key"] is None
    assert price(cat, tea, lookup_key="k")["lookup_key"] == "k"  # nobody holds it now


def test_price_rule_messages_and_names(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    base = {"product": tea, "currency": "usd"}
    refused(lambda: cat.create_price(TENANT, "stripe", {**base, "unit_amount": 5,
                                                        "billing_scheme": "tiered"}),
            "not_emulated", "billing_scheme",
            "Tiered prices and customer-chosen amounts (custom_unit_amount) are not "
            "emulated: a price here is one unit_amount per unit.")
    both = refused(lambda: cat.create_price(TENANT, "stripe", {
        **base, "unit_amount": 5, "unit_amount_decimal": "5"}), "conflicting_parameters",
        "unit_amount", "unit_amount and unit_amount_decimal exclude each other.")
    assert both.context["names"] == ("unit_amount", "unit_amount_decimal")
    missing = refused(lambda: cat.create_price(TENANT, "stripe", base), "missing_parameter",
                      "unit_amount")
    assert missing.context["names"] == ("unit_amount",)
    data = refused(lambda: cat.create_price(TENANT, "stripe", {
        **base, "unit_amount": 5, "product_data": {"name": "x"}}), "conflicting_parameters",
        "product", "product and product_data exclude each other.")
    assert data.context["names"] == ("product", "product_data")
    none = refused(lambda: cat.create_price(TENANT, "stripe", {"currency": "usd",
                                                               "unit_amount": 5}),
                   "missing_parameter", "product")
    assert none.context["names"] == ("product", "product_data")


def test_an_empty_lookup_key_holds_nothing(cat: Catalog) -> None:
    tea = cat.create_product(TENANT, "stripe", {"name": "Tea"})["id"]
    price(cat, tea, lookup_key="")
    assert price(cat, tea, lookup_key="")["product"] == tea
