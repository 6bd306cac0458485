"""The shop's pages: products, cart, checkout, and the order page."""

from __future__ import annotations

import logging
import re
import secrets
import urllib.parse
from dataclasses import dataclass

import stripe
from aiohttp import web
from paylab.shop.catalog import Catalog, price_text
from paylab.shop.db import ShopDB
from paylab.shop.formpost import CHOICES, Rails, describe
from paylab.shop.gateway import Gateway
from paylab.shop.ui import Safe, page, part
from paylab.shop.wallets import flows

log = logging.getLogger("paylab.shop")
CART_COOKIE = "paylab_cart"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
#: What the shop itself puts in the cart cookie (secrets.token_urlsafe): anything else is
#: someone else's bytes, and this browser simply has no cart yet.
_CART_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
STATUS_TEXT = {"pending": "Waiting for payment confirmation…", "paid": "Paid",
               "expired": "Checkout expired", "canceled": "Canceled"}


@dataclass
class Shop:
    """What the handlers share."""

    db: ShopDB
    catalog: Catalog
    gateway: Gateway
    rails: Rails
    wallets: flows.Wallets


def picture(color: str) -> str:
    """A tea-cup illustration in the product's colour, as a data URI (CSP allows data:)."""
    tint = color if _HEX.match(color) else "#888888"
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 320 180'>"
           f"<rect width='320' height='180' fill='{tint}' opacity='0.18'/>"
           f"<circle cx='250' cy='40' r='60' fill='{tint}' opacity='0.25'/>"
           f"<path d='M105 70h90v38a45 45 0 0 1-90 0z' fill='{tint}'/>"
           f"<path d='M195 82h14a16 16 0 0 1 0 32h-16' fill='none' stroke='{tint}' "
           f"stroke-width='8'/><rect x='92' y='150' width='136' height='8' rx='4' "
           f"fill='{tint}' opacity='0.6'/></svg>")
    return "data:image/svg+xml," + urllib.parse.quote(svg)


def cart_id(request: web.Request) -> str:
    """This browser's cart (a random id in a cookie), or "" when it has none."""
    value = request.cookies.get(CART_COOKIE) or ""
    return value if _CART_ID.fullmatch(value) else ""


def with_cart_cookie(response: web.StreamResponse, request: web.Request) -> web.StreamResponse:
    """Give a new browser its cart id."""
    if not cart_id(request):
        response.set_cookie(CART_COOKIE, secrets.token_urlsafe(16), httponly=True,
                            samesite="Lax", max_age=30 * 24 * 3600)
    return response


