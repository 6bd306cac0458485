"""The shop's own SQLite: carts, orders, fulfilments, which webhook events it has seen, the
trades that pay orders on the form-post rails (ECPay, NewebPay), the wallet payments
(LINE Pay, JKOPay, PayPal), and its settings (its generated API key, its webhook endpoint
and secret)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS cart_lines (cart TEXT NOT NULL, product TEXT NOT NULL,
    quantity INTEGER NOT NULL, PRIMARY KEY (cart, product));
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, cart TEXT NOT NULL, items TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
    checkout_session TEXT, payment_intent TEXT, last_error TEXT, email TEXT,
    created REAL NOT NULL, paid_at REAL);
CREATE TABLE IF NOT EXISTS fulfilments (order_id TEXT PRIMARY KEY, event_id TEXT NOT NULL,
    at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trades (trade_no TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE,
    gateway TEXT NOT NULL, method TEXT NOT NULL, amount INTEGER NOT NULL, payment_type TEXT,
    code_kind TEXT, code TEXT, code_expires TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS wallet_payments (order_id TEXT PRIMARY KEY, gateway TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE, value TEXT NOT NULL, currency TEXT NOT NULL,
    transaction_id TEXT, cancel_key TEXT NOT NULL, created REAL NOT NULL);
"""
#: A wallet payment's columns, in order.
_WALLET = ("order_id", "gateway", "reference", "value", "currency", "transaction_id",
           "cancel_key")


