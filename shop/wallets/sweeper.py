"""The LINE Pay sweeper: payments the shopper approved but never came back from.

LINE Pay Online API v3 sends the shop no server notice: the shop learns of an approval only
when the shopper's browser comes back to confirmUrl. A shopper who approves in LINE Pay and
closes the browser would leave the order pending until the reservation lapses (20 minutes).
So, every round, the shop asks Check Payment Request Status about pending LINE Pay payments
older than a grace period (SHOP_LINEPAY_SWEEP_SECONDS; the browser normally comes back
within it) and acts as the browser's return would:

- `0110` (approved): Confirm with the shop's own amount and currency and fulfil, through
  `returns.confirm_and_settle` under the order's own lock, so a return and a sweep at the
  same moment confirm and fulfil once;
- `0123` (confirmed already, the answer lost): fulfil if the payment details show it paid;
- `0121` (canceled or lapsed) and `0122` (failed): the order is canceled (the failure
  noted on it);
- `0000` (still waiting) or anything else: nothing, it is asked again next round.

A round takes a bounded batch, continuing after the last payment of the previous round
(so payments that keep waiting do not starve newer ones). A wallet that cannot be reached
or answers nonsense is logged and asked again next round; the loop itself never dies of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from paylab.shop.wallets import linepay, returns
from paylab.shop.wallets.flows import Wallets
from paylab.shop.wallets.http import MALFORMED, Unavailable
from paylab.shop.wallets.settle import cancel, fulfil

log = logging.getLogger("paylab.shop.wallets.sweeper")
#: Payments asked about per round at most (each is one or two calls to LINE Pay).
BATCH = 20
#: The longest pause between rounds, whatever the grace period.
MAX_INTERVAL = 30.0


class Sweeper:
    """Sweeps the pending LINE Pay payments of `wallets` older than `grace` seconds."""

    def __init__(self, wallets: Wallets, grace: float, *, batch: int = BATCH,
                 clock: Callable[[], float] = time.time) -> None:
        self.wallets, self.grace, self.batch, self.clock = wallets, grace, batch, clock
        self._after: tuple[float, str] = (0.0, "")

    @property
    def enabled(self) -> bool:
        """Whether the shop sweeps at all (a grace of 0 turns it off)."""
        return self.grace > 0

    @property
    def interval(self) -> float:
        """Seconds between rounds: the grace period, at most MAX_INTERVAL."""
        return min(self.grace, MAX_INTERVAL)

    async def round(self) -> dict[str, str]:
        """One round: up to `batch` payments, each asked about and acted on; what
        happened, by order id."""
        db = self.wallets.db
        due = self.clock() - self.grace
        payments = db.pending_wallet_payments("linepay", created_before=due,
                                              after=self._after, limit=self.batch)
        if not payments and self._after != (0.0, ""):  # the end: start over from the oldest
            self._after = (0.0, "")
            payments = db.pending_wallet_payments("linepay", created_before=due,
                                                  limit=self.batch)
        outcomes: dict[str, str] = {}
        for payment in payments:
            self._after = (payment["created"], payment["order_id"])
            try:
                outcomes[payment["order_id"]] = await self.sweep(payment)
            except (Unavailable, *MALFORMED) as exc:  # asked again next round
                outcomes[payment["order_id"]] = f"not settled: {exc.__class__.__name__} {exc}"
            log.info("LINE Pay sweep of %s: %s", payment["order_id"],
                     outcomes[payment["order_id"]])
        return outcomes

    async def sweep(self, payment: dict[str, Any]) -> str:
        """Ask LINE Pay about one payment and act as the browser's return would. Raises
        Unavailable (and MALFORMED errors) when LINE Pay's answer is not one."""
        order_id = payment["order_id"]
        async with self.wallets.one_at_a_time(order_id):  # the return's lock
            order = self.wallets.db.order(order_id)
            if order is None or order["status"] != "pending":  # returned meanwhile
                return f"order is {order and order['status']}"
            answer = await self.wallets.linepay.check(payment["transaction_id"])
            return await self._act(payment, str(answer["returnCode"]))

    async def _act(self, payment: dict[str, Any], code: str) -> str:
        db, reference = self.wallets.db, payment["reference"]
        if code == linepay.CHECK_READY:
            code, outcome = await returns.confirm_and_settle(self.wallets, payment)
            return outcome if code == linepay.SUCCESS else f"confirm refused ({code}): {outcome}"
        if code == linepay.CHECK_COMPLETE:
            if await returns.confirmed_before(self.wallets, payment):
                transaction = payment["transaction_id"]
                return fulfil(db, payment, f"linepay:{transaction}:confirmed", transaction)
            return "complete, but the payment details do not show the order's payment"
        if code == linepay.CHECK_ENDED:  # the same key as the cancelUrl: once between them
            return cancel(db, payment, f"linepay:{reference}:canceled")
        if code == linepay.CHECK_FAILED:
            # the shop has no "failed" order: a failed LINE Pay transaction can never be
            # confirmed, so the order is canceled with the reason noted on it
            db.note_failure(payment["order_id"], "LINE Pay: the payment failed.")
            return cancel(db, payment, f"linepay:{reference}:failed", "failed")
        return "waiting for the shopper" if code == linepay.CHECK_WAITING \
            else f"check answered {code}; asked again next round"

    async def run(self) -> None:
        """Rounds until canceled; a round that fails is logged, the next one goes on."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.round()
            except Exception:  # the sweeper outlives anything one round meets
                log.exception("LINE Pay sweep round failed")


def background(sweeper: Sweeper) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `sweeper` while the app runs (nothing when disabled)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(sweeper.run()) if sweeper.enabled else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context
