"""The shopper's browser back from a wallet's approval page: LINE Pay's confirmUrl, PayPal's
return_url and JKOPay's result_display_url (see flows.py for the rules they keep)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from paylab.shop.wallets import jkopay, linepay, paypal
from paylab.shop.wallets.flows import Wallets
from paylab.shop.wallets.http import MALFORMED, Unavailable
from paylab.shop.wallets.settle import fulfil, same_money

log = logging.getLogger("paylab.shop.wallets")
#: A return handler.
Returned = Callable[[Wallets, web.Request], Awaitable[web.StreamResponse]]


def routes(wallets: Wallets) -> list[web.RouteDef]:
    """The return URLs the shop gives the wallets."""

    def guarded(gateway: str, handle: Returned) -> web.Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return await handle(wallets, request)
            except MALFORMED as exc:  # a wallet answer in a shape its API never gives
                log.exception("%s return: unreadable wallet answer", gateway)
                return wallets.failure(
                    request.match_info["order"], gateway, wallets.count(request),
                    http_status=502, text=f"The wallet answered something the shop cannot "
                                          f"read ({exc.__class__.__name__}). Nothing was "
                                          "fulfilled; please try again.")
        return run

    return [web.get("/return/linepay/{order}", guarded("linepay", confirm_linepay)),
            web.get("/return/paypal/{order}", guarded("paypal", capture_paypal)),
            web.get("/return/jkopay/{order}", guarded("jkopay", show_jkopay)),
            web.get("/return/{gateway:linepay|paypal}/{order}/cancel/{key}", wallets.canceled)]


def _mismatch(wallets: Wallets, request: web.Request, order: dict[str, Any],
              gateway: str, what: str) -> web.Response:
    """A return naming another payment than the order's: refused, nothing changes."""
    log.warning("%s return for %s refused: %s", gateway, order["id"], what)
    return wallets.failure(order["id"], gateway, wallets.count(request), http_status=400,
                           text="This return does not belong to this order's payment.")


async def confirm_linepay(wallets: Wallets, request: web.Request) -> web.StreamResponse:
    """GET /return/linepay/{order}?transactionId=…&orderId=…: Confirm, then the order page."""
    found = wallets.payment_of(request, "linepay")
    if found is None:
        return wallets.not_found(request)
    order, payment = found
    transaction = request.query.get("transactionId", "")
    if not payment["transaction_id"] or transaction != payment["transaction_id"]:
        return _mismatch(wallets, request, order, "linepay", f"transactionId {transaction!r}")
    async with wallets.one_at_a_time(order["id"]):
        order = wallets.db.order(order["id"]) or order
        if order["status"] == "paid":  # a reload: confirmed already
            raise wallets.to_order(order["id"])
        if order["status"] != "pending":
            return wallets.failure(order["id"], "linepay", wallets.count(request),
                                   text=f"This order is {order['status']}.")
        try:
            code, text = await confirm_and_settle(wallets, payment)
        except Unavailable as exc:
            log.warning("LINE Pay confirm of %s: %s", order["id"], exc)
            return wallets.failure(
                order["id"], "linepay", wallets.count(request), http_status=503,
                text="We could not reach LINE Pay to confirm the payment. Reload this page "
                     "in a moment to try again.")
        log.info("LINE Pay confirm of %s: %s", order["id"], text)
        if code != linepay.SUCCESS:
            return wallets.failure(order["id"], "linepay", wallets.count(request),
                                   text=f"LINE Pay refused the payment ({code}): {text}")
    raise wallets.to_order(order["id"])


async def confirm_and_settle(wallets: Wallets, payment: dict[str, Any]) -> tuple[str, str]:
    """Confirm the payment's LINE Pay transaction with the shop's own amount and currency
    and fulfil on `0000`; (code, what happened or LINE Pay's refusal in words). `1172`
    (confirmed before, its answer lost) counts when the payment details show the order's
    payment. Refusals are noted on the order. The browser's return and the sweeper both
    come here. Raises Unavailable; call it inside `one_at_a_time`."""
    transaction, amount = payment["transaction_id"], int(payment["value"])
    currency = payment["currency"]
    answer = await wallets.linepay.confirm(transaction, amount, currency)
    code = answer["returnCode"]
    # 1172: confirmed before (an earlier answer lost on the way)?
    if code == "1172" and await confirmed_before(wallets, payment):
        code = linepay.SUCCESS
    if code != linepay.SUCCESS:
        text = linepay.REFUSALS.get(code, str(answer.get("returnMessage", "")))
        wallets.db.note_failure(payment["order_id"], f"LINE Pay {code}: {text}")
        return code, text
    return code, fulfil(wallets.db, payment, f"linepay:{transaction}:confirmed", transaction)


async def confirmed_before(wallets: Wallets, payment: dict[str, Any]) -> bool:
    """Whether LINE Pay's payment details show the payment's transaction paid for the
    order's number, amount and currency. Raises Unavailable."""
    transaction = payment["transaction_id"]
    details = await wallets.linepay.details(transaction)
    return linepay.paid_in_details(details, transaction, payment["reference"],
                                   int(payment["value"]), payment["currency"])