class ShopDB:
    """Small, explicit queries; every write commits before the caller answers (a webhook's
    writes in one transaction, see `recording`)."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    # -- carts ----------------------------------------------------------------------------
    def add_to_cart(self, cart: str, product: str, quantity: int = 1) -> None:
        """Add `quantity` of a product to a cart."""
        self.conn.execute(
            "INSERT INTO cart_lines (cart, product, quantity) VALUES (?, ?, ?) "
            "ON CONFLICT (cart, product) DO UPDATE SET quantity = MIN(quantity + ?, 99)",
            (cart, product, quantity, quantity))

    def remove_from_cart(self, cart: str, product: str) -> None:
        """Drop a product from a cart."""
        self.conn.execute("DELETE FROM cart_lines WHERE cart = ? AND product = ?",
                          (cart, product))

    def cart(self, cart: str) -> list[tuple[str, int]]:
        """(product id, quantity) lines of a cart."""
        return self.conn.execute("SELECT product, quantity FROM cart_lines WHERE cart = ? "
                                 "ORDER BY rowid", (cart,)).fetchall()

    def empty_cart(self, cart: str) -> None:
        """After a paid order."""
        self.conn.execute("DELETE FROM cart_lines WHERE cart = ?", (cart,))

    # -- orders ---------------------------------------------------------------------------
    def create_order(self, cart: str, items: list[dict[str, Any]], amount: int,
                     currency: str) -> str:
        """A pending order for what is in the cart now."""
        order_id = "ord_" + secrets.token_hex(6)
        self.conn.execute(
            "INSERT INTO orders (id, cart, items, amount, currency, status, created) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (order_id, cart, json.dumps(items), amount, currency, time.time()))
        return order_id

    def order(self, order_id: str) -> dict[str, Any] | None:
        """An order as a dict, or None."""
        row = self.conn.execute(
            "SELECT id, cart, items, amount, currency, status, checkout_session, "
            "payment_intent, last_error, email, created, paid_at FROM orders WHERE id = ?",
            (order_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "cart", "items", "amount", "currency", "status", "checkout_session",
                "payment_intent", "last_error", "email", "created", "paid_at")
        order = dict(zip(keys, row, strict=True))
        order["items"] = json.loads(order["items"])
        return order

    def set_session(self, order_id: str, session_id: str) -> None:
        """Remember which Checkout Session pays an order."""
        self.conn.execute("UPDATE orders SET checkout_session = ? WHERE id = ?",
                          (session_id, order_id))

    def note_failure(self, order_id: str, message: str) -> None:
        """Show the last decline on the order page (the order stays payable)."""
        self.conn.execute("UPDATE orders SET last_error = ? WHERE id = ? AND status = 'pending'",
                          (message, order_id))

    def mark_paid(self, order_id: str, payment_intent: str | None, email: str | None,
                  event_id: str) -> bool:
        """pending -> paid and fulfil; False if it was not pending (no-op).

        Runs inside `recording()`, whose transaction makes the order, its fulfilment and
        the event that paid it one commit."""
        if not self.conn.in_transaction:
            raise RuntimeError("mark_paid must run inside ShopDB.recording()")
        changed = self.conn.execute(
            "UPDATE orders SET status = 'paid', payment_intent = ?, email = ?, paid_at = ?, "
            "last_error = NULL WHERE id = ? AND status = 'pending'",
            (payment_intent, email, time.time(), order_id)).rowcount
        if changed:
            self.conn.execute("INSERT INTO fulfilments (order_id, event_id, at) "
                              "VALUES (?, ?, ?)", (order_id, event_id, time.time()))
        return bool(changed)

    def mark(self, order_id: str, status: str) -> bool:
        """pending -> `status` (expired, canceled); False if it was not pending."""
        return bool(self.conn.execute(
            "UPDATE orders SET status = ? WHERE id = ? AND status = 'pending'",
            (status, order_id)).rowcount)

    def fulfilment_count(self, order_id: str) -> int:
        """How many times an order was fulfilled (the tests expect 0 or 1, never more)."""
        return self.conn.execute("SELECT COUNT(*) FROM fulfilments WHERE order_id = ?",
                                 (order_id,)).fetchone()[0]

    # -- trades on the form-post rails ---------------------------------------------------
    def create_trade(self, order_id: str, gateway: str, method: str, amount: int) -> str:
        """The trade number an order is paid under on `gateway` (ECPay's MerchantTradeNo,
        NewebPay's MerchantOrderNo: letters and digits only, 18 characters)."""
        trade_no = "PL" + secrets.token_hex(8).upper()
        self.conn.execute(
            "INSERT INTO trades (trade_no, order_id, gateway, method, amount, created) "
            "VALUES (?, ?, ?, ?, ?, ?)", (trade_no, order_id, gateway, method, amount,
                                          time.time()))
        return trade_no

    def _trade(self, column: str, value: str) -> dict[str, Any] | None:
        keys = ("trade_no", "order_id", "gateway", "method", "amount", "payment_type",
                "code_kind", "code", "code_expires")
        row = self.conn.execute(f"SELECT {', '.join(keys)} FROM trades "  # noqa: S608
                                f"WHERE {column} = ?", (value,)).fetchone()
        return dict(zip(keys, row, strict=True)) if row else None

    def trade(self, trade_no: str) -> dict[str, Any] | None:
        """A trade by its number, or None."""
        return self._trade("trade_no", trade_no)

    def trade_of(self, order_id: str) -> dict[str, Any] | None:
        """The trade that pays an order, or None (an order paid by card has none)."""
        return self._trade("order_id", order_id)

    def set_code(self, trade_no: str, kind: str, code: str, expires: str) -> bool:
        """Record the code the shopper pays with (convenience store, ATM, barcode) while
        the order is pending; False once it is not (a late notice changes nothing)."""
        return bool(self.conn.execute(
            "UPDATE trades SET code_kind = ?, code = ?, code_expires = ? WHERE trade_no = ? "
            "AND order_id IN (SELECT id FROM orders WHERE status = 'pending')",
            (kind, code, expires, trade_no)).rowcount)

    def set_payment_type(self, trade_no: str, payment_type: str) -> None:
        """How the gateway says the shopper paid (`Credit_CreditCard`, `CVS_CVS`, `VACC`)."""
        self.conn.execute("UPDATE trades SET payment_type = ? WHERE trade_no = ?",
                          (payment_type, trade_no))

    # -- wallet payments (LINE Pay, JKOPay, PayPal) ---------------------------------------
    def create_wallet_payment(self, order_id: str, gateway: str, value: str,
                              currency: str) -> dict[str, Any]:
        """The payment of `order_id` through a wallet: `reference` is the shop's number
        for it there (LINE Pay orderId, JKOPay platform_order_id, PayPal invoice_id),
        `value` the decimal amount the wallet charges, `cancel_key` the secret part of
        its cancel URL (so only the wallet's redirect cancels the order)."""
        reference = "PL" + secrets.token_hex(8).upper()
        self.conn.execute(
            "INSERT INTO wallet_payments (order_id, gateway, reference, value, currency, "
            "cancel_key, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (order_id, gateway, reference, value, currency, secrets.token_urlsafe(16),
             time.time()))
        found = self.wallet_payment(order_id)
        assert found is not None
        return found

    def _wallet(self, where: str, *args: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(_WALLET)} FROM wallet_payments "  # noqa: S608
                                f"WHERE {where}", args).fetchone()
        return dict(zip(_WALLET, row, strict=True)) if row else None

    def wallet_payment(self, order_id: str) -> dict[str, Any] | None:
        """The wallet payment of an order, or None."""
        return self._wallet("order_id = ?", order_id)

    def wallet_payment_by(self, gateway: str, *, reference: str | None = None,
                          transaction_id: str | None = None) -> dict[str, Any] | None:
        """A wallet payment by the shop's reference or by the wallet's own id, or None."""
        if reference is not None:
            return self._wallet("gateway = ? AND reference = ?", gateway, reference)
        return self._wallet("gateway = ? AND transaction_id = ?", gateway,
                            transaction_id or "")

    def pending_wallet_payments(self, gateway: str, *, created_before: float,
                                after: tuple[float, str] = (0.0, ""), limit: int = 20
                                ) -> list[dict[str, Any]]:
        """Up to `limit` payments through `gateway` of orders still pending, made before
        `created_before` and with a wallet id, oldest first from just past `after` (the
        (created, order id) of the last one a caller saw); each with its `created`."""
        rows = self.conn.execute(
            f"SELECT {', '.join('w.' + c for c in _WALLET)}, w.created FROM wallet_payments w "  # noqa: S608
            "JOIN orders o ON o.id = w.order_id WHERE w.gateway = ? AND o.status = 'pending' "
            "AND w.transaction_id IS NOT NULL AND w.created <= ? "
            "AND (w.created, w.order_id) > (?, ?) ORDER BY w.created, w.order_id LIMIT ?",
            (gateway, created_before, after[0], after[1], limit)).fetchall()
        return [dict(zip((*_WALLET, "created"), row, strict=True)) for row in rows]

    def set_wallet_transaction(self, order_id: str, transaction_id: str) -> None:
        """The wallet's own id for a payment (LINE Pay transactionId, PayPal order id)."""
        self.conn.execute("UPDATE wallet_payments SET transaction_id = ? WHERE order_id = ?",
                          (transaction_id, order_id))

    # -- webhook bookkeeping --------------------------------------------------------------
    def seen(self, event_id: str) -> bool:
        """Whether an event was already applied (a duplicate delivery)."""
        return self.conn.execute("SELECT 1 FROM seen_events WHERE id = ?",
                                 (event_id,)).fetchone() is not None

    def first_time(self, event_id: str, event_type: str) -> bool:
        """Record an event id; False when it was seen before (a duplicate delivery)."""
        return bool(self.conn.execute(
            "INSERT OR IGNORE INTO seen_events (id, type, at) VALUES (?, ?, ?)",
            (event_id, event_type, time.time())).rowcount)

    @contextmanager
    def recording(self, event_id: str, event_type: str) -> Iterator[bool]:
        """One transaction that records an event as seen and applies it: a crash at any
        point leaves both or neither, so a retry after a crash is applied, not dropped as
        a duplicate. Yields False when the event was seen before (then change nothing).

        Nothing inside may await: the connection is shared by every request."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.first_time(event_id, event_type)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:  # the handler failed, or the commit did (disk full)
                self.conn.execute("ROLLBACK")
            raise

    def api_key(self) -> str:
        """This database's own gateway test key: made once, from the OS's CSPRNG, so no
        two shops share one (a well-known key would let anyone act as the shop)."""
        self.conn.execute("INSERT OR IGNORE INTO config (key, value) VALUES ('api_key', ?)",
                          ("sk_test_shop_" + secrets.token_hex(16),))
        return self.get_config("api_key") or ""

    def get_config(self, key: str) -> str | None:
        """A stored setting (the API key, the webhook endpoint and its secret)."""
        row = self.conn.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_config(self, key: str, value: str) -> None:
        """Store a setting."""
        self.conn.execute("INSERT INTO config (key, value) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
