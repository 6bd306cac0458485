"""The hosted Checkout page at a session's `url`: order summary, card form with server-side
validation, the 3-D Secure hand-off, and the redirects to `success_url` / `cancel_url`.
Its **Apple Pay** and **Google Pay** buttons open the simulated wallet sheet
(`simulator.ui.sheet`, at `.../wallet?wallet=<name>`): Approve pays the session with the
sheet's card as a wallet card (`card.wallet` set), Cancel comes back with nothing changed.

A session in `setup` mode shows a "Save card" form without amount or wallet buttons: it
saves the card through a SetupIntent (3-D Secure when the card asks for it) and completes
the session when the setup succeeds.

The page is reached without an API key, as on Stripe: its URL is the capability. The
session id in it is seeded (predictable), so the URL also carries the session's page token
(from the CSPRNG), and a request without the right token finds nothing. Every value shown
is escaped by the templates.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import urllib.parse

from aiohttp import web
from paylab.simulator.core import cards
from paylab.simulator.core.credentials import same_credential
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.core.methods import WALLETS
from paylab.simulator.core.money import display_amount
from paylab.simulator.gateways.kit.pipeline import origin_of
from paylab.simulator.gateways.stripe import form
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.pipeline import StripeContext
from paylab.simulator.gateways.stripe.render import hosted_path
from paylab.simulator.ui import Markup, fragment, message_page, render, sheet

AUTH_FAILED = ("We are unable to authenticate your payment method. Please choose a different "
               "payment method and try again.")
SCRIPT = Markup('<script src="/static/checkout.js" defer></script>')
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")


def _message(status: int, heading: str, message: str, testid: str,
             link: tuple[str | None, str] | None = None) -> web.Response:
    return web.Response(status=status, text=message_page(heading, message, testid, link),
                        content_type="text/html")


def success_url(session: dict) -> str:
    """The merchant's success URL with Stripe's `{CHECKOUT_SESSION_ID}` filled in."""
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


def check_fields(fields: dict[str, str], today: dt.date) -> dict[str, str]:
    """Server-side validation of the card form; the messages Stripe Elements shows."""
    errors = {}
    number = re.sub(r"\s", "", fields.get("cardnumber", ""))
    listed = number in cards.catalog().by_number
    if len(number) < 12 or not number.isdigit():
        errors["number"] = "Your card number is incomplete."
    elif len(number) > 19 or not (listed or cards.luhn_valid(number)):
        errors["number"] = "Your card number is invalid."
    match = _EXPIRY.match(fields.get("expiry", ""))
    if match is None:
        errors["expiry"] = "Your card's expiration date is incomplete."
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year += 2000 if year < 100 else 0
        if not 1 <= month <= 12:
            errors["expiry"] = "Your card's expiration date is invalid."
        elif (year, month) < (today.year, today.month):
            errors["expiry"] = "Your card's expiration year is in the past."
    if not re.fullmatch(r"\d{3,4}", fields.get("cvc", "").strip()):
        errors["cvc"] = "Your card's security code is incomplete."
    if not fields.get("name", "").strip():
        errors["name"] = "Enter the name on your card."
    return errors


def typed(session: dict) -> dict[str, str]:
    """What the shopper typed before 3-D Secure, except the card: the session keeps the
    email and name of its last attempt, and the form shows them again after a failed or
    abandoned challenge as it does after a decline (card data is never sent back)."""
    details = session.get("customer_details") or {}
    return {key: details[key] for key in ("email", "name") if details.get(key)}


def routes(ctx: StripeContext) -> list[web.RouteDef]:
    """The hosted page (GET, POST) and the return from 3-D Secure."""
    sessions = ctx.domain.sessions

    def lookup(request: web.Request) -> tuple[str, dict] | None:
        found = ctx.domain.objects.find_any("checkout_session", request.match_info["session"])
        if found is None or not same_credential(found[1].get("page_token"),
                                                request.query.get("token")):
            return None
        return found

    def prefill(session: dict) -> str:
        """The email the form starts with: the session's, else its customer's."""
        if session["customer_email"] or not session.get("customer"):
            return session["customer_email"] or ""
        found = ctx.domain.objects.find_any("customer", session["customer"])
        return (found[1].get("email") or "") if found else ""

    def card_fields(session: dict, fields: dict[str, str],
                    field_errors: dict[str, str]) -> Markup:
        """The card form's fields (both modes), with what the shopper typed and the
        message of each field refused."""
        return fragment(
            "card_fields.html", email=fields.get("email", prefill(session)),
            name=fields.get("name", ""), error_number=field_errors.get("number", ""),
            error_expiry=field_errors.get("expiry", ""), error_cvc=field_errors.get("cvc", ""),
            error_name=field_errors.get("name", ""))

    def setup_page(session: dict, status: int, error: str | None, fields: dict[str, str],
                   field_errors: dict[str, str]) -> web.Response:
        html = render(
            "checkout_setup.html", title="Save a card",
            merchant=session["metadata"].get("merchant_name", "Test merchant"),
            cancel_url=session["cancel_url"] or "#",
            action=hosted_path(session), attempt=secrets.token_hex(8),
            card_fields=card_fields(session, fields, field_errors),
            error=fragment("form_error.html", message=error) if error else "",
            scripts=SCRIPT,
        )
        return web.Response(status=status, text=html, content_type="text/html")

    def page(session: dict, status: int = 200, error: str | None = None,
             fields: dict[str, str] | None = None, field_errors: dict[str, str] | None = None
             ) -> web.Response:
        fields, field_errors = fields or {}, field_errors or {}
        if session["mode"] == "setup":
            return setup_page(session, status, error, fields, field_errors)
        items = Markup("".join(fragment(
            "checkout_item.html", name=i["name"], description=i["description"] or "",
            quantity=i["quantity"],
            price=display_amount(i["unit_amount"] * i["quantity"], i["currency"]),
        ) for i in session["line_items"]))
        html = render(
            "checkout.html", title="Checkout", items=items,
            merchant=session["metadata"].get("merchant_name", "Test merchant"),
            total=display_amount(session["amount_total"], session["currency"]),
            cancel_url=session["cancel_url"] or "#",
            action=hosted_path(session), attempt=secrets.token_hex(8),
            card_fields=card_fields(session, fields, field_errors),
            error=fragment("form_error.html", message=error) if error else "",
            wallets=sheet.buttons(f"/stripe/checkout/{session['id']}/wallet",
                                  session.get("page_token", ""), WALLETS),
            scripts=SCRIPT,
        )
        return web.Response(status=status, text=html, content_type="text/html")

    def closed(session: dict) -> web.Response | None:
        if session["status"] == "complete" and session["mode"] == "setup":
            return _message(200, "Card saved", "This card has already been saved.",
                            "checkout-complete", (success_url(session), "Return to the shop"))
        if session["status"] == "complete":
            return _message(200, "Payment complete", "This payment has already been made.",
                            "checkout-complete", (success_url(session), "Return to the shop"))
        if session["status"] == "expired":
            return _message(410, "Checkout expired", "This checkout session has expired.",
                            "checkout-expired", (session["cancel_url"], "Return to the shop"))
        return None

    async def show(request: web.Request) -> web.Response:
        found = lookup(request)
        if found is None:
            return missing()
        return closed(found[1]) or page(found[1])

    def missing() -> web.Response:
        return _message(404, "Checkout not found", "This checkout link is not valid.",
                        "checkout-missing")

    async def posted(request: web.Request, session: dict
                     ) -> tuple[dict[str, str], web.StreamResponse | None]:
        """The posted fields, and the answer when the session can no longer be paid (a
        second submit lands where the first did)."""
        try:
            fields = dict(form.parse_pairs(await request.read()))
        except CoreError:
            fields = {}
        if session["status"] == "complete":
            raise web.HTTPSeeOther(success_url(session))
        if session["status"] != "open":
            return fields, closed(session) or page(session)
        return fields, None

    async def attempt(request: web.Request, tenant: str, session: dict, card: dict,
                      fields: dict[str, str] | None, name: str | None,
                      email: str | None) -> web.StreamResponse:
        """Pay the session with `card` (the form's or a wallet sheet's): a decline or a
        refusal back on the form, stored before it is shown, or where the payment goes."""
        act = sessions.save_card if session["mode"] == "setup" else sessions.pay
        try:
            session, payment = act(
                tenant, session["id"], card, name=name, email=email,
                return_url=ctx.renderer.checkout_url(session, "/return"),
                origin=origin_of(request))
        except CardDeclined as declined:
            await ctx.domain.store.durable()
            return page(sessions.get(tenant, session["id"]), 402, declined.message, fields)
        except CoreError as exc:
            await ctx.domain.store.durable()
            return closed(sessions.get(tenant, session["id"])) or page(
                session, 400, words.message(exc), fields)
        await ctx.domain.store.durable()
        return settled(session, payment)

    async def submit(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return missing()
        tenant, session = found
        fields, done = await posted(request, session)
        if done is not None:
            return done
        errors = check_fields(fields, ctx.domain.methods.today())
        if errors:
            return page(session, 400, "Please check the highlighted fields.", fields, errors)
        month, year = _EXPIRY.match(fields["expiry"]).groups()  # type: ignore[union-attr]
        card = {"number": re.sub(r"\s", "", fields["cardnumber"]), "exp_month": int(month),
                "exp_year": int(year), "cvc": fields["cvc"].strip()}
        return await attempt(request, tenant, session, card, fields, fields["name"],
                             fields.get("email") or None)

    def settled(session: dict, payment: dict) -> web.StreamResponse:
        """Where a paid attempt goes: the success URL, 3-D Secure, or a processing note."""
        if session["status"] == "complete":
            raise web.HTTPSeeOther(success_url(session))
        shown = ctx.renderer.setup_intent if session["mode"] == "setup" \
            else ctx.renderer.payment_intent
        action = shown(payment)["next_action"]
        if action is not None:
            raise web.HTTPSeeOther(action["redirect_to_url"]["url"])
        return _message(202, "Payment processing",
                        "Your bank is processing this payment. You can close this page; the "
                        "shop will be told when it completes.", "checkout-processing",
                        (success_url(session), "Return to the shop"))

    async def returned(request: web.Request) -> web.StreamResponse:
        found = lookup(request)
        if found is None:
            return missing()
        session = found[1]
        if session["status"] == "complete":
            raise web.HTTPSeeOther(success_url(session))
        return closed(session) or page(session, 402, AUTH_FAILED, typed(session))

    def wallet_of(request: web.Request) -> str | None:
        wallet = request.query.get("wallet", "")
        return wallet if wallet in WALLETS else None

    def wallet_lookup(request: web.Request) -> tuple[tuple[str, dict] | None, str | None]:
        """The session and wallet of a sheet request (a setup session shows no sheet)."""
        found = lookup(request)
        if found is not None and found[1]["mode"] == "setup":
            return None, None
        return found, wallet_of(request)

    def sheet_page(session: dict, wallet: str, status: int = 200,
                   error: str | None = None) -> web.Response:
        path = f"/stripe/checkout/{session['id']}"
        query = urllib.parse.urlencode({"token": session.get("page_token", ""),
                                        "wallet": wallet})
        html = sheet.page(wallet, merchant=session["metadata"].get("merchant_name",
                                                                   "Test merchant"),
                          amount=display_amount(session["amount_total"], session["currency"]),
                          approve_action=f"{path}/wallet?{query}", cancel_action=path,
                          token=session.get("page_token", ""), error=error)
        return web.Response(status=status, text=html, content_type="text/html")

    async def wallet_sheet(request: web.Request) -> web.Response:
        found, wallet = wallet_lookup(request)
        if found is None or wallet is None:
            return missing()
        return closed(found[1]) or sheet_page(found[1], wallet)

    async def wallet_approve(request: web.Request) -> web.StreamResponse:
        """Approve on the sheet: pay the session with the chosen wallet card."""
        found, wallet = wallet_lookup(request)
        if found is None or wallet is None:
            return missing()
        tenant, session = found
        fields, done = await posted(request, session)
        if done is not None:
            return done
        chosen = sheet.choice(wallet, fields.get("card"))
        if chosen is None:
            return sheet_page(session, wallet, 400, "Choose one of the wallet's cards.")
        card = sheet.wallet_card(chosen[1], ctx.domain.methods.today().year + 3)
        return await attempt(request, tenant, session, card, None, None, None)

    return [web.get("/checkout/{session}", show), web.post("/checkout/{session}", submit),
            web.get("/checkout/{session}/return", returned),
            web.get("/checkout/{session}/wallet", wallet_sheet),
            web.post("/checkout/{session}/wallet", wallet_approve)]
