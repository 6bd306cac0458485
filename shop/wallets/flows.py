"""Checkout through a wallet and the shopper's browser coming back from it.

Checkout records the order's wallet payment (what the wallet will charge), asks the
wallet for a payment and sends the browser to its approval page. The way back:
- LINE Pay's confirmUrl: the shop confirms the transaction it was given at checkout (not
  any other id the query names) with its own amount and currency, and fulfils on `0000`;
- PayPal's return_url: the shop captures the order it created (PayPal-Request-Id fixed
  per order, so a reload repeats nothing) and fulfils when the capture is COMPLETED for
  the order's amount;
- JKOPay's result_display_url: the result_url callback pays the order; the page asks the
  inquiry API meanwhile, so a callback that is late does not leave the shopper waiting;
- the cancel URLs carry a per-payment secret, so only the wallet's redirect cancels.
Every outcome goes through `settle`, so it applies once; a reload finds the order paid
and shows it. Failures are pages (escaped), never 500s.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from aiohttp import web
from paylab.shop.db import ShopDB
from paylab.shop.formpost import twd_amount
from paylab.shop.settings import ShopSettings
from paylab.shop.ui import Safe, page, part
from paylab.shop.wallets import jkopay, linepay, paypal
from paylab.shop.wallets.http import MALFORMED, Http, Unavailable
from paylab.shop.wallets.settle import NAMES, cancel

log = logging.getLogger("paylab.shop.wallets")
#: The cart's `pay_with` values for the wallets.
CHOICES = tuple(NAMES)


class Refused(Exception):
    """The wallet said no (`code`, its own words in `text`)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code, self.text = code, text


def describe(payment: dict[str, Any] | None) -> Safe:
    """The order page's line about a wallet payment."""
    if payment is None:
        return Safe("")
    return part("order_payment.html", gateway=NAMES.get(payment["gateway"], ""),
                method="Wallet", amount=money_text(payment["value"], payment["currency"]))


def money_text(value: str, currency: str) -> str:
    """`NT$2,448` (as the form-post rails show TWD), `US$18.50`, else `12.00 EUR`."""
    number = Decimal(value)
    if currency == "TWD":
        return f"NT${number:,}"
    return f"US${number:,}" if currency == "USD" else f"{number:,} {currency}"


def _web_url(url: Any) -> str:
    """`url` if it is an absolute http(s) URL (where a wallet may send the browser)."""
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unavailable(f"the wallet gave no approval URL ({url!r})")
    return url