async def capture_paypal(wallets: Wallets, request: web.Request) -> web.StreamResponse:
    """GET /return/paypal/{order}?token=…&PayerID=…: capture, then the order page."""
    found = wallets.payment_of(request, "paypal")
    if found is None:
        return wallets.not_found(request)
    order, payment = found
    token = request.query.get("token", "")
    if not payment["transaction_id"] or token != payment["transaction_id"]:
        return _mismatch(wallets, request, order, "paypal", f"token {token!r}")
    async with wallets.one_at_a_time(order["id"]):
        order = wallets.db.order(order["id"]) or order
        if order["status"] != "pending":
            raise wallets.to_order(order["id"])
        try:
            refusal, outcome = await capture_and_settle(wallets, payment)
        except Unavailable as exc:
            log.warning("PayPal capture of %s: %s", order["id"], exc)
            return wallets.failure(
                order["id"], "paypal", wallets.count(request), http_status=503,
                text="We could not reach PayPal to complete the payment. Reload this page "
                     "in a moment to try again.")
        log.info("PayPal return for %s: %s", order["id"], refusal or outcome)
        if refusal is not None:
            return wallets.failure(order["id"], "paypal", wallets.count(request),
                                   text=f"PayPal did not complete the payment: {refusal}")
        if outcome.startswith("refused"):
            return wallets.failure(order["id"], "paypal", wallets.count(request),
                                   text="PayPal captured another amount than this order's; "
                                        "the order was not fulfilled. Please contact us.")
    raise wallets.to_order(order["id"])


async def capture_and_settle(wallets: Wallets, payment: dict[str, Any]
                             ) -> tuple[str | None, str]:
    """Capture the payment's PayPal order and fulfil from the answer; (PayPal's refusal
    in words or None, what happened). One PayPal-Request-Id per order, so the browser's
    return and the approval webhook, or a reload, are the same request to PayPal; an order
    captured already is read back. Refusals are noted on the order. Raises Unavailable;
    call it inside `one_at_a_time`."""
    token, order_id = payment["transaction_id"], payment["order_id"]
    answer = await wallets.paypal.capture(token, f"{order_id}-capture")
    if "ORDER_ALREADY_CAPTURED" in paypal.issues(answer):
        answer = await wallets.paypal.order(token)
    data = answer.data if isinstance(answer.data, dict) else {}
    if answer.status not in (200, 201):
        refusal = f"{data.get('name', answer.status)}: {data.get('message', '')}"
        if paypal.issues(answer):
            refusal += f" ({', '.join(sorted(paypal.issues(answer)))})"
        wallets.db.note_failure(order_id, f"PayPal {refusal}")
        return refusal, "not captured"
    outcome = paypal_capture(wallets, payment, data)
    if outcome.startswith("refused"):
        wallets.db.note_failure(order_id, "PayPal captured another amount.")
    return None, outcome


def paypal_capture(wallets: Wallets, payment: dict[str, Any], data: dict[str, Any]) -> str:
    """Fulfil from a captured order's answer when a capture of it is COMPLETED for the
    payment's amount and currency (PENDING: PayPal's webhook will say)."""
    if data.get("id") != payment["transaction_id"]:
        return "ignored: the answer is about another order"
    for capture in paypal.captures(data):
        amount = capture.get("amount") or {}
        if capture.get("status") != "COMPLETED":
            return f"capture {capture.get('id')} is {capture.get('status')}"
        if not same_money(payment, amount.get("value"), amount.get("currency_code")):
            return f"refused: capture {capture.get('id')} is not for the order's amount"
        return fulfil(wallets.db, payment, f"paypal:capture:{capture.get('id')}",
                      str(capture.get("id")))
    return "no capture in the answer"


async def show_jkopay(wallets: Wallets, request: web.Request) -> web.StreamResponse:
    """GET /return/jkopay/{order}: the order page; while the order waits for the
    result_url callback, the inquiry API may already say it is paid."""
    found = wallets.payment_of(request, "jkopay")
    if found is None:
        return wallets.not_found(request)
    order, payment = found
    if order["status"] == "pending":
        try:
            transaction = await wallets.jkopay.inquiry(payment["reference"])
        except Unavailable as exc:
            log.warning("JKOPay inquiry of %s: %s", order["id"], exc)
            transaction = None
        try:
            if transaction is not None:
                log.info("JKOPay inquiry for %s: %s", order["id"],
                         jkopay_outcome(wallets, payment, transaction))
        except ValueError as exc:  # the order page shows it waiting; the log says why
            log.warning("JKOPay inquiry for %s not used: %s", order["id"], exc)
    raise wallets.to_order(order["id"])


def jkopay_outcome(wallets: Wallets, payment: dict[str, Any],
                   transaction: dict[str, Any]) -> str:
    """Apply what JKOPay says of the payment (callback or inquiry): status 0 with the
    payment's amount fulfils. Raises ValueError on an amount that is not the order's."""
    status = str(transaction.get("status", ""))
    if status == jkopay.PAID:
        if not same_money(payment, jkopay.amount_of(transaction.get("final_price")),
                          transaction.get("currency", "TWD")):
            raise ValueError(f"final_price {transaction.get('final_price')!r} "
                             f"{transaction.get('currency')!r} is not the order's")
        return fulfil(wallets.db, payment, f"jkopay:{payment['reference']}:paid",
                      str(transaction.get("tradeNo") or payment["reference"]))
    if status == jkopay.PROCESSING:
        return "still processing"
    wallets.db.note_failure(payment["order_id"], f"JKOPay: the payment was not made "
                                                 f"(status {status})")
    return f"not paid (status {status})"
