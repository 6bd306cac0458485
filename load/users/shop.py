"""Shoppers driving the merchant shop: its pages, its cart, and checkout through the
gateway's hosted page, ending when the shop says the order is paid (after the webhook).

Works against any shop that follows the selectors in the README (product ids from
`data-product` on the home page, `/cart/add`, `/checkout`, `/orders/<id>/status`)."""

from __future__ import annotations

import random
import re
import time

import gevent
from locust import FastHttpUser, between, constant, task
from paylab.load.common import settings
from paylab.load.common.base import FORM, form, report
from paylab.load.common.data import shopper

PRODUCT = re.compile(r'data-product="([^"]+)"')
ORDER = re.compile(r"/orders/([^/?#]+)")
#: How long a paid order may take to show as paid (the webhook's round trip).
PAID_WITHIN_S = 15.0


class ShopUser(FastHttpUser):
    """The steps both shop users take, against the merchant's URL."""

    abstract = True
    host = settings.merchant_url()
    products: list[str]

    def browse(self) -> None:
        """The home page, which lists the products."""
        with self.client.get("/", name="shop /", catch_response=True) as resp:
            found = PRODUCT.findall(resp.text or "")
            if resp.status_code != 200 or not found:
                resp.failure(f"HTTP {resp.status_code} home page without products")
                return
            self.products = sorted(set(found))

    def on_start(self) -> None:
        """Start from the home page, as a shopper does (and learn the product ids)."""
        self.products = []
        self.browse()

    def add_to_cart(self) -> bool:
        """One product into the cart (the shop redirects to the cart page)."""
        if not self.products:
            self.browse()
        if not self.products:
            return False
        with self.client.post("/cart/add", name="shop /cart/add",
                              data=form({"product": random.choice(self.products)}),
                              headers=FORM, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code} adding to the cart")
                return False
        return True

    def checkout(self) -> None:
        """Check out, pay on the hosted page, and wait until the shop has the payment."""
        if not self.add_to_cart():
            return
        with self.client.post("/checkout", name="shop /checkout", headers=FORM,
                              allow_redirects=False, catch_response=True) as resp:
            hosted = resp.headers.get("Location", "")
            if resp.status_code != 303 or "/checkout/" not in hosted:
                resp.failure(f"HTTP {resp.status_code} checkout did not open a hosted page")
                return
        person = shopper()
        with self.client.post(hosted, name="hosted checkout (pay)", headers=FORM,
                              data=form({"email": person["email"], "name": person["name"],
                                         "cardnumber": "4242424242424242",
                                         "expiry": "12/34", "cvc": "123"}),
                              allow_redirects=False, catch_response=True) as resp:
            found = ORDER.search(resp.headers.get("Location", ""))
            if resp.status_code != 303 or found is None:
                resp.failure(f"HTTP {resp.status_code} hosted page did not return to the shop")
                return
        self._until_paid(found.group(1))

    def _until_paid(self, order_id: str) -> None:
        started = time.perf_counter()
        status = "?"
        while time.perf_counter() - started < PAID_WITHIN_S:
            resp = self.client.get(f"/orders/{order_id}/status",
                                   name="shop /orders/[id]/status")
            status = resp.json().get("status", "?") if resp.status_code == 200 else "?"
            if status == "paid":
                break
            gevent.sleep(0.1)
        error = None if status == "paid" else TimeoutError(
            f"order still {status} after {PAID_WITHIN_S:g} s")
        report(self.environment, "shop order paid (webhook)", started, error)


class ShopCheckoutUser(ShopUser):
    """Straight to checkout through the shop's API, again and again."""

    weight = 1
    wait_time = constant(0)

    @task
    def buy(self) -> None:
        self.checkout()


class ShopperUser(ShopUser):
    """A person shopping: mostly looking, sometimes buying, with pauses to think."""

    weight = 2
    wait_time = between(0.2, 1.0)

    @task(6)
    def look(self) -> None:
        self.browse()

    @task(3)
    def fill_cart(self) -> None:
        if self.add_to_cart():
            self.client.get("/cart", name="shop /cart")

    @task(1)
    def buy(self) -> None:
        self.checkout()