def _transaction_id(value: Any) -> str:
    """LINE Pay's transactionId as digits (a JSON integer, read exactly; or its text)."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not linepay.TRANSACTION_ID.fullmatch(text):
        raise Unavailable(f"LINE Pay gave no transactionId ({value!r})")
    return text


class Wallets:
    """The wallets' checkout and browser returns; `count` is the cart count of a request
    (for the page header)."""

    def __init__(self, db: ShopDB, settings: ShopSettings,
                 count: Callable[[web.Request], int]) -> None:
        self.db, self.settings, self.count = db, settings, count
        self.http = Http()
        s = settings
        self.linepay = linepay.LinePay(self.http, s.wallet_base("linepay"),
                                       s.linepay_channel_id, s.linepay_channel_secret)
        self.jkopay = jkopay.JKOPay(self.http, s.wallet_base("jkopay"), s.jkopay_secret_key,
                                    s.jkopay_api_key)
        self.paypal = paypal.PayPal(self.http, s.wallet_base("paypal"), s.paypal_client_id,
                                    s.paypal_client_secret)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @property
    def webhook_url(self) -> str:
        """Where PayPal posts the shop's webhook events."""
        return f"{self.settings.base_url}/notify/paypal"

    @asynccontextmanager
    async def one_at_a_time(self, order_id: str) -> AsyncIterator[None]:
        """Serialise the returns of one order (two reloads confirm once)."""
        lock, users = self._locks.get(order_id, (asyncio.Lock(), 0))
        self._locks[order_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:  # the last one out forgets the lock (a waiter still counts as a user)
            lock, users = self._locks[order_id]
            if users == 1:
                del self._locks[order_id]
            else:
                self._locks[order_id] = (lock, users - 1)

    # -- checkout ---------------------------------------------------------------------------
    def _lines(self, order: dict[str, Any], twd: bool) -> list[tuple[str, str, int, int]]:
        rate = self.settings.twd_rate
        return [(i["product"], i["name"], i["quantity"],
                 twd_amount(i["price"], order["currency"], rate) if twd else i["price"])
                for i in order["items"]]

    async def checkout(self, order: dict[str, Any], choice: str,
                       cart_count: int) -> web.StreamResponse:
        """Ask the wallet for the payment and send the browser to approve it; a page
        when the wallet refuses or cannot be reached (the order is then canceled)."""
        start = {"linepay": self._linepay, "jkopay": self._jkopay, "paypal": self._paypal}
        try:
            url = await start[choice](order)
        except (Unavailable, Refused, *MALFORMED) as exc:
            log.warning("%s checkout of %s failed: %s", choice, order["id"], exc)
            self.db.mark(order["id"], "canceled")
            unreachable = not isinstance(exc, Refused)
            return self.failure(
                order["id"], choice, cart_count, http_status=503 if unreachable else 502,
                text=f"We could not reach {NAMES[choice]}. Your cart is saved; please try "
                     "again in a moment." if unreachable else
                     f"{NAMES[choice]} refused the payment ({exc}). Your cart is saved.")
        raise web.HTTPSeeOther(url)

    async def _linepay(self, order: dict[str, Any]) -> str:
        lines = self._lines(order, twd=True)
        amount = sum(q * p for _, _, q, p in lines)
        payment = self.db.create_wallet_payment(order["id"], "linepay", str(amount), "TWD")
        back = f"{self.settings.base_url}/return/linepay/{order['id']}"
        answer = await self.linepay.request(linepay.request_body(
            order_no=payment["reference"], currency="TWD", lines=lines,
            shop=self.settings.name, confirm_url=back,
            cancel_url=f"{back}/cancel/{payment['cancel_key']}"))
        if answer["returnCode"] != linepay.SUCCESS:
            raise Refused(answer["returnCode"], str(answer.get("returnMessage", "")))
        info = answer.get("info") or {}
        self.db.set_wallet_transaction(order["id"], _transaction_id(info.get("transactionId")))
        return _web_url((info.get("paymentUrl") or {}).get("web"))

    async def _jkopay(self, order: dict[str, Any]) -> str:
        lines = [(name, q, p) for _, name, q, p in self._lines(order, twd=True)]
        amount = sum(q * p for _, q, p in lines)
        payment = self.db.create_wallet_payment(order["id"], "jkopay", str(amount), "TWD")
        base = self.settings.base_url
        answer = await self.jkopay.entry(jkopay.entry_body(
            order_no=payment["reference"], store_id=self.settings.jkopay_store_id,
            amount=amount, lines=lines, result_url=f"{base}/notify/jkopay",
            result_display_url=f"{base}/return/jkopay/{order['id']}"))
        if answer["result"] != jkopay.SUCCESS:
            raise Refused(answer["result"], str(answer.get("message", "")))
        return _web_url((answer.get("result_object") or {}).get("payment_url"))

    async def _paypal(self, order: dict[str, Any]) -> str:
        lines = [(name, q, p) for _, name, q, p in self._lines(order, twd=False)]
        currency = order["currency"].upper()
        value = paypal.value_of(sum(q * p for _, q, p in lines), currency)
        payment = self.db.create_wallet_payment(order["id"], "paypal", value, currency)
        try:  # before the order exists, so its capture's webhook has somewhere to go
            await self.paypal.webhook_id(self.webhook_url)
        except Unavailable as exc:  # the return's capture still fulfils
            log.warning("PayPal webhook not registered: %s", exc)
        back = f"{self.settings.base_url}/return/paypal/{order['id']}"
        answer = await self.paypal.create_order(paypal.order_body(
            reference=payment["reference"], order_id=order["id"], currency=currency,
            lines=lines, shop=self.settings.name, return_url=back,
            cancel_url=f"{back}/cancel/{payment['cancel_key']}"),
            request_id=f"{order['id']}-create")
        data = answer.data if isinstance(answer.data, dict) else {}
        if answer.status not in (200, 201) or not isinstance(data.get("id"), str):
            raise Refused(str(data.get("name", answer.status)), str(data.get("message", "")))
        self.db.set_wallet_transaction(order["id"], data["id"])
        return _web_url(paypal.approval_url(data))

    # -- pages ------------------------------------------------------------------------------
    def failure(self, order_id: str, gateway: str, cart_count: int, *, text: str,
                http_status: int = 200) -> web.Response:
        """The page of a payment that did not go through."""
        return page("wallet_failed.html", title="Payment not completed",
                    http_status=http_status, cart_count=cart_count, order=order_id,
                    gateway=NAMES.get(gateway, gateway), wallet=gateway, text=text)

    def not_found(self, request: web.Request) -> web.Response:
        """The page of a return that names no wallet payment of this shop."""
        return page("message.html", title="Not found", http_status=404,
                    cart_count=self.count(request), heading="Payment not found",
                    text="This shop has no such wallet payment.")

    def payment_of(self, request: web.Request, gateway: str
                   ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(order, payment) of a return URL, or None when either is missing."""
        order_id = request.match_info["order"]
        payment, order = self.db.wallet_payment(order_id), self.db.order(order_id)
        if payment is None or order is None or payment["gateway"] != gateway:
            return None
        return order, payment

    @staticmethod
    def to_order(order_id: str) -> web.HTTPSeeOther:
        """Send the browser to the order page (so a reload there repeats nothing)."""
        return web.HTTPSeeOther("/orders/" + urllib.parse.quote(order_id, safe=""))

    async def canceled(self, request: web.Request) -> web.StreamResponse:
        """GET /return/{linepay|paypal}/{order}/cancel/{key}: the shopper canceled at the
        wallet; the order is canceled if the key is the payment's."""
        gateway = request.match_info["gateway"]
        found = self.payment_of(request, gateway)
        if found is None or not hmac.compare_digest(
                found[1]["cancel_key"].encode(), request.match_info["key"].encode()):
            return self.not_found(request)
        log.info("%s cancel: %s", gateway, cancel(self.db, found[1], f"{gateway}:"
                                                   f"{found[1]['reference']}:canceled"))
        raise self.to_order(found[0]["id"])
