"""The simulated device-wallet sheet (Apple Pay, Google Pay) every hosted page opens, and
the wallet buttons that open it.

Real wallets need a device and the wallet's servers, so paylab stands in for both: the
sheet shows the merchant, the amount and the wallet's test cards (testcards.yaml `sheets:`),
and its **Approve** pays with the chosen card as a wallet card; **Cancel** goes back to the
page it came from with nothing changed. Each gateway mounts the sheet under its own page
(the page token rules apply) and decides what approving does. Every value is escaped.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import cards, methods
from paylab.simulator.ui import Markup, fragment, render

#: Wallet -> the label of its button and sheet (exactly these, for tests driving by role).
NAMES = {"apple_pay": "Apple Pay", "google_pay": "Google Pay"}
_NOTES = {"decline": "(declines)", "block": "(blocked)", "authenticate": "(3-D Secure)"}


def buttons(action: str, token: str, wallets: list[str] | tuple[str, ...]) -> Markup:
    """A GET form with one button per wallet (`wallet=<name>`); it works without
    JavaScript. Empty when no wallet is offered."""
    if not wallets:
        return Markup("")
    inner = Markup("".join(fragment("wallet_button.html", wallet=w, label=NAMES[w])
                           for w in wallets))
    return fragment("wallet_buttons.html", action=action, token=token, buttons=inner)


def choice(wallet: str, token: str | None) -> tuple[str, dict[str, Any]] | None:
    """The sheet card a posted `card` value names (the default when none is posted), or
    None when it is not one of this wallet's sheet cards."""
    held = methods.sheet_cards(wallet)
    if not token:
        return held[0]
    return next(((t, e) for t, e in held if t == token), None)


def wallet_card(entry: dict[str, Any], year: int) -> dict[str, Any]:
    """The card fields a gateway pays with for a sheet card (any future expiry)."""
    return {"number": entry["number"], "exp_month": 12, "exp_year": year,
            "wallet": methods.wallet_doc(entry)}


def page(wallet: str, *, merchant: str, amount: str, approve_action: str,
         cancel_action: str, token: str, error: str | None = None) -> str:
    """The sheet: merchant, amount, the wallet's cards, Approve and Cancel."""
    held = methods.sheet_cards(wallet)
    rows = []
    for i, (card_token, entry) in enumerate(held):
        outcome = cards.catalog().by_number.get(entry["number"], {}).get("outcome", "")
        rows.append(fragment("wallet_card.html", token=card_token,
                             checked=Markup(" checked") if i == 0 else "",
                             brand=cards.brand_of(entry["number"]).title(),
                             last4=entry["number"][-4:], note=_NOTES.get(outcome, "")))
    return render("wallet_sheet.html", title=NAMES[wallet], wallet=wallet,
                  wallet_name=NAMES[wallet], merchant=merchant, amount=amount,
                  approve_action=approve_action, cancel_action=cancel_action, token=token,
                  cards=Markup("".join(rows)),
                  error=fragment("form_error.html", message=error) if error else "")
