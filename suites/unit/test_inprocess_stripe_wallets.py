"""Apple Pay and Google Pay on the Stripe-compatible rail, in process: the wallet test
tokens' `card.wallet`, plain cards without one, and the hosted Checkout page's wallet
buttons, sheet, Approve and Cancel."""

from __future__ import annotations

import html
import json
import re
import urllib.parse

import pytest
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start
from paylab.suites.unit.test_inprocess_checkout import open_session, session_now


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _checked(kind: str, body: dict) -> dict:
    problems = contracts().errors(f"https://paylab.dev/contracts/stripe/{kind}.schema.json", body)
    assert not problems, problems
    return body


@pytest.mark.parametrize(("token", "wallet", "last4", "dynamic"), [
    ("pm_card_visa_applepay", "apple_pay", "4242", "0366"),
    ("pm_card_mastercard_googlepay", "google_pay", "4444", "4497"),
])
async def test_a_wallet_token_pays_and_its_method_carries_card_wallet(
        sim: Sim, token: str, wallet: str, last4: str, dynamic: str) -> None:
    paid = await sim.pay(card=token, expand=["payment_method", "latest_charge"])
    assert paid.status == 200 and paid.body["status"] == "succeeded"
    method = _checked("payment_method", paid.body["payment_method"])
    assert method["type"] == "card" and method["card"]["last4"] == last4
    assert method["card"]["wallet"] == {wallet: {}, "dynamic_last4": dynamic, "type": wallet}
    assert list(method["card"]["wallet"]) == sorted(method["card"]["wallet"])
    charge = _checked("charge", paid.body["latest_charge"])
    assert charge["payment_method_details"]["card"]["wallet"]["type"] == wallet
    again = await sim.stripe("GET", f"/v1/payment_methods/{method['id']}")
    assert again.body["card"]["wallet"] == method["card"]["wallet"]


async def test_a_plain_card_keeps_wallet_null(sim: Sim) -> None:
    paid = await sim.pay(card="pm_card_visa", expand=["payment_method"])
    assert paid.body["payment_method"]["card"]["wallet"] is None


async def test_a_declining_wallet_token_declines_as_its_card_does(sim: Sim) -> None:
    declined = await sim.pay(card="pm_card_chargeDeclined_googlepay")
    assert declined.status == 402
    error = declined.error
    assert (error["code"], error["decline_code"]) == ("card_declined", "generic_decline")
    assert error["payment_intent"]["last_payment_error"]["payment_method"]["card"][
        "wallet"]["type"] == "google_pay"


def _form_action(text: str, testid: str) -> str:
    match = re.search(rf'<form method="(?:get|post)" action="([^"]+)"[^>]*data-testid="{testid}"',
                      text)
    assert match, f"no form {testid}"
    return html.unescape(match.group(1))


async def _open_sheet(sim: Sim, session: dict, wallet: str) -> str:
    page = await sim.page("GET", session["url"])
    assert f'data-testid="wallet-{wallet}">' in page.text
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(session["url"]).query)["token"][0]
    action = _form_action(page.text, "wallet-buttons")
    shown = await sim.page("GET", f"{action}?token={token}&wallet={wallet}")
    assert shown.status == 200 and 'data-testid="wallet-sheet"' in shown.text
    return shown.text


@pytest.mark.parametrize(("wallet", "label"), [("apple_pay", "Apple Pay"),
                                               ("google_pay", "Google Pay")])
