"""Products, one-time Prices and price-based Checkout through an in-process simulator:
creation rules, updates, filtered lists, lookup keys, deletion, events and Stripe's errors."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, start

SUCCESS = "https://shop.example/ok?session={CHECKOUT_SESSION_ID}"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def ok(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, answer.body
    return answer.body


async def product(sim: Sim, **params: Any) -> dict[str, Any]:
    return await ok(await sim.stripe("POST", "/v1/products", {"name": "Oolong", **params}))


async def price(sim: Sim, **params: Any) -> dict[str, Any]:
    return await ok(await sim.stripe("POST", "/v1/prices", {"currency": "usd", **params}))


def refused(answer: Answer, status: int, code: str, param: str) -> str:
    assert answer.status == status, answer.body
    assert (answer.error["type"], answer.error["code"], answer.error.get("param")) == (
        "invalid_request_error", code, param)
    return answer.error["message"]


async def test_a_product_with_a_custom_id_and_a_default_price(sim: Sim) -> None:
    made = await product(sim, id="tea-50g", description="50 g", images=["https://x.example/t.png"],
                         shippable="true", unit_label="bag", statement_descriptor="PAYLAB TEA",
                         metadata={"sku": "t1"}, url="https://shop.example/tea",
                         marketing_features=[{"name": "Hand picked"}],
                         default_price_data={"currency": "jpy", "unit_amount": 1500})
    assert (made["id"], made["object"], made["active"], made["type"]) == (
        "tea-50g", "product", True, "service")
    assert (made["shippable"], made["unit_label"], made["images"], made["livemode"]) == (
        True, "bag", ["https://x.example/t.png"], False)
    assert made["marketing_features"] == [{"name": "Hand picked"}]
    default = await ok(await sim.stripe("GET", f"/v1/prices/{made['default_price']}",
                                        {"expand": ["product"]}))
    assert (default["unit_amount"], default["currency"], default["type"]) == (1500, "jpy",
                                                                             "one_time")
    assert default["product"]["id"] == "tea-50g" and default["recurring"] is None
    assert await sim.event_types() == ["product.created", "price.created"]
    events = await sim.events()
    assert events[1]["data"]["object"]["default_price"] == made["default_price"]
    again = await sim.stripe("POST", "/v1/products", {"name": "x", "id": "tea-50g"})
    assert refused(again, 400, "parameter_invalid_string", "id") == "Product already exists."
    other = await sim.stripe("GET", "/v1/products/tea-50g", key=OTHER_KEY)
    assert refused(other, 404, "resource_missing", "id") == "No such product: 'tea-50g'"


async def test_updating_a_product(sim: Sim) -> None:
    made = await product(sim, description="old", url="https://x.example", metadata={"a": "1"})
    mine = await price(sim, product=made["id"], unit_amount=900)
    changed = await ok(await sim.stripe("POST", f"/v1/products/{made['id']}", {
        "name": "Green", "description": "", "metadata": {"a": "", "b": "2"},
        "default_price": mine["id"], "active": "false"}))
    assert (changed["name"], changed["description"], changed["metadata"]) == ("Green", None,
                                                                            {"b": "2"})
    assert (changed["default_price"], changed["active"], changed["url"]) == (
        mine["id"], False, "https://x.example")
    updated = (await sim.events(type="product.updated"))[0]["data"]
    assert updated["previous_attributes"]["name"] == "Oolong"
    stranger = await price(sim, product_data={"name": "Other"}, unit_amount=100)
    answer = await sim.stripe("POST", f"/v1/products/{made['id']}",
                              {"default_price": stranger["id"]})
    refused(answer, 400, "parameter_invalid_string", "default_price")
    missing = await sim.stripe("POST", "/v1/products/prod_nope", {"name": "x"})
    refused(missing, 404, "resource_missing", "id")


async def test_a_product_with_prices_cannot_be_deleted(sim: Sim) -> None:
    bare, sold = await product(sim), await product(sim, name="Sold")
    await price(sim, product=sold["id"], unit_amount=500)
    gone = await ok(await sim.stripe("DELETE", f"/v1/products/{bare['id']}"))
    assert gone == {"id": bare["id"], "object": "product", "deleted": True}
    assert (await sim.stripe("GET", f"/v1/products/{bare['id']}")).status == 404
    kept = await sim.stripe("DELETE", f"/v1/products/{sold['id']}")
    assert refused(kept, 400, "parameter_invalid_string", "id") == (
        "This product cannot be deleted because it has one or more user-created prices.")
    assert (await sim.stripe("GET", f"/v1/products/{sold['id']}")).status == 200
    assert "product.deleted" in await sim.event_types()


async def test_price_creation_rules(sim: Sim) -> None:
    made = await product(sim)
    inline = await price(sim, product_data={"name": "Inline", "id": "inline-1"},
                         unit_amount_decimal="1250", nickname="n", tax_behavior="exclusive")
    assert (inline["product"], inline["unit_amount"], inline["unit_amount_decimal"]) == (
        "inline-1", 1250, "1250")
    fraction = await price(sim, product=made["id"], unit_amount_decimal="10.5")
    assert (fraction["unit_amount"], fraction["unit_amount_decimal"]) == (None, "10.5")
    cases = [
        ({"product": "prod_x", "unit_amount": 1}, 404, "resource_missing", "product",
         "No such product: 'prod_x'"),
        ({"product": made["id"], "product_data": {"name": "y"}, "unit_amount": 1}, 400,
         "parameter_unknown", "product",
         "You may only specify one of these parameters: product, product_data."),
        ({"unit_amount": 1}, 400, "parameter_missing", "product",
         "One of the following params should be provided for this request: product or "
         "product_data."),
        ({"product": made["id"]}, 400, "parameter_missing", "unit_amount",
         "Missing required param: unit_amount."),
        ({"product": made["id"], "unit_amount": 1, "recurring": {"interval": "month"}}, 400,
         "not_emulated", "recurring", None),
        ({"product": made["id"], "unit_amount": 1, "currency": "xyz"}, 400,
         "parameter_invalid_string", "currency", None),
        ({"product": made["id"], "unit_amount_decimal": "100000000"}, 400,
         "amount_too_large", "unit_amount", "Amount must be no more than 999,999.99 USD"),
    ]
    for params, status, code, param, message in cases:
        said = refused(await sim.stripe("POST", "/v1/prices", {"currency": "usd", **params}),
                       status, code, param)
        assert message is None or said == message, said
    assert "subscriptions" in refused(await sim.stripe("POST", "/v1/prices", {
        "currency": "usd", "product": made["id"], "unit_amount": 1,
        "recurring": {"interval": "month"}}), 400, "not_emulated", "recurring")
    prices = await ok(await sim.stripe("GET", "/v1/prices", {"limit": 100}))
    assert len(prices["data"]) == 2, "a refused price leaves nothing behind"


async def test_lookup_keys_are_unique_unless_transferred(sim: Sim) -> None:
    made = await product(sim)
    first = await price(sim, product=made["id"], unit_amount=900, lookup_key="standard")
    clash = await sim.stripe("POST", "/v1/prices", {"currency": "usd", "product": made["id"],
                                                   "unit_amount": 1000, "lookup_key": "standard"})
    assert refused(clash, 400, "parameter_invalid_string", "lookup_key") == (
        f"A price (`{first['id']}`) already uses that lookup key.")
    second = await price(sim, product=made["id"], unit_amount=1000, lookup_key="standard",
                         transfer_lookup_key="true")
    found = await ok(await sim.stripe("GET", "/v1/prices", {"lookup_keys": ["standard"]}))
    assert [p["id"] for p in found["data"]] == [second["id"]]
    old = await ok(await sim.stripe("GET", f"/v1/prices/{first['id']}"))
    assert old["lookup_key"] is None
    moved = await ok(await sim.stripe("POST", f"/v1/prices/{first['id']}", {
        "lookup_key": "standard", "transfer_lookup_key": "true", "nickname": "back",
        "metadata": {"k": "v"}, "active": "false", "tax_behavior": "inclusive"}))
    assert (moved["lookup_key"], moved["nickname"], moved["active"], moved["metadata"]) == (
        "standard", "back", False, {"k": "v"})
    stuck = await sim.stripe("POST", f"/v1/prices/{first['id']}", {"tax_behavior": "exclusive"})
    refused(stuck, 400, "parameter_invalid_string", "tax_behavior")
    assert (await sim.event_types()).count("price.updated") == 3


async def test_filtered_lists_page_like_any_other(sim: Sim) -> None:
    made = [await product(sim, name=f"P{i}", shippable="true" if i % 2 else "false")
            for i in range(5)]
    await ok(await sim.stripe("POST", f"/v1/products/{made[3]['id']}", {"active": "false"}))
    ship = await ok(await sim.stripe("GET", "/v1/products", {"shippable": "true", "limit": 1}))
    assert [p["name"] for p in ship["data"]] == ["P3"] and ship["has_more"]
    after = await ok(await sim.stripe("GET", "/v1/products", {
        "shippable": "true", "starting_after": ship["data"][0]["id"]}))
    assert [p["name"] for p in after["data"]] == ["P1"] and not after["has_more"]
    before = await ok(await sim.stripe("GET", "/v1/products", {
        "active": "true", "ending_before": made[0]["id"], "limit": 2}))
    assert [p["name"] for p in before["data"]] == ["P2", "P1"] and before["has_more"]
    ids = await ok(await sim.stripe("GET", "/v1/products", {"ids": [made[0]["id"],
                                                                    made[4]["id"]]}))
    assert [p["name"] for p in ids["data"]] == ["P4", "P0"]
    await price(sim, product=made[0]["id"], unit_amount=100)
    await price(sim, product=made[1]["id"], unit_amount=200, currency="EUR")
    eur = await ok(await sim.stripe("GET", "/v1/prices", {"currency": "eur"}))
    mine = await ok(await sim.stripe("GET", "/v1/prices", {"product": made[0]["id"],
                                                           "type": "one_time"}))
    assert [p["unit_amount"] for p in eur["data"] + mine["data"]] == [200, 100]
    recurring = await sim.stripe("GET", "/v1/prices", {"type": "recurring"})
    refused(recurring, 400, "not_emulated", "type")
    bad = await sim.stripe("GET", "/v1/products", {"active": "true", "starting_after": "nope"})
    refused(bad, 404, "resource_missing", "starting_after")
    assert (await sim.control("POST", "/clock/advance", {"seconds": 100})).status == 200
    later = await product(sim, name="Later", shippable="true")
    recent = await ok(await sim.stripe("GET", "/v1/products", {
        "shippable": "true", "created": {"gt": made[4]["created"]}}))
    assert [p["id"] for p in recent["data"]] == [later["id"]]


async def checkout(sim: Sim, *items: dict[str, Any], key: str | None = None,
                   **extra: Any) -> Answer:
    return await sim.stripe("POST", "/v1/checkout/sessions", {
        "mode": "payment", "success_url": SUCCESS, "line_items": list(items), **extra}, key=key)


async def test_a_checkout_sells_catalog_prices(sim: Sim) -> None:
    tea = await product(sim, name="Alishan oolong", description="50 g")
    unit = await price(sim, product=tea["id"], unit_amount=900)
    session = await ok(await checkout(sim, {"price": unit["id"], "quantity": 3}, {
        "price_data": {"currency": "usd", "unit_amount": 450, "product_data": {"name": "Cup"}},
        "quantity": 1}, expand=["line_items"]))
    assert (session["amount_subtotal"], session["amount_total"], session["currency"]) == (
        3150, 3150, "usd")
    first, second = session["line_items"]["data"]
    assert (first["description"], first["quantity"], first["amount_total"]) == (
        "Alishan oolong", 3, 2700)
    assert first["price"] == unit
    assert second["price"]["id"].startswith("price_") and not second["price"]["active"]
    assert second["price"]["product"].startswith("prod_") and second["price"]["unit_amount"] == 450
    page = await sim.page("GET", session["url"])
    assert "Alishan oolong" in page.text and "$27.00" in page.text and "$31.50" in page.text
    listed = await ok(await sim.stripe("GET", f"/v1/checkout/sessions/{session['id']}/line_items"))
    assert listed["data"] == session["line_items"]["data"]


async def test_price_based_line_items_are_checked(sim: Sim) -> None:
    tea = await product(sim)
    unit = await price(sim, product=tea["id"], unit_amount=900)
    off = await price(sim, product=tea["id"], unit_amount=900, active="false")
    odd = await price(sim, product=tea["id"], unit_amount_decimal="0.5")
    inline = {"currency": "usd", "unit_amount": 450, "product_data": {"name": "Cup"}}
    cases = [
        ({"price": unit["id"]}, 400, "parameter_invalid_string", "line_items[0]",
         "Quantity is required. Add `quantity` to `line_items[0]`"),
        ({"price": off["id"], "quantity": 1}, 400, "parameter_invalid_string",
         "line_items[0][price]",
         "The price specified is inactive. This field only accepts active prices."),
        ({"price": "price_nope", "quantity": 1}, 404, "resource_missing",
         "line_items[0][price]", "No such price: 'price_nope'"),
        ({"price": unit["id"], "price_data": inline, "quantity": 1}, 400, "parameter_unknown",
         "line_items[0][price]", "You may only specify one of these parameters: price, "
         "price_data."),
        ({"price": unit["id"], "quantity": 1, "adjustable_quantity": {"enabled": "true"}}, 400,
         "not_emulated", "line_items[0][adjustable_quantity]", None),
        ({"price": odd["id"], "quantity": 1}, 400, "not_emulated", "line_items[0][price]", None),
    ]
    for item, status, code, param, message in cases:
        said = refused(await checkout(sim, item), status, code, param)
        assert message is None or said == message, said
    await ok(await sim.stripe("POST", f"/v1/products/{tea['id']}", {"active": "false"}))
    archived = refused(await checkout(sim, {"price": unit["id"], "quantity": 1}), 400,
                       "parameter_invalid_string", "line_items[0][price]")
    assert archived == (f"Price `{unit['id']}` is not available to be purchased because its "
                        "product is not active.")
    other = await checkout(sim, {"price": unit["id"], "quantity": 1}, key=OTHER_KEY)
    assert other.status == 404, "another tenant's price is no price"
    listed = await ok(await sim.stripe("GET", "/v1/checkout/sessions"))
    assert listed["data"] == [], "a refused checkout leaves nothing behind"


async def test_a_product_expands_its_default_price_and_a_price_its_product(sim: Sim) -> None:
    made = await product(sim, name="Oolong",
                         default_price_data={"currency": "usd", "unit_amount": 900})
    shown = await ok(await sim.stripe("GET", f"/v1/products/{made['id']}",
                                      {"expand": ["default_price"]}))
    assert shown["default_price"]["object"] == "price"
    assert shown["default_price"]["unit_amount"] == 900
    back = await ok(await sim.stripe("GET", f"/v1/prices/{made['default_price']}",
                                     {"expand": ["product.default_price"]}))
    assert back["product"]["default_price"]["id"] == made["default_price"]
