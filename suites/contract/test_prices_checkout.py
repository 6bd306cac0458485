"""Products, one-time Prices and a price-based Checkout through the official SDK, written
the way Stripe's one-time-payment sample is: look the Price up, sell it by id."""

from __future__ import annotations

import pytest
import stripe

SUCCESS = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
CARD = {"email": "mei@example.com", "cardnumber": "4242 4242 4242 4242", "expiry": "12 / 34",
        "cvc": "123", "name": "Mei Lin"}


def test_products_and_prices_through_the_sdk(stripe_client: stripe.StripeClient) -> None:
    c = stripe_client.v1
    tea = c.products.create(params={
        "name": "Alishan oolong", "description": "50 g", "metadata": {"sku": "t50"},
        "default_price_data": {"currency": "usd", "unit_amount": 1850}})
    assert (tea.object, tea.active, tea.name, tea.metadata["sku"]) == (
        "product", True, "Alishan oolong", "t50")
    default = c.prices.retrieve(tea.default_price, params={"expand": ["product"]})
    assert (default.type, default.unit_amount, default.product.name) == (
        "one_time", 1850, "Alishan oolong")
    yen = c.prices.create(params={"product": tea.id, "currency": "jpy", "unit_amount": 2800,
                                  "lookup_key": "tea_jpy", "nickname": "Japan"})
    assert (yen.currency, yen.unit_amount, yen.lookup_key, yen.product) == (
        "jpy", 2800, "tea_jpy", tea.id)
    assert [p.id for p in c.prices.list(params={"lookup_keys": ["tea_jpy"]}).data] == [yen.id]
    assert [p.id for p in c.prices.list(params={"product": tea.id}).data] == [yen.id,
                                                                           default.id]
    yen = c.prices.update(yen.id, params={"active": False, "metadata": {"m": "1"}})
    assert (yen.active, yen.metadata["m"]) == (False, "1")
    assert [p.id for p in c.prices.list(params={"active": False}).data] == [yen.id]
    tea = c.products.update(tea.id, params={"description": "100 g", "shippable": True})
    assert (c.products.retrieve(tea.id).description, tea.shippable) == ("100 g", True)
    assert tea.id in [p.id for p in c.products.list(params={"shippable": True}).data]
    bare = c.products.create(params={"name": "Gift wrap"})
    assert c.products.delete(bare.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as caught:
        c.products.delete(tea.id)
    assert "user-created prices" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as missing:
        c.prices.create(params={"product": "prod_DoesNotExist", "currency": "usd",
                                "unit_amount": 100})
    assert (missing.value.code, missing.value.param) == ("resource_missing", "product")
    assert missing.value.user_message == "No such product: 'prod_DoesNotExist'"
    with pytest.raises(stripe.InvalidRequestError) as recurring:
        c.prices.create(params={"product": tea.id, "currency": "usd", "unit_amount": 900,
                                "recurring": {"interval": "month"}})
    assert recurring.value.param == "recurring" and "not emulated" in recurring.value.user_message
    types = [e.type for e in c.events.list(params={"limit": 100}).data]
    assert {"product.created", "product.updated", "product.deleted", "price.created",
            "price.updated"} <= set(types)


def test_the_one_time_payment_sample_sells_a_price_by_id(stripe_client: stripe.StripeClient,
                                                        http) -> None:
    c = stripe_client.v1
    made = c.prices.create(params={"currency": "usd", "unit_amount": 1850,
                                   "product_data": {"name": "Alishan oolong"}})
    price = c.prices.retrieve(made.id)  # the sample shows the price before selling it
    session = c.checkout.sessions.create(params={
        "mode": "payment", "success_url": SUCCESS, "cancel_url": "https://shop.example/",
        "line_items": [{"price": price.id, "quantity": 2}]})
    assert (session.amount_total, session.currency, session.status) == (3700, "usd", "open")
    paid = http.post(session.url, data=CARD, allow_redirects=False, timeout=10)
    assert paid.status_code == 303, paid.text
    done = c.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    item = c.checkout.sessions.line_items.list(session.id).data[0]
    assert (item.quantity, item.amount_total, item.description) == (2, 3700, "Alishan oolong")
    assert (item.price.id, item.price.product, item.price.unit_amount) == (
        price.id, price.product, 1850)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        c.checkout.sessions.create(params={"mode": "payment", "success_url": SUCCESS,
                                           "line_items": [{"price": price.id}]})
    assert caught.value.param == "line_items[0]"
    assert caught.value.user_message == "Quantity is required. Add `quantity` to `line_items[0]`"
