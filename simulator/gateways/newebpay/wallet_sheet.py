"""Apple Pay and Google Pay on the MPG page (APPLEPAY=1, ANDROIDPAY=1): the method's button
opens the simulated wallet sheet (simulator.ui.sheet); Approve pays by card as that
wallet's card (PaymentType APPLEPAY / ANDROIDPAY), Cancel goes back to the MPG page with
nothing changed. The page token rules of the MPG page apply to the sheet."""

from __future__ import annotations

import urllib.parse

from aiohttp import web
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.newebpay import pages
from paylab.simulator.ui import sheet

#: PaymentType -> the wallet a sheet stands for.
WALLETS = {"APPLEPAY": "apple_pay", "ANDROIDPAY": "google_pay"}


def offered_wallet(order: Doc, payment_type: str | None) -> str | None:
    """The wallet of `payment_type` when the order offers it and can still be paid."""
    wallet = WALLETS.get(payment_type or "")
    if wallet is None or wallet not in order["methods"] or order["status"] != "created":
        return None
    return wallet


def approve_path(order: Doc, wallet: str) -> str:
    """Where the sheet's Approve posts (the page token in the query)."""
    return f"/newebpay/MPG/wallet/{order['id']}?" + urllib.parse.urlencode(
        {"token": order["page_token"], "wallet": wallet})


def sheet_response(order: Doc, wallet: str, status: int = 200,
                   error: str | None = None) -> web.Response:
    """The sheet for `wallet` over this order."""
    text = sheet.page(wallet, merchant=order["extra"].get("MerchantID", ""),
                      amount=pages.amount_text(order["amount"]),
                      approve_action=approve_path(order, wallet),
                      cancel_action=f"/newebpay/MPG/pay/{order['id']}",
                      token=order["page_token"], error=error)
    return web.Response(status=status, text=text, content_type="text/html")