def routes(shop: Shop) -> list[web.RouteDef]:
    """Every page of the shop."""
    db, catalog = shop.db, shop.catalog

    def count(request: web.Request) -> int:
        return sum(q for _, q in db.cart(cart_id(request)))

    async def index(request: web.Request) -> web.StreamResponse:
        cards = Safe("".join(part(
            "product.html", id=p.id, name=p.name, description=p.description,
            price=price_text(p.price, catalog.currency), picture=picture(p.color),
        ) for p in catalog.products))
        return with_cart_cookie(page("index.html", title="Shop", cart_count=count(request),
                                     products=cards), request)

    async def add(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        cart = cart_id(request) or secrets.token_urlsafe(16)
        product = catalog.get(str(form.get("product", "")))
        if product is not None:
            db.add_to_cart(cart, product.id)
        response = web.HTTPSeeOther("/cart")
        if not cart_id(request):
            response.set_cookie(CART_COOKIE, cart, httponly=True, samesite="Lax",
                                max_age=30 * 24 * 3600)
        raise response

    async def remove(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        db.remove_from_cart(cart_id(request), str(form.get("product", "")))
        raise web.HTTPSeeOther("/cart")

    def lines(cart: str) -> tuple[list[dict], int]:
        items, total = [], 0
        for product_id, quantity in db.cart(cart):
            product = catalog.get(product_id)
            if product is not None:
                items.append({"product": product.id, "name": product.name,
                              "quantity": quantity, "price": product.price})
                total += product.price * quantity
        return items, total

    async def cart(request: web.Request) -> web.StreamResponse:
        items, total = lines(cart_id(request))
        rows = Safe("".join(part(
            "cart_line.html", id=i["product"], name=i["name"], quantity=i["quantity"],
            price=price_text(i["price"] * i["quantity"], catalog.currency)) for i in items))
        notice = part("notice.html", kind="warn", text="Checkout canceled. Your cart is still "
                      "here.") if request.query.get("canceled") else ""
        if not items:
            notice = part("notice.html", kind="info", text="Your cart is empty.")
        return page("cart.html", title="Cart", cart_count=count(request), lines=rows,
                    total=price_text(total, catalog.currency), notice=notice,
                    disabled=Safe("disabled" if not items else ""))

    async def checkout(request: web.Request) -> web.StreamResponse:
        items, total = lines(cart_id(request))
        if not items:
            raise web.HTTPSeeOther("/cart")
        # `pay_with` is the cart's radio group; without it (a bare POST) the card checkout
        pay_with = str((await request.post()).get("pay_with") or "card")
        if pay_with != "card" and pay_with not in CHOICES and pay_with not in flows.CHOICES:
            return page("message.html", title="Unknown payment method", http_status=400,
                        cart_count=count(request), heading="Unknown payment method",
                        text="Choose one of the payment methods on the cart page.")
        order_id = db.create_order(cart_id(request), items, total, catalog.currency)
        if pay_with in CHOICES:
            return shop.rails.checkout(db.order(order_id) or {}, pay_with, count(request))
        if pay_with in flows.CHOICES:
            return await shop.wallets.checkout(db.order(order_id) or {}, pay_with,
                                               count(request))
        try:
            url = await shop.gateway.checkout(db.order(order_id) or {}, catalog)
        except stripe.StripeError as exc:
            log.warning("checkout for %s failed: %s", order_id, exc)
            db.mark(order_id, "canceled")
            return page("message.html", title="Payments unavailable", http_status=503,
                        cart_count=count(request), heading="Payments are unavailable",
                        text="We could not reach the payment provider. Your cart is saved; "
                             "please try again in a moment.")
        raise web.HTTPSeeOther(url)

    async def order(request: web.Request) -> web.StreamResponse:
        found = db.order(request.match_info["order"])
        if found is None:
            return page("message.html", title="Not found", http_status=404,
                        cart_count=count(request), heading="Order not found",
                        text="There is no such order.")
        rows = Safe("".join(part("order_line.html", name=i["name"], quantity=i["quantity"],
                                 price=price_text(i["price"] * i["quantity"], found["currency"]))
                            for i in found["items"]))
        payment = describe(db.trade_of(found["id"]), found) or \
            flows.describe(db.wallet_payment(found["id"]))
        paid = found["status"] == "paid"
        # The gateway sends the shopper here (success_url, with the session id) only after
        # a payment went through: a decline noted from an earlier attempt on the same
        # session is history then, and showing it beside "waiting" contradicts the outcome.
        returned = bool(found["checkout_session"]) and \
            request.query.get("session_id") == found["checkout_session"]
        stale = paid or returned or found["status"] != "pending"
        return page(
            "order.html", title=f"Order {found['id']}", cart_count=count(request),
            id=found["id"], status=found["status"], lines=rows, payment=payment,
            heading="Thank you for your order!" if paid else "Your order",
            status_text=STATUS_TEXT[found["status"]],
            total=price_text(found["amount"], found["currency"]),
            error=part("notice.html", kind="warn", text=found["last_error"])
            if found["last_error"] and not stale else "",
            note="A receipt is on its way." if paid else
            "This page updates by itself when the payment provider confirms the payment.",
        )

    async def order_status(request: web.Request) -> web.Response:
        found = db.order(request.match_info["order"])
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"id": found["id"], "status": found["status"],
                                  "status_text": STATUS_TEXT[found["status"]],
                                  "fulfilments": db.fulfilment_count(found["id"])})

    return [web.get("/", index), web.post("/cart/add", add), web.post("/cart/remove", remove),
            web.get("/cart", cart), web.post("/checkout", checkout),
            web.get("/orders/{order}", order), web.get("/orders/{order}/status", order_status)]