async def test_the_checkout_pages_wallet_button_opens_a_sheet_that_pays_on_approve(
        sim: Sim, wallet: str, label: str) -> None:
    session = await open_session(sim)
    page = await sim.page("GET", session["url"])
    assert f">{label}</button>" in page.text
    sheet = await _open_sheet(sim, session, wallet)
    assert f"Pay with {label}" in sheet and "$18.00" in sheet
    assert ">Approve</button>" in sheet and ">Cancel</button>" in sheet
    approved = await sim.page("POST", _form_action(sheet, "wallet-approve-form"),
                              {"decision": "approve"})
    assert approved.status == 303
    assert approved.headers["Location"].startswith("https://shop.example/orders/7")
    done = await session_now(sim, session)
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    intent = await sim.stripe("GET", f"/v1/payment_intents/{done['payment_intent']}",
                              {"expand": ["payment_method"]})
    assert intent.body["status"] == "succeeded"
    assert intent.body["payment_method"]["card"]["wallet"]["type"] == wallet


async def test_cancel_on_the_sheet_returns_to_checkout_with_nothing_changed(sim: Sim) -> None:
    session = await open_session(sim)
    sheet = await _open_sheet(sim, session, "apple_pay")
    cancel = _form_action(sheet, "wallet-cancel-form")
    token = re.search(r'name="token" value="([^"]+)"', sheet).group(1)  # type: ignore[union-attr]
    back = await sim.page("GET", f"{cancel}?token={token}")
    assert back.status == 200 and 'data-testid="checkout-page"' in back.text
    now = await session_now(sim, session)
    assert (now["status"], now["payment_intent"]) == ("open", None)


async def test_a_declining_sheet_card_shows_the_decline_and_leaves_the_session_open(
        sim: Sim) -> None:
    session = await open_session(sim)
    sheet = await _open_sheet(sim, session, "google_pay")
    answer = await sim.page("POST", _form_action(sheet, "wallet-approve-form"),
                            {"card": "pm_card_chargeDeclined_googlepay"})
    assert answer.status == 402 and "Your card was declined." in answer.text
    assert (await session_now(sim, session))["status"] == "open"


@pytest.mark.parametrize("query", ["wallet=apple_pay", "wallet=samsung_pay&token={token}",
                                   "wallet=apple_pay&token=wrong"])
async def test_the_sheet_needs_the_page_token_and_a_known_wallet(sim: Sim, query: str) -> None:
    session = await open_session(sim)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(session["url"]).query)["token"][0]
    url = f"/stripe/checkout/{session['id']}/wallet?" + query.format(token=token)
    for method in ("GET", "POST"):
        answer = await sim.page(method, url, {"card": "pm_card_visa_applepay"})
        assert answer.status == 404
    assert (await session_now(sim, session))["status"] == "open"


async def test_a_card_that_is_not_on_the_sheet_is_refused_without_a_payment(sim: Sim) -> None:
    session = await open_session(sim)
    sheet = await _open_sheet(sim, session, "apple_pay")
    answer = await sim.page("POST", _form_action(sheet, "wallet-approve-form"),
                            {"card": "pm_card_visa_googlepay<script>"})
    assert answer.status == 400 and "<script>" not in answer.text
    assert (await session_now(sim, session))["payment_intent"] is None


async def test_a_scenario_rule_matches_a_wallet_payment_by_method_and_card(sim: Sim) -> None:
    """`match: {payment_method: apple_pay}` hits Apple Pay tokens only; the token's card
    number is matched as `card`."""
    for match in ({"payment_method": "apple_pay"}, {"card": "5555555555554444"}):
        await sim.control("PUT", "/scenario", raw=json.dumps({
            "name": "w", "rules": [{"name": "r", "match": {"path": "/v1/payment_intents",
                                                           **match},
                                    "effects": [{"error": {"status": 503}}]}]}))
        hit = await sim.pay(card="pm_card_mastercard_applepay")
        assert hit.status == 503
        missed = await sim.pay(card="pm_card_visa_googlepay" if "card" in match
                               else "pm_card_visa")
        assert missed.status == 200
    await sim.control("DELETE", "/scenario")


async def test_the_sheet_escapes_what_it_echoes(sim: Sim) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    session = await open_session(sim, metadata={"merchant_name": hostile})
    sheet = await _open_sheet(sim, session, "google_pay")
    assert hostile not in sheet and html.escape(hostile) in sheet
