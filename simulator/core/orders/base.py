"""The orders service's state and shared steps: constants, configuration, reads, creation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.risk import RiskAssessor
from paylab.simulator.core.timers import Timers

KIND = "order"
PREFIX = "ord"

STATUSES = ("created", "needs_action", "awaiting_payment", "approved", "authorized", "paid",
            "failed", "expired", "canceled")
#: Payment methods an order can offer; `card` and `webatm` pay at once, the others by code;
#: `apple_pay` and `google_pay` are cards from a device wallet's sheet; `wallet` is a wallet
#: account the shopper approves on the wallet's own page.
METHODS = ("card", "atm", "cvs", "barcode", "webatm", "apple_pay", "google_pay", "wallet")
CODE_METHODS = ("atm", "cvs", "barcode")
#: Cards, typed on a form or taken from a device wallet's sheet: a gateway's daily close
#: captures their authorisations.
CARD_RAIL = ("card", "apple_pay", "google_pay")
#: Methods whose money is authorised, then captured, voided or refunded.
CAPTURABLE = (*CARD_RAIL, "wallet")
EVENT_KINDS = ("order.created", "order.code_issued", "order.needs_action", "order.approved",
               "order.authorized", "order.paid", "order.failed", "order.expired",
               "order.canceled", "order.captured", "order.capture_canceled", "order.closed",
               "order.voided", "order.refunded")

#: Statuses a pending payment can be settled, expired or failed from.
PENDING = ("created", "needs_action", "awaiting_payment")
#: Statuses the expiry timer ends: a code unpaid, a wallet approval never given or a
#: wallet payment approved but never confirmed by the merchant.
EXPIRABLE = ("created", "awaiting_payment", "approved")
EXPIRE_TIMER = "expire_order"
CLOSE_TIMER = "close_order"
#: A scenario's "pay late": a code is paid (or fails) a while after it was issued.
PAY_LATE_TIMER = "pay_order"
DAY = 86400


@dataclasses.dataclass(frozen=True)
class DailyClose:
    """When a gateway closes (captures) every authorised card order: a local time of day."""

    seconds: int
    utc_offset_hours: float = 0.0

    def next_after(self, now: float) -> float:
        """The first close strictly after `now` (virtual epoch seconds)."""
        shift = self.utc_offset_hours * 3600
        local = now + shift
        close = local - local % DAY + self.seconds
        if close <= local:
            close += DAY
        return close - shift


def daily_close(time_of_day: str, utc_offset_hours: float = 0.0) -> DailyClose:
    """Parse `HH:MM` into a DailyClose."""
    hours, minutes = (int(part) for part in time_of_day.split(":"))
    return DailyClose(hours * 3600 + minutes * 60, utc_offset_hours)



class OrdersBase:
    """State, configuration, reads and creation; the payment steps live in the mixins."""

    def __init__(self, objects: Objects, events: Events, timers: Timers, clock: Clock,
                 rand: Rand, risk: Callable[[], RiskAssessor | None] | None = None) -> None:
        self.objects = objects
        self.events = events
        self.timers = timers
        self.clock = clock
        self.rand = rand
        #: The fraud rules in force (the scenario's, when one defines some).
        self.risk = risk or (lambda: None)
        #: gateway -> its automatic daily close (absent: none).
        self.closes: dict[str, DailyClose] = {}

    # -- configuration --------------------------------------------------------------------
    def configure_close(self, gateway: str, close: DailyClose | None) -> None:
        """Close `gateway`'s authorised card orders daily (None: never automatically).

        Timers already planned re-read this when they fire, so switching it off holds them.
        """
        if close is None:
            self.closes.pop(gateway, None)
        else:
            self.closes[gateway] = close

    # -- reads ----------------------------------------------------------------------------
    def get(self, tenant: str, order_id: str) -> Doc:
        """One order of this tenant (NotFound otherwise)."""
        return self.objects.get(tenant, KIND, order_id, param="order")

    def find_by_merchant_order(self, tenant: str, merchant_order_no: str) -> Doc | None:
        """The order carrying the merchant's own number, or None."""
        return self.objects.tagged(tenant, KIND, merchant_order_no)

    def find_any(self, order_id: str) -> tuple[str, Doc] | None:
        """(tenant, order) whatever the tenant (control API, hosted pages)."""
        return self.objects.find_any(KIND, order_id)

    def page(self, tenant: str, **paging: Any) -> tuple[list[Doc], bool]:
        """A page of orders, newest first."""
        return self.objects.page(tenant, KIND, **paging)

    # -- creation -------------------------------------------------------------------------
    def create(self, tenant: str, gateway: str, *, merchant_order_no: str, amount: int,
               currency: str, methods: list[str] | tuple[str, ...], description: str = "",
               callbacks: dict[str, str] | None = None, expiry: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None, expires_at: float | None = None,
               capture: bool = True, confirm: bool = True, decimals: int = 0,
               origin: Origin | None = None) -> Doc:
        """A new order waiting at the cashier.

        `callbacks` maps the adapter's names to URLs; `expiry` holds the adapter's code
        lifetimes; `extra` keeps gateway fields to echo later (the core never reads them).
        `expires_at` reserves the order until then (a wallet's approval window): a durable
        timer expires it if it is still unpaid, unapproved or unconfirmed. For a wallet,
        `capture` says whether approval (or confirmation) captures the money or only
        authorises it, and `confirm` whether the merchant must confirm after the approval.
        `decimals` says how the adapter counts `amount`: whole units of the currency (0, the
        form-post rails' TWD) or its minor units (2 for cents), for the figures.
        """
        if not merchant_order_no:
            raise InvalidRequest("parameter_missing", "The merchant order number is required.",
                                 param="merchant_order_no")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidRequest("amount_invalid", "The amount must be a positive integer.",
                                 param="amount")
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods:
            raise InvalidRequest("method_invalid", f"Unknown payment methods: {unknown}.",
                                 param="methods")
        now = self.clock.now()
        with self.objects.store.atomic():
            if self.find_by_merchant_order(tenant, merchant_order_no) is not None:
                raise InvalidRequest("duplicate_order",
                                     f"Order number {merchant_order_no} is already used.",
                                     param="merchant_order_no")
            doc = {
                "id": self.rand.new_id(PREFIX), "object": KIND, "gateway": gateway,
                "merchant_order_no": merchant_order_no, "amount": amount,
                "currency": currency.lower(), "methods": list(methods),
                "description": description, "callbacks": dict(callbacks or {}),
                "expiry": dict(expiry or {}), "extra": dict(extra or {}),
                "reference": self._reference(now), "status": "created", "method": None,
                "card": None, "code": None, "authentication": None, "failure": None,
                "authorized_amount": 0, "captured_amount": 0, "refunded_amount": 0,
                "closed": False, "simulated": False, "created": int(now),
                "authorized_at": None, "paid_at": None, "expires_at": None, "refunds": [],
                # a hosted cashier's URL carries this token: the seeded id alone opens nothing
                "page_token": new_credential(32), "capture": capture, "confirm": confirm,
            }
            if decimals:  # absent: whole units, as every order stored before this field
                doc["decimals"] = decimals
            if expires_at is not None:
                if expires_at <= now:
                    raise InvalidRequest("expiry_invalid", "An order must expire in the future.",
                                         param="expires_at")
                doc["expires_at"] = int(expires_at)
            self.objects.insert(tenant, KIND, doc, tag=merchant_order_no)
            self._emit(tenant, doc, "order.created", None, origin)
            if expires_at is not None:
                self.timers.schedule(tenant, EXPIRE_TIMER, doc["id"], expires_at - now, {})
        return doc


    # -- internals ------------------------------------------------------------------------
    def _card_order(self, tenant: str, order_id: str) -> Doc:
        doc = self.get(tenant, order_id)
        if doc["method"] not in CAPTURABLE:
            raise InvalidState("order_not_card", "Only card orders can be captured or voided.")
        return doc

    def _pay(self, tenant: str, doc: Doc, origin: Origin | None) -> None:
        doc["paid_at"] = int(self.clock.now())
        self._move(tenant, doc, "paid", "order.paid", origin)

    def _move(self, tenant: str, doc: Doc, status: str, kind: str, origin: Origin | None
              ) -> None:
        previous = {"status": doc["status"]}
        doc["status"] = status
        self.objects.update(tenant, KIND, doc)
        self._emit(tenant, doc, kind, previous, origin)

    def _emit(self, tenant: str, doc: Doc, kind: str, previous: Doc | None,
              origin: Origin | None) -> None:
        self.events.emit(tenant, doc["gateway"], kind, KIND, doc, previous,
                         origin=origin or NOWHERE)

    def _reference(self, now: float) -> str:
        """The gateway's own 16-digit trade number: the virtual date, then seeded digits."""
        stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%y%m%d%H%M%S")
        return stamp + f"{self.rand.randint(0, 9999):04d}"

    def _code(self, method: str, doc: Doc, expires_at: float, bank_code: str,
              prefix: str) -> Doc:
        digits = "".join(str(self.rand.randint(0, 9)) for _ in range(16))
        if method == "atm":
            return {"bank_code": bank_code, "account": digits}
        if method == "cvs":
            return {"payment_no": (prefix + digits)[:14]}
        day = dt.datetime.fromtimestamp(expires_at, dt.UTC)
        return {"barcodes": [day.strftime("%y%m%d") + "6" + digits[:2],
                             digits,
                             day.strftime("%m%d") + "00" + f"{doc['amount']:09d}"]}



def check_amount(amount: Any, limit: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= limit:
        raise InvalidRequest("amount_invalid", f"The amount must be between 1 and {limit}.",
                             param="amount")

